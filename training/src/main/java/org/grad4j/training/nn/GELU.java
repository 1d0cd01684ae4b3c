package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Tensor;

/** {@code nn.GELU(approximate)}: exact ({@code "none"}, erf-based) or the tanh approximation ({@code "tanh"}). */
public final class GELU extends Module {
    public final String approximate;

    public GELU() {
        this("none");
    }

    public GELU(String approximate) {
        // PyTorch checks at the first call; checking here names the mistake where it is made
        if (!"none".equals(approximate) && !"tanh".equals(approximate)) {
            throw new IllegalArgumentException("GELU: approximate argument must be either none or tanh, got "
                    + (approximate == null ? "null" : "'" + approximate + "'"));
        }
        this.approximate = approximate;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.gelu(input, approximate);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
