package org.grad4j.training.optim;

import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/**
 * Stochastic gradient descent with PyTorch's update rule:
 * <pre>
 *   g = grad + weightDecay * p
 *   buf = momentum * buf + (1 - dampening) * g      (buf = g on the first step)
 *   g = nesterov ? g + momentum * buf : buf          (when momentum != 0)
 *   p = p - lr * g
 * </pre>
 * Plain SGD ({@code new SGD(params, lr)}) is bit for bit {@code p -= lr * p.grad}.
 */
public final class SGD extends Optimizer {

    /** {@code params}: tensors or {@link ParamGroup}s. */
    public SGD(List<?> params, float lr) {
        this(params, lr, 0f, 0f, 0f, false);
    }

    public SGD(List<?> params, float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        super(
                "SGD",
                params,
                Map.of(
                        "lr",
                        (double) lr,
                        "momentum",
                        (double) momentum,
                        "dampening",
                        (double) dampening,
                        "weight_decay",
                        (double) weightDecay,
                        "nesterov",
                        nesterov));
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        require(g.getDouble("momentum") >= 0, "SGD: invalid momentum value: " + (float) g.getDouble("momentum"));
        require(
                g.getDouble("weight_decay") >= 0,
                "SGD: invalid weight_decay value: " + (float) g.getDouble("weight_decay"));
        if (g.getBoolean("nesterov") && (g.getDouble("momentum") <= 0 || g.getDouble("dampening") != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Override
    protected void update(ParamGroup group) {
        float lr = (float) group.lr(), momentum = (float) group.getDouble("momentum");
        float dampening = (float) group.getDouble("dampening"), weightDecay = (float) group.getDouble("weight_decay");
        boolean nesterov = group.getBoolean("nesterov");
        for (Tensor p : group.params()) {
            Tensor g = p.grad();
            if (g == null) continue;
            if (weightDecay != 0) g = g.add(p, weightDecay);
            if (momentum != 0) {
                Map<String, Tensor> st = state(p);
                Tensor buf = st.get("momentum_buffer");
                if (buf == null) {
                    buf = g.clone();
                    st.put("momentum_buffer", buf);
                } else {
                    buf.mul_(momentum).add_(g, 1 - dampening);
                }
                g = nesterov ? g.add(buf, momentum) : buf;
            }
            p.sub_(g, lr);
        }
    }
}
