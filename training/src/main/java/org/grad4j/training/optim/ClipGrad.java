package org.grad4j.training.optim;

import java.util.Collection;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/** {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}: in-place changes of the gradients. */
public final class ClipGrad {
    private ClipGrad() {}

    /** Scales the gradients so that their total 2-norm is at most {@code maxNorm}; returns the norm before clipping. */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2.0, false);
    }

    /**
     * The total norm is the {@code normType}-norm of all gradients as one vector (infinity: the largest
     * |g|). Each gradient is multiplied by {@code min(1, maxNorm / (total + 1e-6))}, as in PyTorch.
     *
     * @param errorIfNonfinite fail (changing nothing) when the total norm is NaN or infinite
     */
    public static double clipGradNorm(
            Collection<Tensor> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        if (!(normType > 0))
            throw new IllegalArgumentException("clipGradNorm: norm_type must be positive or infinity, got " + normType);
        double total = 0;
        boolean inf = Double.isInfinite(normType);
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            for (float v : g.toFloatArray()) {
                double a = Math.abs((double) v);
                if (inf) total = Math.max(total, a);
                else total += normType == 2 ? a * a : Math.pow(a, normType);
                if (Double.isNaN(a)) total = Double.NaN;
            }
        }
        if (!inf) total = normType == 2 ? Math.sqrt(total) : Math.pow(total, 1 / normType);
        if (errorIfNonfinite && !Double.isFinite(total)) {
            throw new IllegalStateException(
                    "clipGradNorm: the total norm of order " + normType + " for gradients from `parameters` is "
                            + "non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                            + "anyway, set errorIfNonfinite=false");
        }
        float coef = (float) Math.min(1.0, maxNorm / (total + 1e-6));
        try (var s = GradMode.noGrad()) {
            for (Tensor p : params) if (p.grad() != null) p.grad().mul_(coef);
        }
        return total;
    }

    /** Clamps every gradient element to [-clipValue, clipValue]. */
    public static void clipGradValue(Collection<Tensor> params, double clipValue) {
        if (!(clipValue >= 0))
            throw new IllegalArgumentException("clipGradValue: clip_value must be non-negative, got " + clipValue);
        float c = (float) clipValue;
        try (var s = GradMode.noGrad()) {
            for (Tensor p : params) if (p.grad() != null) p.grad().clamp_(-c, c);
        }
    }
}
