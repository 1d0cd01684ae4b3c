package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.LayerNorm(normalizedShape)}: normalises over the trailing dimensions; weight starts at 1, bias at 0. */
public final class LayerNorm extends Module {
    public final int[] normalizedShape;
    public final float eps;
    /** Null without the elementwise affine transform. */
    public final Tensor weight, bias;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5f, true);
    }

    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine) {
        this(normalizedShape, eps, elementwiseAffine, true);
    }

    /** With {@code bias=false} only the weight is learnt (PyTorch's {@code LayerNorm(..., bias=False)}). */
    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine, boolean bias) {
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        weight = elementwiseAffine ? registerParameter("weight", Parameter.of(Tensor.ones(normalizedShape))) : null;
        this.bias = elementwiseAffine && bias
                ? registerParameter("bias", Parameter.of(Tensor.zeros(normalizedShape)))
                : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.layerNorm(input, normalizedShape, weight, bias, eps);
    }

    @Override
    protected String extraRepr() {
        return Conv2d.tuple(normalizedShape) + ", eps=" + eps + ", elementwise_affine="
                + (weight != null ? "True" : "False") + (weight != null && bias == null ? ", bias=False" : "");
    }
}
