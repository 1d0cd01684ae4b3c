package org.grad4j.kernels.jvm;

/**
 * Fused optimizer updates: one pass over the parameter and its state. The arithmetic is written in
 * the same order, with the same float roundings, as the equivalent sequence of tensor ops.
 */
final class OptimizerKernels {
    private OptimizerKernels() {}

    static void adam(
            float[] p,
            float[] g,
            float[] m,
            float[] v,
            int from,
            int to,
            float beta1,
            float beta2,
            float stepSize,
            float bc2Sqrt,
            float eps) {
        float a1 = 1f - beta1, a2 = 1f - beta2;
        for (int i = from; i < to; i++) {
            float gi = g[i];
            float mi = m[i] + a1 * (gi - m[i]); // m.lerp_(g, 1 - beta1)
            float vi = v[i] * beta2 + a2 * (gi * gi); // v.mul_(beta2).add_(g*g, 1 - beta2)
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] - stepSize * (mi / denom);
        }
    }
}
