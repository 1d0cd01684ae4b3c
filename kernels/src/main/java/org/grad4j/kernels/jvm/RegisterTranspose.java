package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes by square blocks of one vector's lanes in registers: 16×16 with AVX-512's 16 float
 * lanes, 8×8 with AVX2's 8. Used for packing columns of a column-major matrix into the row-major
 * panel layout of {@link VectorGemm} (a Linear layer's {@code w.t()}: element by element, one store
 * per cache line touched, cost three times as much), transposed copies, and images between
 * channels-first and channels-last.
 *
 * <p>The transpose swaps off-diagonal blocks of 8 (16 lanes only), then 4, 2 and 1 lanes between row
 * pairs, each swap a two-vector {@code selectFrom} (one permute instruction). Written out in full on
 * purpose: an array of vectors is not kept in registers by C2 and runs twenty times slower.
 */
final class RegisterTranspose {
    private RegisterTranspose() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The side of the blocks, {@code L} × {@code L}: 16 or 8, or 0 for other widths (callers copy element by element). */
    static final int BLOCK = S.length() == 16 || S.length() == 8 ? S.length() : 0;
    /** For the swap of distance d (index s = log2 d): lanes of the first and of the second row after it. */
    private static final FloatVector F0 = first(0), F1 = first(1), F2 = first(2), F3 = first(3);

    private static final FloatVector S0 = second(0), S1 = second(1), S2 = second(2), S3 = second(3);

    /** Indexes into the concatenation (x, y) of the two rows: x's lanes where bit d is clear, y's shifted in. */
    private static FloatVector first(int s) {
        int d = 1 << s, n = S.length();
        float[] lanes = new float[n];
        for (int l = 0; l < n; l++) lanes[l] = (l & d) == 0 ? l : (n + l - d) % (2 * n);
        return FloatVector.fromArray(S, lanes, 0);
    }

    private static FloatVector second(int s) {
        int d = 1 << s, n = S.length();
        float[] lanes = new float[n];
        for (int l = 0; l < n; l++) lanes[l] = ((l & d) == 0 ? l + d : n + l) % (2 * n);
        return FloatVector.fromArray(S, lanes, 0);
    }

    /**
     * {@code dst[dstOffset + p*dstStride + j] = src[srcOffset + j*srcStride + p]} for j, p below
     * {@link #BLOCK}: that many source columns (each contiguous) become as many destination rows.
     */
    static void block(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int dstStride) {
        if (BLOCK == 16) block16(src, srcOffset, srcStride, dst, dstOffset, dstStride);
        else block8(src, srcOffset, srcStride, dst, dstOffset, dstStride);
    }

