package org.grad4j.training.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;
import org.grad4j.core.ops.FusedOps;

/**
 * Adam ({@code torch.optim.Adam}), PyTorch's single-tensor formula:
 * <pre>
 *   g = grad + weightDecay * p                       (L2 penalty; AdamW decouples it)
 *   m = lerp(m, g, 1 - beta1)                         v = beta2 * v + (1 - beta2) * g²
 *   bc1 = 1 - beta1^t                                 bc2 = 1 - beta2^t
 *   vmax = max(vmax, v)                               (amsgrad; then used instead of v)
 *   denom = sqrt(v) / sqrt(bc2) + eps                 (eps outside the square root)
 *   p = p - (lr / bc1) * m / denom
 * </pre>
 * Scalars (bias corrections, step size) are computed in double, as Python floats are.
 */
public class Adam extends Optimizer {

    public Adam(List<?> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    public Adam(
            List<?> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        this("Adam", params, lr, beta1, beta2, eps, weightDecay, amsgrad);
    }

    Adam(
            String name,
            List<?> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            boolean amsgrad) {
        super(
                name,
                params,
                Map.of(
                        "lr",
                        lr,
                        "beta1",
                        beta1,
                        "beta2",
                        beta2,
                        "eps",
                        eps,
                        "weight_decay",
                        weightDecay,
                        "amsgrad",
                        amsgrad));
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        String n = getClass().getSimpleName();
        require(g.getDouble("eps") >= 0, n + ": invalid epsilon value: " + g.getDouble("eps"));
        require(
                g.getDouble("beta1") >= 0 && g.getDouble("beta1") < 1,
                n + ": invalid beta parameter at index 0: " + g.getDouble("beta1"));
        require(
                g.getDouble("beta2") >= 0 && g.getDouble("beta2") < 1,
                n + ": invalid beta parameter at index 1: " + g.getDouble("beta2"));
        require(g.getDouble("weight_decay") >= 0, n + ": invalid weight_decay value: " + g.getDouble("weight_decay"));
    }

    /** AdamW overrides this to decay the weights before the Adam step instead of adding an L2 term. */
    protected boolean decoupledWeightDecay() {
        return false;
    }

    @Override
    protected void update(ParamGroup group) {
        double lr = group.lr(), beta1 = group.getDouble("beta1"), beta2 = group.getDouble("beta2");
        double eps = group.getDouble("eps"), weightDecay = group.getDouble("weight_decay");
        boolean amsgrad = group.getBoolean("amsgrad");
        // the parameters the fused kernel can update, stepped together at the end (one launch on a device)
        List<Tensor[]> fused = new ArrayList<>();
        float[] stepSizes = new float[group.params().size()], bc2Sqrts = new float[stepSizes.length];
        for (Tensor p : group.params()) {
            Tensor g = p.grad();
            if (g == null) continue;
            Map<String, Tensor> st = state(p);
            if (!st.containsKey("exp_avg")) {
                st.put("exp_avg", Tensor.zerosLike(p));
                st.put("exp_avg_sq", Tensor.zerosLike(p));
                if (amsgrad) st.put("max_exp_avg_sq", Tensor.zerosLike(p));
            }
            int t = incrementStep(st);
            if (weightDecay != 0) {
                if (decoupledWeightDecay()) p.mul_((float) (1 - lr * weightDecay));
                else g = g.add(p, (float) weightDecay);
            }
            Tensor m = st.get("exp_avg"), v = st.get("exp_avg_sq");
            if (!amsgrad
                    && FusedOps.canFuse(p, g, m, v)
                    && (fused.isEmpty()
                            || fused.get(0)[0].device().equals(p.device()))) { // one pass instead of a dozen tensor ops
                stepSizes[fused.size()] = (float) (lr / (1 - Math.pow(beta1, t)));
                bc2Sqrts[fused.size()] = (float) Math.sqrt(1 - Math.pow(beta2, t));
                fused.add(new Tensor[] {p, g, m, v});
                continue;
            }
            m.add_(g.sub(m), (float) (1 - beta1)); // lerp_(g, 1 - beta1)
            v.mul_((float) beta2).add_(g.mul(g), (float) (1 - beta2));
            double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
            double stepSize = lr / bc1;
            float bc2Sqrt = (float) Math.sqrt(bc2);
            Tensor second = v;
            if (amsgrad) {
                Tensor vmax = st.get("max_exp_avg_sq");
                vmax.copy_(vmax.maximum(v));
                second = vmax;
            }
            Tensor denom = second.sqrt().div(bc2Sqrt).add((float) eps);
            p.sub_(m.div(denom), (float) stepSize);
        }
        FusedOps.adamForeach_(fused, (float) beta1, (float) beta2, stepSizes, bc2Sqrts, (float) eps);
    }
}
