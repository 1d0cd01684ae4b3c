package org.grad4j.training.optim;

import java.util.IdentityHashMap;
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
    private final float lr, momentum, dampening, weightDecay;
    private final boolean nesterov;
    private final Map<Tensor, Tensor> momentumBuffers = new IdentityHashMap<>();

    public SGD(List<Tensor> params, float lr) {
        this(params, lr, 0f, 0f, 0f, false);
    }

    public SGD(List<Tensor> params, float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        super(params);
        if (lr < 0) throw new IllegalArgumentException("SGD: invalid learning rate: " + lr);
        if (momentum < 0) throw new IllegalArgumentException("SGD: invalid momentum value: " + momentum);
        if (weightDecay < 0) throw new IllegalArgumentException("SGD: invalid weight_decay value: " + weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        }
        this.lr = lr;
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected void update() {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            if (weightDecay != 0) g = g.add(p, weightDecay);
            if (momentum != 0) {
                Tensor buf = momentumBuffers.get(p);
                if (buf == null) {
                    buf = g.clone();
                    momentumBuffers.put(p, buf);
                } else {
                    buf.mul_(momentum).add_(g, 1 - dampening);
                }
                g = nesterov ? g.add(buf, momentum) : buf;
            }
            p.sub_(g, lr);
        }
    }
}
