package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * The forward of a stride-1 convolution with few taps (a first layer: 1 or 3 channels), summed
 * straight from the zero-padded image: each output row, a vector of positions at a time, is the sum
 * over the taps of the weight times the padded image's run under it, written once. (As a matrix
 * product the weight has so few columns that each tile is stored after a handful of multiply-adds,
 * and dropping the padded grid's extra positions is a second pass over the layer's largest tensor.)
 */
final class FewTapsConv {
    private FewTapsConv() {}

    /**
     * Images {@code [n0, n1)}: {@code out[n] = weight ⊛ x[n] (+ bias)} on the padded grid g. Four
     * output channels at a time share the image's loads and run four independent chains of
     * multiply-adds (one chain would wait on each multiply-add's latency); a last group of fewer
     * channels repeats the last one. A row's last vector is the one ending at its end, overlapping the
     * one before (the same values written twice); rows narrower than a vector are masked.
     */
    static void forward(
            float[] x,
            int n0,
            int n1,
            ImplicitGemmConv.Grid g,
            float[] weight,
            int outChannels,
            float[] bias,
            float[] out) {
        float[] xp = ImplicitGemmConv.paddedBuffer(g);
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, k = g.k(), hp = g.hp(), wp = g.wp(), oh = g.oh(), ow = g.ow();
        int image = g.channels() * g.h() * g.w(), plane = oh * ow, outImage = outChannels * plane;
        int[] tap = new int[k]; // where tap t reads, from the output position's own offset
        for (int c = 0, t = 0; c < g.channels(); c++)
            for (int i = 0; i < g.kh(); i++) for (int j = 0; j < g.kw(); j++) tap[t++] = c * hp * wp + i * wp + j;
        boolean masked = ow < lanes;
        VectorMask<Float> narrow = sp.indexInRange(0, ow);
        int last = outChannels - 1;
        for (int n = n0; n < n1; n++) {
            ImplicitGemmConv.pad(x, n * image, g, xp);
            for (int o = 0; o < outChannels; o += 4) {
                int o1 = Math.min(o + 1, last), o2 = Math.min(o + 2, last), o3 = Math.min(o + 3, last);
                int w0 = o * k, w1 = o1 * k, w2 = o2 * k, w3 = o3 * k;
                float b0 = bias == null ? 0f : bias[o], b1 = bias == null ? 0f : bias[o1];
                float b2 = bias == null ? 0f : bias[o2], b3 = bias == null ? 0f : bias[o3];
                for (int oy = 0; oy < oh; oy++) {
                    int row = oy * wp, at = n * outImage + oy * ow;
                    for (int ox = 0; ; ox += lanes) {
                        int q = masked ? 0 : Math.min(ox, ow - lanes);
                        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
                        for (int t = 0; t < k; t++) {
                            FloatVector v = masked
                                    ? FloatVector.fromArray(sp, xp, row + tap[t], narrow)
                                    : FloatVector.fromArray(sp, xp, row + q + tap[t]);
                            a0 = v.fma(FloatVector.broadcast(sp, weight[w0 + t]), a0);
                            a1 = v.fma(FloatVector.broadcast(sp, weight[w1 + t]), a1);
                            a2 = v.fma(FloatVector.broadcast(sp, weight[w2 + t]), a2);
                            a3 = v.fma(FloatVector.broadcast(sp, weight[w3 + t]), a3);
                        }
                        if (masked) {
                            a0.add(b0).intoArray(out, at + o * plane, narrow);
                            a1.add(b1).intoArray(out, at + o1 * plane, narrow);
                            a2.add(b2).intoArray(out, at + o2 * plane, narrow);
                            a3.add(b3).intoArray(out, at + o3 * plane, narrow);
                            break;
                        }
                        a0.add(b0).intoArray(out, at + o * plane + q);
                        a1.add(b1).intoArray(out, at + o1 * plane + q);
                        a2.add(b2).intoArray(out, at + o2 * plane + q);
                        a3.add(b3).intoArray(out, at + o3 * plane + q);
                        if (q == ow - lanes) break;
                    }
                }
            }
        }
    }
}
