package org.grad4j.training.nn;

import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/** {@code torch.nn.init}: the initialisers the layers use, with a seeded {@link Generator}. */
public final class Init {
    private Init() {}

    /** A new tensor of U(low, high) samples: {@code low + (high - low) * u}, u in [0, 1). */
    public static Tensor uniform(Generator gen, float low, float high, int... shape) {
        try (var s = GradMode.noGrad()) {
            return Tensor.rand(gen, shape).mul(high - low).add(low);
        }
    }

    /** {@code kaiming_uniform_(a)} for a weight whose fan-in is {@code fanIn}: bound = gain·√(3/fanIn), gain = √(2/(1+a²)). */
    public static Tensor kaimingUniform(Generator gen, double a, int fanIn, int... shape) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        float bound = (float) (gain * Math.sqrt(3.0 / fanIn));
        return uniform(gen, -bound, bound, shape);
    }

    /**
     * {@code xavier_uniform_(gain)} for a new tensor of {@code shape}: U(-a, a) with
     * a = gain·√(6/(fanIn + fanOut)), fanIn = shape[1]·receptive field, fanOut = shape[0]·receptive field.
     */
    public static Tensor xavierUniform(Generator gen, double gain, int... shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException(
                    "xavier_uniform_: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        }
        long receptive = 1;
        for (int i = 2; i < shape.length; i++) receptive *= shape[i];
        double fanIn = shape[1] * (double) receptive, fanOut = shape[0] * (double) receptive;
        float a = (float) (gain * Math.sqrt(6.0 / (fanIn + fanOut)));
        return uniform(gen, -a, a, shape);
    }

    /** Zeros in place, without recording. */
    public static Tensor zeros_(Tensor t) {
        try (var s = GradMode.noGrad()) {
            return t.zero_();
        }
    }
}
