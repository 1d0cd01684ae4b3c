package org.grad4j.core.tools;

import static org.grad4j.core.TensorInternals.newOf;

import java.util.Arrays;
import java.util.function.Function;
import org.grad4j.core.Autograd;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * Checks backward rules against central finite differences ({@code torch.autograd.gradcheck}).
 *
 * <p>Grad4j computes in float32, so the check is honest for float32: the function is projected onto
 * a random direction {@code v} (one vector-Jacobian product per check), perturbations are
 * {@code eps = 1e-3}, sums are taken in double, and the analytic and numeric values must agree to
 * {@code atol + rtol * max(|analytic|, |numeric|)}. Inputs must be leaves; to check an op on
 * non-contiguous inputs, make the view inside {@code fn} (e.g. {@code x -> op(x.t())}).
 */
public final class GradCheck {
    private GradCheck() {}

    public static final float EPS = 1e-3f;
    public static final double ATOL = 2e-3, RTOL = 1e-2;

    /** Throws AssertionError with the first mismatching element when the gradients disagree. */
    public static void check(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        check(fn, EPS, ATOL, RTOL, inputs);
    }

    public static void check(Function<Tensor[], Tensor> fn, float eps, double atol, double rtol, Tensor... inputs) {
        for (Tensor x : inputs) {
            if (!x.requiresGrad() || !x.isLeaf()) {
                throw new IllegalArgumentException("gradcheck: inputs must be leaves with requiresGrad(true)");
            }
        }
        Generator gen = new Generator(1234);
        Tensor out = fn.apply(inputs);
        Tensor v = Tensor.randn(gen, out.shape()).to(out.device());
        Tensor[] analytic = Autograd.grad(new Tensor[] {out}, inputs, new Tensor[] {v}, false, false, true);
        float[] vv = v.toFloatArray();
        for (int i = 0; i < inputs.length; i++) {
            float[] a = analytic[i] == null ? new float[inputs[i].numel()] : analytic[i].toFloatArray();
            float[] n = numericGradient(fn, inputs, i, vv, eps);
            compare("gradient of input " + i, a, n, atol, rtol, inputs[i].shape());
        }
    }

    /**
     * Checks second derivatives: the gradient (computed with createGraph) projected on a random
     * {@code u} is differentiated again and compared with finite differences of it.
     */
    public static void gradgradcheck(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        Generator gen = new Generator(4321);
        Tensor out0 = fn.apply(inputs);
        Tensor v = Tensor.randn(gen, out0.shape()).to(out0.device());
        Tensor[] us = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++)
            us[i] = Tensor.randn(gen, inputs[i].shape()).to(inputs[i].device());
        Function<Tensor[], Tensor> firstOrder = xs -> {
            // the first-order gradient needs a graph even where the numeric pass evaluates this in no-grad mode
            try (var mode = GradMode.enableGrad()) {
                Tensor out = fn.apply(xs);
                Tensor[] g = Autograd.grad(new Tensor[] {out}, xs, new Tensor[] {v}, true, true, true);
                Tensor s = null;
                for (int i = 0; i < xs.length; i++) {
                    if (g[i] == null || !g[i].requiresGrad()) continue;
                    Tensor term = g[i].mul(us[i]).sum();
                    s = s == null ? term : s.add(term);
                }
                return s == null ? xs[0].mul(0f).sum() : s;
            }
        };
        check(firstOrder, 2e-3f, 5e-3, 2e-2, inputs);
    }

    private static float[] numericGradient(
            Function<Tensor[], Tensor> fn, Tensor[] inputs, int which, float[] v, float eps) {
        Tensor x = inputs[which];
        Tensor raw = x.data(); // untracked writes: perturbing must not disturb autograd's version checks
        float[] base = raw.toFloatArray();
        float[] grad = new float[base.length];
        try (var s = GradMode.noGrad()) {
            for (int j = 0; j < base.length; j++) {
                float[] p = base.clone();
                p[j] = base[j] + eps;
                raw.copy_(newOf(x, p, x.shape()));
                double plus = dot(fn.apply(inputs).toFloatArray(), v);
                p[j] = base[j] - eps;
                raw.copy_(newOf(x, p, x.shape()));
                double minus = dot(fn.apply(inputs).toFloatArray(), v);
                grad[j] = (float) ((plus - minus) / (2.0 * eps));
            }
            raw.copy_(newOf(x, base, x.shape()));
        }
        return grad;
    }

    private static double dot(float[] a, float[] v) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * (v.length == 1 ? v[0] : v[i]);
        return s;
    }

    private static void compare(String what, float[] a, float[] n, double atol, double rtol, int[] shape) {
        for (int j = 0; j < a.length; j++) {
            double tol = atol + rtol * Math.max(Math.abs(a[j]), Math.abs(n[j]));
            if (!(Math.abs(a[j] - n[j]) <= tol)) {
                throw new AssertionError(
                        "gradcheck: " + what + " (shape " + Arrays.toString(shape) + ") differs at element " + j
                                + ": analytic " + a[j] + " vs numeric " + n[j] + "\n analytic=" + Arrays.toString(a)
                                + "\n numeric =" + Arrays.toString(n));
            }
        }
    }
}
