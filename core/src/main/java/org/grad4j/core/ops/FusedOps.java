package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.bumpVersion;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.Tensor;

/**
 * Fused, in-place optimizer updates (PyTorch's {@code _fused_adam_}): one kernel over a parameter and
 * its state instead of a dozen tensor ops, each allocating a tensor of the parameter's size. Never
 * recorded; bumps the version counters of what it writes.
 */
public final class FusedOps {
    private FusedOps() {}

    /** Whether {@link #adam_} can run on these tensors (same shape, dense from offset 0, one backend). */
    public static boolean canFuse(Tensor... ts) {
        for (Tensor t : ts) {
            if (t.storageOffset() != 0
                    || !t.isContiguous()
                    || !Arrays.equals(shape(t), shape(ts[0]))
                    || backend(t) != backend(ts[0])) {
                return false;
            }
        }
        return true;
    }

    /**
     * One Adam step: {@code m += (1-beta1)(g-m)}; {@code v = beta2 v + (1-beta2) g²};
     * {@code p -= stepSize * m / (sqrt(v)/bc2Sqrt + eps)} with {@code stepSize = lr / (1 - beta1^t)}
     * and {@code bc2Sqrt = sqrt(1 - beta2^t)}.
     */
    public static void adam_(
            Tensor p,
            Tensor g,
            Tensor m,
            Tensor v,
            float beta1,
            float beta2,
            float stepSize,
            float bc2Sqrt,
            float eps) {
        checkSameDevice(p, g);
        checkSameDevice(p, m, v);
        if (!canFuse(p, g, m, v)) {
            throw new IllegalArgumentException(
                    "adam_: parameter, gradient and state must be dense tensors of one shape, got "
                            + Arrays.toString(shape(p)) + ", " + Arrays.toString(shape(g)) + ", "
                            + Arrays.toString(shape(m)) + ", "
                            + Arrays.toString(shape(v)) + "; use the unfused update");
        }
        backend(p)
                .adamStep(buffer(p), buffer(g), buffer(m), buffer(v), p.numel(), beta1, beta2, stepSize, bc2Sqrt, eps);
        bumpVersion(p);
        bumpVersion(m);
        bumpVersion(v);
    }

    /**
     * {@link #adam_} for several parameters of one device in one call (PyTorch's foreach Adam):
     * {@code ps[i]} is {p, g, m, v} of parameter i, with its own {@code stepSize[i]} and {@code bc2Sqrt[i]}.
     */
    public static void adamForeach_(
            java.util.List<Tensor[]> ps, float beta1, float beta2, float[] stepSize, float[] bc2Sqrt, float eps) {
        int count = ps.size();
        if (count == 0) return;
        org.grad4j.kernels.Buffer[] p = new org.grad4j.kernels.Buffer[count],
                g = p.clone(),
                m = p.clone(),
                v = p.clone();
        int[] n = new int[count];
        Tensor first = ps.get(0)[0];
        for (int i = 0; i < count; i++) {
            Tensor[] t = ps.get(i);
            checkSameDevice(first, t[0], t[1], t[2], t[3]);
            if (!canFuse(t)) {
                throw new IllegalArgumentException(
                        "adamForeach_: parameter " + i + ", its gradient and state must be dense "
                                + "tensors of one shape, got " + Arrays.toString(shape(t[0])) + ", "
                                + Arrays.toString(shape(t[1])) + ", "
                                + Arrays.toString(shape(t[2])) + ", " + Arrays.toString(shape(t[3])));
            }
            p[i] = buffer(t[0]);
            g[i] = buffer(t[1]);
            m[i] = buffer(t[2]);
            v[i] = buffer(t[3]);
            n[i] = t[0].numel();
        }
        backend(first).adamSteps(p, g, m, v, n, beta1, beta2, stepSize, bc2Sqrt, eps);
        for (Tensor[] t : ps) {
            bumpVersion(t[0]);
            bumpVersion(t[2]);
            bumpVersion(t[3]);
        }
    }
}
