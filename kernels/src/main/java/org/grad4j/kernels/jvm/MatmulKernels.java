package org.grad4j.kernels.jvm;

/**
 * Matrix product of one batch entry: {@code C = beta*C + alpha*A@B} with A m×k (any strides), B k×n
 * with unit column stride (the backend packs it otherwise), C contiguous. The i-p-j order streams
 * rows of B and C, so the inner loop is unit-stride and vectorisable.
 */
final class MatmulKernels {
    private MatmulKernels() {}

    static void gemm(
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int ars,
            int acs,
            float[] b,
            int bo,
            int brs,
            float[] c,
            int co,
            float alpha,
            float beta) {
        for (int i = 0; i < m; i++) {
            int ci = co + i * n;
            if (beta == 0f) {
                for (int j = 0; j < n; j++) c[ci + j] = 0f;
            } else if (beta != 1f) {
                for (int j = 0; j < n; j++) c[ci + j] *= beta;
            }
            int ai = ao + i * ars;
            for (int p = 0; p < k; p++) {
                float aip = alpha * a[ai + p * acs];
                int bp = bo + p * brs;
                for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
            }
        }
    }
}
