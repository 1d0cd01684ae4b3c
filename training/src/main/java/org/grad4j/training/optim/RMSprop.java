package org.grad4j.training.optim;

import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/**
 * RMSprop ({@code torch.optim.RMSprop}), PyTorch's formula:
 * <pre>
 *   g = grad + weightDecay * p
 *   sq = alpha * sq + (1 - alpha) * g²
 *   avg = centered ? sqrt(sq - ga²) : sqrt(sq),  ga = lerp(ga, g, 1 - alpha)
 *   avg = avg + eps                                  (eps outside the square root)
 *   momentum > 0:  buf = momentum * buf + g / avg;  p = p - lr * buf
 *   else:          p = p - lr * g / avg
 * </pre>
 */
public final class RMSprop extends Optimizer {

    public RMSprop(List<?> params, double lr) {
        this(params, lr, 0.99, 1e-8, 0, 0, false);
    }

    public RMSprop(
            List<?> params,
            double lr,
            double alpha,
            double eps,
            double weightDecay,
            double momentum,
            boolean centered) {
        super(
                "RMSprop",
                params,
                Map.of(
                        "lr",
                        lr,
                        "alpha",
                        alpha,
                        "eps",
                        eps,
                        "weight_decay",
                        weightDecay,
                        "momentum",
                        momentum,
                        "centered",
                        centered));
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        require(g.getDouble("eps") >= 0, "RMSprop: invalid epsilon value: " + g.getDouble("eps"));
        require(g.getDouble("momentum") >= 0, "RMSprop: invalid momentum value: " + g.getDouble("momentum"));
        require(
                g.getDouble("weight_decay") >= 0,
                "RMSprop: invalid weight_decay value: " + g.getDouble("weight_decay"));
        require(g.getDouble("alpha") >= 0, "RMSprop: invalid alpha value: " + g.getDouble("alpha"));
    }

    @Override
    protected void update(ParamGroup group) {
        float lr = (float) group.lr(), alpha = (float) group.getDouble("alpha"), eps = (float) group.getDouble("eps");
        float weightDecay = (float) group.getDouble("weight_decay"), momentum = (float) group.getDouble("momentum");
        boolean centered = group.getBoolean("centered");
        for (Tensor p : group.params()) {
            Tensor g = p.grad();
            if (g == null) continue;
            Map<String, Tensor> st = state(p);
            if (!st.containsKey("square_avg")) {
                st.put("square_avg", Tensor.zerosLike(p));
                if (momentum > 0) st.put("momentum_buffer", Tensor.zerosLike(p));
                if (centered) st.put("grad_avg", Tensor.zerosLike(p));
            }
            incrementStep(st);
            if (weightDecay != 0) g = g.add(p, weightDecay);
            Tensor sq = st.get("square_avg");
            sq.mul_(alpha).add_(g.mul(g), 1 - alpha);
            Tensor avg;
            if (centered) {
                Tensor ga = st.get("grad_avg");
                ga.add_(g.sub(ga), 1 - alpha);
                avg = sq.sub(ga.mul(ga)).sqrt();
            } else {
                avg = sq.sqrt();
            }
            avg = avg.add(eps);
            if (momentum > 0) {
                Tensor buf = st.get("momentum_buffer");
                buf.mul_(momentum).add_(g.div(avg));
                p.sub_(buf, lr);
            } else {
                p.sub_(g.div(avg), lr);
            }
        }
    }
}