    private static void block8(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int dstStride) {
        FloatVector f0 = F0, f1 = F1, f2 = F2, s0 = S0, s1 = S1, s2 = S2;
        FloatVector r0 = FloatVector.fromArray(S, src, srcOffset);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOffset + srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOffset + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOffset + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(S, src, srcOffset + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(S, src, srcOffset + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(S, src, srcOffset + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(S, src, srcOffset + 7 * srcStride);
        // swap blocks of 4
        {
            FloatVector x = r0, y = r4;
            r0 = f2.selectFrom(x, y);
            r4 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r1, y = r5;
            r1 = f2.selectFrom(x, y);
            r5 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r2, y = r6;
            r2 = f2.selectFrom(x, y);
            r6 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r3, y = r7;
            r3 = f2.selectFrom(x, y);
            r7 = s2.selectFrom(x, y);
        }
        // swap blocks of 2
        {
            FloatVector x = r0, y = r2;
            r0 = f1.selectFrom(x, y);
            r2 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r1, y = r3;
            r1 = f1.selectFrom(x, y);
            r3 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r4, y = r6;
            r4 = f1.selectFrom(x, y);
            r6 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r5, y = r7;
            r5 = f1.selectFrom(x, y);
            r7 = s1.selectFrom(x, y);
        }
        // swap blocks of 1
        {
            FloatVector x = r0, y = r1;
            r0 = f0.selectFrom(x, y);
            r1 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r2, y = r3;
            r2 = f0.selectFrom(x, y);
            r3 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r4, y = r5;
            r4 = f0.selectFrom(x, y);
            r5 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r6, y = r7;
            r6 = f0.selectFrom(x, y);
            r7 = s0.selectFrom(x, y);
        }
        r0.intoArray(dst, dstOffset);
        r1.intoArray(dst, dstOffset + dstStride);
        r2.intoArray(dst, dstOffset + 2 * dstStride);
        r3.intoArray(dst, dstOffset + 3 * dstStride);
        r4.intoArray(dst, dstOffset + 4 * dstStride);
        r5.intoArray(dst, dstOffset + 5 * dstStride);
        r6.intoArray(dst, dstOffset + 6 * dstStride);
        r7.intoArray(dst, dstOffset + 7 * dstStride);
    }

    private static void block16(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int dstStride) {
        FloatVector f0 = F0, f1 = F1, f2 = F2, f3 = F3, s0 = S0, s1 = S1, s2 = S2, s3 = S3;
        FloatVector r0 = FloatVector.fromArray(S, src, srcOffset);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOffset + srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOffset + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOffset + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(S, src, srcOffset + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(S, src, srcOffset + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(S, src, srcOffset + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(S, src, srcOffset + 7 * srcStride);
        FloatVector r8 = FloatVector.fromArray(S, src, srcOffset + 8 * srcStride);
        FloatVector r9 = FloatVector.fromArray(S, src, srcOffset + 9 * srcStride);
        FloatVector r10 = FloatVector.fromArray(S, src, srcOffset + 10 * srcStride);
        FloatVector r11 = FloatVector.fromArray(S, src, srcOffset + 11 * srcStride);
        FloatVector r12 = FloatVector.fromArray(S, src, srcOffset + 12 * srcStride);
        FloatVector r13 = FloatVector.fromArray(S, src, srcOffset + 13 * srcStride);
        FloatVector r14 = FloatVector.fromArray(S, src, srcOffset + 14 * srcStride);
        FloatVector r15 = FloatVector.fromArray(S, src, srcOffset + 15 * srcStride);
        // swap blocks of 8
        {
            FloatVector x = r0, y = r8;
            r0 = f3.selectFrom(x, y);
            r8 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r1, y = r9;
            r1 = f3.selectFrom(x, y);
            r9 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r2, y = r10;
            r2 = f3.selectFrom(x, y);
            r10 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r3, y = r11;
            r3 = f3.selectFrom(x, y);
            r11 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r4, y = r12;
            r4 = f3.selectFrom(x, y);
            r12 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r5, y = r13;
            r5 = f3.selectFrom(x, y);
            r13 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r6, y = r14;
            r6 = f3.selectFrom(x, y);
            r14 = s3.selectFrom(x, y);
        }
        {
            FloatVector x = r7, y = r15;
            r7 = f3.selectFrom(x, y);
            r15 = s3.selectFrom(x, y);
        }
        // swap blocks of 4
        {
            FloatVector x = r0, y = r4;
            r0 = f2.selectFrom(x, y);
            r4 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r1, y = r5;
            r1 = f2.selectFrom(x, y);
            r5 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r2, y = r6;
            r2 = f2.selectFrom(x, y);
            r6 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r3, y = r7;
            r3 = f2.selectFrom(x, y);
            r7 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r8, y = r12;
            r8 = f2.selectFrom(x, y);
            r12 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r9, y = r13;
            r9 = f2.selectFrom(x, y);
            r13 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r10, y = r14;
            r10 = f2.selectFrom(x, y);
            r14 = s2.selectFrom(x, y);
        }
        {
            FloatVector x = r11, y = r15;
            r11 = f2.selectFrom(x, y);
            r15 = s2.selectFrom(x, y);
        }
        // swap blocks of 2
        {
            FloatVector x = r0, y = r2;
            r0 = f1.selectFrom(x, y);
            r2 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r1, y = r3;
            r1 = f1.selectFrom(x, y);
            r3 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r4, y = r6;
            r4 = f1.selectFrom(x, y);
            r6 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r5, y = r7;
            r5 = f1.selectFrom(x, y);
            r7 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r8, y = r10;
            r8 = f1.selectFrom(x, y);
            r10 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r9, y = r11;
            r9 = f1.selectFrom(x, y);
            r11 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r12, y = r14;
            r12 = f1.selectFrom(x, y);
            r14 = s1.selectFrom(x, y);
        }
        {
            FloatVector x = r13, y = r15;
            r13 = f1.selectFrom(x, y);
            r15 = s1.selectFrom(x, y);
        }
        // swap blocks of 1
        {
            FloatVector x = r0, y = r1;
            r0 = f0.selectFrom(x, y);
            r1 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r2, y = r3;
            r2 = f0.selectFrom(x, y);
            r3 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r4, y = r5;
            r4 = f0.selectFrom(x, y);
            r5 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r6, y = r7;
            r6 = f0.selectFrom(x, y);
            r7 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r8, y = r9;
            r8 = f0.selectFrom(x, y);
            r9 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r10, y = r11;
            r10 = f0.selectFrom(x, y);
            r11 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r12, y = r13;
            r12 = f0.selectFrom(x, y);
            r13 = s0.selectFrom(x, y);
        }
        {
            FloatVector x = r14, y = r15;
            r14 = f0.selectFrom(x, y);
            r15 = s0.selectFrom(x, y);
        }
        r0.intoArray(dst, dstOffset);
        r1.intoArray(dst, dstOffset + dstStride);
        r2.intoArray(dst, dstOffset + 2 * dstStride);
        r3.intoArray(dst, dstOffset + 3 * dstStride);
        r4.intoArray(dst, dstOffset + 4 * dstStride);
        r5.intoArray(dst, dstOffset + 5 * dstStride);
        r6.intoArray(dst, dstOffset + 6 * dstStride);
        r7.intoArray(dst, dstOffset + 7 * dstStride);
        r8.intoArray(dst, dstOffset + 8 * dstStride);
        r9.intoArray(dst, dstOffset + 9 * dstStride);
        r10.intoArray(dst, dstOffset + 10 * dstStride);
        r11.intoArray(dst, dstOffset + 11 * dstStride);
        r12.intoArray(dst, dstOffset + 12 * dstStride);
        r13.intoArray(dst, dstOffset + 13 * dstStride);
        r14.intoArray(dst, dstOffset + 14 * dstStride);
        r15.intoArray(dst, dstOffset + 15 * dstStride);
    }

    /**
     * {@code dst[dOff + p·ds + j] = src[so + j·ss + p]} for j < m, p < n: m source runs of n floats become
     * n destination runs of m; {@link #BLOCK}-square blocks in registers, the edges (or everything,
     * without them) element by element.
     */
    static void transpose(float[] src, int so, int ss, float[] dst, int dOff, int ds, int m, int n) {
        int j0 = 0, b = BLOCK;
        if (b > 0) {
            for (; j0 + b <= m; j0 += b) {
                int p = 0;
                for (; p + b <= n; p += b) block(src, so + j0 * ss + p, ss, dst, dOff + p * ds + j0, ds);
                for (; p < n; p++) for (int j = j0; j < j0 + b; j++) dst[dOff + p * ds + j] = src[so + j * ss + p];
            }
        }
        for (int j = j0; j < m; j++) for (int p = 0; p < n; p++) dst[dOff + p * ds + j] = src[so + j * ss + p];
    }
}
