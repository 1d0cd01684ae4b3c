package org.grad4j.core;

import java.util.Arrays;

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
            if (t.offset != 0 || !t.isContiguous() || !Arrays.equals(t.shape, ts[0].shape) || t.backend() != ts[0].backend()) {
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
    public static void adam_(Tensor p, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float stepSize,
                             float bc2Sqrt, float eps) {
        Devices.checkSame(p, g);
        Devices.checkSame(p, m, v);
        if (!canFuse(p, g, m, v)) {
            throw new IllegalArgumentException("adam_: parameter, gradient and state must be dense tensors of one shape, got "
                    + Arrays.toString(p.shape) + ", " + Arrays.toString(g.shape) + ", " + Arrays.toString(m.shape) + ", "
                    + Arrays.toString(v.shape) + "; use the unfused update");
        }
        p.backend().adamStep(p.buffer, g.buffer, m.buffer, v.buffer, p.numel(), beta1, beta2, stepSize, bc2Sqrt, eps);
        p.version.value++;
        m.version.value++;
        v.version.value++;
    }

    /**
     * {@link #adam_} for several parameters of one device in one call (PyTorch's foreach Adam):
     * {@code ps[i]} is {p, g, m, v} of parameter i, with its own {@code stepSize[i]} and {@code bc2Sqrt[i]}.
     */
    public static void adamForeach_(java.util.List<Tensor[]> ps, float beta1, float beta2, float[] stepSize, float[] bc2Sqrt,
                                    float eps) {
        int count = ps.size();
        if (count == 0) return;
        org.grad4j.kernels.Buffer[] p = new org.grad4j.kernels.Buffer[count], g = p.clone(), m = p.clone(), v = p.clone();
        int[] n = new int[count];
        Tensor first = ps.get(0)[0];
        for (int i = 0; i < count; i++) {
            Tensor[] t = ps.get(i);
            Devices.checkSame(first, t[0], t[1], t[2], t[3]);
            if (!canFuse(t)) {
                throw new IllegalArgumentException("adamForeach_: parameter " + i + ", its gradient and state must be dense "
                        + "tensors of one shape, got " + Arrays.toString(t[0].shape) + ", " + Arrays.toString(t[1].shape) + ", "
                        + Arrays.toString(t[2].shape) + ", " + Arrays.toString(t[3].shape));
            }
            p[i] = t[0].buffer;
            g[i] = t[1].buffer;
            m[i] = t[2].buffer;
            v[i] = t[3].buffer;
            n[i] = t[0].numel();
        }
        first.backend().adamSteps(p, g, m, v, n, beta1, beta2, stepSize, bc2Sqrt, eps);
        for (Tensor[] t : ps) {
            t[0].version.value++;
            t[2].version.value++;
            t[3].version.value++;
        }
    }
}
