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

    /** Zeros in place, without recording. */
    public static Tensor zeros_(Tensor t) {
        try (var s = GradMode.noGrad()) {
            return t.zero_();
        }
    }
}
