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
     * one before (the same values written twice); rows narrower than a vector are masked. Nine taps
     * with 32 vector registers take {@link #nineTaps}.
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
        forward(x, n0, n1, g, weight, outChannels, bias, out, WEIGHTS_IN_REGISTERS);
    }

    /** {@link #forward}, taking {@link #nineTaps} where it applies only if {@code nineTapsAllowed} (tests compare). */
    static void forward(
            float[] x,
            int n0,
            int n1,
            ImplicitGemmConv.Grid g,
            float[] weight,
            int outChannels,
            float[] bias,
            float[] out,
            boolean nineTapsAllowed) {
        float[] xp = ImplicitGemmConv.paddedBuffer(g);
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, k = g.k(), hp = g.hp(), wp = g.wp(), oh = g.oh(), ow = g.ow();
        int image = g.channels() * g.h() * g.w(), plane = oh * ow, outImage = outChannels * plane;
        int[] tap = new int[k]; // where tap t reads, from the output position's own offset
        for (int c = 0, t = 0; c < g.channels(); c++)
            for (int i = 0; i < g.kh(); i++) for (int j = 0; j < g.kw(); j++) tap[t++] = c * hp * wp + i * wp + j;
        if (k == 9 && ow >= lanes && nineTapsAllowed) {
            nineTaps(x, n0, n1, g, weight, outChannels, bias, out, xp, tap);
            return;
        }
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

    /** Whether the JIT has 32 vector registers: room for {@link #nineTaps}'s eighteen weights. */
    private static final boolean WEIGHTS_IN_REGISTERS = CpuInfo.current().vectorRegisters() >= 32;

    /**
     * {@link #forward} for nine taps (a one-channel 3×3 window, or any other nine) with 32 vector
     * registers: two output channels' eighteen weights stay in registers for a whole image, where the
     * four-channel loop loads a broadcast weight for every multiply-add, and two vectors of a row run
     * side by side (four chains of multiply-adds). Each output sums the same products in the same
     * order: the same bits. A row's vectors go in pairs, an odd last one computed twice (the same
     * values written twice); the pairs' loop is outside the rows' (inside it, this ran no faster than
     * the four-channel loop: measured).
     */
    private static void nineTaps(
            float[] x,
            int n0,
            int n1,
            ImplicitGemmConv.Grid g,
            float[] weight,
            int outChannels,
            float[] bias,
            float[] out,
            float[] xp,
            int[] tap) {
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, wp = g.wp(), oh = g.oh(), ow = g.ow();
        int image = g.channels() * g.h() * g.w(), plane = oh * ow, outImage = outChannels * plane;
        int vectors = (ow + lanes - 1) / lanes, last = outChannels - 1;
        int t0 = tap[0], t1 = tap[1], t2 = tap[2], t3 = tap[3], t4 = tap[4];
        int t5 = tap[5], t6 = tap[6], t7 = tap[7], t8 = tap[8];
        for (int n = n0; n < n1; n++) {
            ImplicitGemmConv.pad(x, n * image, g, xp);
            for (int o = 0; o < outChannels; o += 2) {
                int o1 = Math.min(o + 1, last), w0 = o * 9, w1 = o1 * 9;
                int c0 = n * outImage + o * plane, c1 = n * outImage + o1 * plane;
                float bias0 = bias == null ? 0f : bias[o], bias1 = bias == null ? 0f : bias[o1];
                FloatVector u0 = FloatVector.broadcast(sp, weight[w0]), v0 = FloatVector.broadcast(sp, weight[w1]);
                FloatVector u1 = FloatVector.broadcast(sp, weight[w0 + 1]),
                        v1 = FloatVector.broadcast(sp, weight[w1 + 1]);
                FloatVector u2 = FloatVector.broadcast(sp, weight[w0 + 2]),
                        v2 = FloatVector.broadcast(sp, weight[w1 + 2]);
                FloatVector u3 = FloatVector.broadcast(sp, weight[w0 + 3]),
                        v3 = FloatVector.broadcast(sp, weight[w1 + 3]);
                FloatVector u4 = FloatVector.broadcast(sp, weight[w0 + 4]),
                        v4 = FloatVector.broadcast(sp, weight[w1 + 4]);
                FloatVector u5 = FloatVector.broadcast(sp, weight[w0 + 5]),
                        v5 = FloatVector.broadcast(sp, weight[w1 + 5]);
                FloatVector u6 = FloatVector.broadcast(sp, weight[w0 + 6]),
                        v6 = FloatVector.broadcast(sp, weight[w1 + 6]);
                FloatVector u7 = FloatVector.broadcast(sp, weight[w0 + 7]),
                        v7 = FloatVector.broadcast(sp, weight[w1 + 7]);
                FloatVector u8 = FloatVector.broadcast(sp, weight[w0 + 8]),
                        v8 = FloatVector.broadcast(sp, weight[w1 + 8]);
                for (int pair = 0; pair < vectors; pair += 2) {
                    int qa = Math.min(pair * lanes, ow - lanes), qb = Math.min(qa + lanes, ow - lanes);
                    for (int oy = 0; oy < oh; oy++) {
                        int ra = oy * wp + qa, rb = oy * wp + qb, at = oy * ow;
                        FloatVector zero = FloatVector.zero(sp);
                        FloatVector xa = FloatVector.fromArray(sp, xp, ra + t0);
                        FloatVector xb = FloatVector.fromArray(sp, xp, rb + t0);
                        FloatVector a0 = xa.fma(u0, zero), b0 = xb.fma(u0, zero);
                        FloatVector a1 = xa.fma(v0, zero), b1 = xb.fma(v0, zero);
                        xa = FloatVector.fromArray(sp, xp, ra + t1);
                        xb = FloatVector.fromArray(sp, xp, rb + t1);
                        a0 = xa.fma(u1, a0);
                        b0 = xb.fma(u1, b0);
                        a1 = xa.fma(v1, a1);
                        b1 = xb.fma(v1, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t2);
                        xb = FloatVector.fromArray(sp, xp, rb + t2);
                        a0 = xa.fma(u2, a0);
                        b0 = xb.fma(u2, b0);
                        a1 = xa.fma(v2, a1);
                        b1 = xb.fma(v2, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t3);
                        xb = FloatVector.fromArray(sp, xp, rb + t3);
                        a0 = xa.fma(u3, a0);
                        b0 = xb.fma(u3, b0);
                        a1 = xa.fma(v3, a1);
                        b1 = xb.fma(v3, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t4);
                        xb = FloatVector.fromArray(sp, xp, rb + t4);
                        a0 = xa.fma(u4, a0);
                        b0 = xb.fma(u4, b0);
                        a1 = xa.fma(v4, a1);
                        b1 = xb.fma(v4, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t5);
                        xb = FloatVector.fromArray(sp, xp, rb + t5);
                        a0 = xa.fma(u5, a0);
                        b0 = xb.fma(u5, b0);
                        a1 = xa.fma(v5, a1);
                        b1 = xb.fma(v5, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t6);
                        xb = FloatVector.fromArray(sp, xp, rb + t6);
                        a0 = xa.fma(u6, a0);
                        b0 = xb.fma(u6, b0);
                        a1 = xa.fma(v6, a1);
                        b1 = xb.fma(v6, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t7);
                        xb = FloatVector.fromArray(sp, xp, rb + t7);
                        a0 = xa.fma(u7, a0);
                        b0 = xb.fma(u7, b0);
                        a1 = xa.fma(v7, a1);
                        b1 = xb.fma(v7, b1);
                        xa = FloatVector.fromArray(sp, xp, ra + t8);
                        xb = FloatVector.fromArray(sp, xp, rb + t8);
                        a0 = xa.fma(u8, a0);
                        b0 = xb.fma(u8, b0);
                        a1 = xa.fma(v8, a1);
                        b1 = xb.fma(v8, b1);
                        a0.add(bias0).intoArray(out, c0 + at + qa);
                        b0.add(bias0).intoArray(out, c0 + at + qb);
                        a1.add(bias1).intoArray(out, c1 + at + qa);
                        b1.add(bias1).intoArray(out, c1 + at + qb);
                    }
                }
            }
        }
    }
}
