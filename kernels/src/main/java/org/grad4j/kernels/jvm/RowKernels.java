package org.grad4j.kernels.jvm;

/** Kernels over contiguous outer×size×inner blocks: softmax and index gather/scatter. */
final class RowKernels {
    private RowKernels() {}

    static void softmax(float[] x, int outer, int size, int inner, boolean log, float[] out) {
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * size * inner + in;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < size; s++) max = Math.max(max, x[base + s * inner]);
                if (max == Float.NEGATIVE_INFINITY || max != max) max = 0f; // all -inf or NaN: keep NaN/inf semantics
                double sum = 0;
                for (int s = 0; s < size; s++) sum += Math.exp(x[base + s * inner] - max);
                if (log) {
                    float lse = (float) Math.log(sum);
                    for (int s = 0; s < size; s++) out[base + s * inner] = x[base + s * inner] - max - lse;
                } else {
                    double inv = 1.0 / sum;
                    for (int s = 0; s < size; s++)
                        out[base + s * inner] = (float) (Math.exp(x[base + s * inner] - max) * inv);
                }
            }
        }
    }

    static void indexSelect(float[] x, int outer, int dimSize, int inner, int[] index, float[] out) {
        int n = index.length;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < n; i++) {
                System.arraycopy(x, (o * dimSize + index[i]) * inner, out, (o * n + i) * inner, inner);
            }
        }
    }

    static void indexAdd(float[] src, int outer, int dimSize, int inner, int[] index, float[] out) {
        int n = index.length;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < n; i++) {
                int s = (o * n + i) * inner, d = (o * dimSize + index[i]) * inner;
                for (int j = 0; j < inner; j++) out[d + j] += src[s + j];
            }
        }
    }
}
