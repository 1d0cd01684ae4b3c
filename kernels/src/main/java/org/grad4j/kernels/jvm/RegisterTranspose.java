package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes by square blocks of one vector's lanes in registers: 16×16 with AVX-512's 16 float
 * lanes, 8×8 with AVX2's 8. Used for packing columns of a column-major matrix into the row-major
 * panel layout of {@link VectorGemm} (a Linear layer's {@code w.t()}: element by element, one store
 * per cache line touched, cost three times as much), transposed copies, and images between
 * channels-first and channels-last.
 *
 * <p>The transpose swaps off-diagonal blocks of 4, 2 and 1 lanes between row pairs, then of 8 (16 lanes
 * only), each swap a two-vector {@code selectFrom} (one permute instruction). Written out in full on
 * purpose: an array of vectors is not kept in registers by C2 and runs twenty times slower. {@link
 * #panel8} is the same idea for the 8-row panels of a row-major A.
 */
final class RegisterTranspose {
    private RegisterTranspose() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The side of the blocks, {@code L} × {@code L}: 16 or 8, or 0 for other widths (callers copy element by element). */
    static final int BLOCK = S.length() == 16 || S.length() == 8 ? S.length() : 0;
    /**
     * For the swap of distance d (index s = log2 d): lanes of the first and of the second row after it.
     * The rows are swapped as ints: float indexes cost C2 a conversion (and its NaN fix-up) at each use.
     */
    private static final IntVector I0 = ints(first(0)), I1 = ints(first(1)), I2 = ints(first(2)), I3 = ints(first(3));

    private static final IntVector J0 = ints(second(0)),
            J1 = ints(second(1)),
            J2 = ints(second(2)),
            J3 = ints(second(3));

    /** The last swap of {@link #panel8}: rows 4 apart, and each lane's bits turned from (p3 i1 i0 p0) to (p0 i2 i1 i0). */
    private static final IntVector K0 = ints(panelLast(0)), K1 = ints(panelLast(1));

    /**
     * {@link #panel5}: output vector q's lane l is panel element f = 8q + l, row f % 5 of column f / 5;
     * {@code P5q} picks each lane's column from a row, {@code Mqi} marks the lanes that take row i.
     */
    private static final IntVector P50 = ints(panel5Columns(0)),
            P51 = ints(panel5Columns(1)),
            P52 = ints(panel5Columns(2)),
            P53 = ints(panel5Columns(3)),
            P54 = ints(panel5Columns(4));

    private static final VectorMask<Integer> M01 = panel5Row(0, 1),
            M02 = panel5Row(0, 2),
            M03 = panel5Row(0, 3),
            M04 = panel5Row(0, 4),
            M11 = panel5Row(1, 1),
            M12 = panel5Row(1, 2),
            M13 = panel5Row(1, 3),
            M14 = panel5Row(1, 4),
            M21 = panel5Row(2, 1),
            M22 = panel5Row(2, 2),
            M23 = panel5Row(2, 3),
            M24 = panel5Row(2, 4),
            M31 = panel5Row(3, 1),
            M32 = panel5Row(3, 2),
            M33 = panel5Row(3, 3),
            M34 = panel5Row(3, 4),
            M41 = panel5Row(4, 1),
            M42 = panel5Row(4, 2),
            M43 = panel5Row(4, 3),
            M44 = panel5Row(4, 4);

    /** Indexes into the concatenation (x, y) of the two rows: x's lanes where bit d is clear, y's shifted in. */
    private static int[] first(int s) {
        int d = 1 << s, n = S.length();
        int[] lanes = new int[n];
        for (int l = 0; l < n; l++) lanes[l] = (l & d) == 0 ? l : (n + l - d) % (2 * n);
        return lanes;
    }

    private static int[] second(int s) {
        int d = 1 << s, n = S.length();
        int[] lanes = new int[n];
        for (int l = 0; l < n; l++) lanes[l] = ((l & d) == 0 ? l + d : n + l) % (2 * n);
        return lanes;
    }

    private static int[] panelLast(int c) {
        int n = S.length();
        int[] lanes = new int[n];
        for (int l = 0; l < n && n == 16; l++)
            lanes[l] = ((l >> 2) & 1) * n + c * 8 + ((l >> 1) & 1) * 4 + (l & 1) * 2 + (l >> 3);
        return lanes;
    }

    private static int[] panel5Columns(int q) {
        int[] lanes = new int[S.length()];
        for (int l = 0; l < lanes.length && lanes.length == 8; l++) lanes[l] = (8 * q + l) / 5;
        return lanes;
    }

    private static VectorMask<Integer> panel5Row(int q, int i) {
        boolean[] set = new boolean[S.length()];
        for (int l = 0; l < set.length && set.length == 8; l++) set[l] = (8 * q + l) % 5 == i;
        return VectorMask.fromArray(S.withLanes(int.class), set, 0);
    }

    private static IntVector ints(int[] lanes) {
        return IntVector.fromArray(S.withLanes(int.class), lanes, 0);
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
        IntVector f0 = I0, f1 = I1, f2 = I2, s0 = J0, s1 = J1, s2 = J2;
        IntVector r0 = FloatVector.fromArray(S, src, srcOffset).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(S, src, srcOffset + srcStride).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(S, src, srcOffset + 2 * srcStride).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(S, src, srcOffset + 3 * srcStride).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(S, src, srcOffset + 4 * srcStride).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(S, src, srcOffset + 5 * srcStride).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(S, src, srcOffset + 6 * srcStride).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(S, src, srcOffset + 7 * srcStride).reinterpretAsInts();
        // swap blocks of 4
        {
            IntVector x = r0, y = r4;
            r0 = f2.selectFrom(x, y);
            r4 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r1, y = r5;
            r1 = f2.selectFrom(x, y);
            r5 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r2, y = r6;
            r2 = f2.selectFrom(x, y);
            r6 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r3, y = r7;
            r3 = f2.selectFrom(x, y);
            r7 = s2.selectFrom(x, y);
        }
        // swap blocks of 2
        {
            IntVector x = r0, y = r2;
            r0 = f1.selectFrom(x, y);
            r2 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r1, y = r3;
            r1 = f1.selectFrom(x, y);
            r3 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r4, y = r6;
            r4 = f1.selectFrom(x, y);
            r6 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r5, y = r7;
            r5 = f1.selectFrom(x, y);
            r7 = s1.selectFrom(x, y);
        }
        // swap blocks of 1
        {
            IntVector x = r0, y = r1;
            r0 = f0.selectFrom(x, y);
            r1 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r2, y = r3;
            r2 = f0.selectFrom(x, y);
            r3 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r4, y = r5;
            r4 = f0.selectFrom(x, y);
            r5 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r6, y = r7;
            r6 = f0.selectFrom(x, y);
            r7 = s0.selectFrom(x, y);
        }
        r0.reinterpretAsFloats().intoArray(dst, dstOffset);
        r1.reinterpretAsFloats().intoArray(dst, dstOffset + dstStride);
        r2.reinterpretAsFloats().intoArray(dst, dstOffset + 2 * dstStride);
        r3.reinterpretAsFloats().intoArray(dst, dstOffset + 3 * dstStride);
        r4.reinterpretAsFloats().intoArray(dst, dstOffset + 4 * dstStride);
        r5.reinterpretAsFloats().intoArray(dst, dstOffset + 5 * dstStride);
        r6.reinterpretAsFloats().intoArray(dst, dstOffset + 6 * dstStride);
        r7.reinterpretAsFloats().intoArray(dst, dstOffset + 7 * dstStride);
    }

    private static void block16(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int dstStride) {
        IntVector f0 = I0, f1 = I1, f2 = I2, f3 = I3, s0 = J0, s1 = J1, s2 = J2, s3 = J3;
        // The four swaps commute: rows 0-7 and then rows 8-15 take the swaps of 4, 2 and 1 on their own,
        // the swap of 8 pairs them last. Eight rows and six indexes live at a time: sixteen rows and
        // eight indexes, with the copies each permute makes of its index, did not fit 32 registers.
        IntVector r0 = FloatVector.fromArray(S, src, srcOffset).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(S, src, srcOffset + srcStride).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(S, src, srcOffset + 2 * srcStride).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(S, src, srcOffset + 3 * srcStride).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(S, src, srcOffset + 4 * srcStride).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(S, src, srcOffset + 5 * srcStride).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(S, src, srcOffset + 6 * srcStride).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(S, src, srcOffset + 7 * srcStride).reinterpretAsInts();
        // rows 0-7: swap blocks of 4
        {
            IntVector x = r0, y = r4;
            r0 = f2.selectFrom(x, y);
            r4 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r1, y = r5;
            r1 = f2.selectFrom(x, y);
            r5 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r2, y = r6;
            r2 = f2.selectFrom(x, y);
            r6 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r3, y = r7;
            r3 = f2.selectFrom(x, y);
            r7 = s2.selectFrom(x, y);
        }
        // rows 0-7: swap blocks of 2
        {
            IntVector x = r0, y = r2;
            r0 = f1.selectFrom(x, y);
            r2 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r1, y = r3;
            r1 = f1.selectFrom(x, y);
            r3 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r4, y = r6;
            r4 = f1.selectFrom(x, y);
            r6 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r5, y = r7;
            r5 = f1.selectFrom(x, y);
            r7 = s1.selectFrom(x, y);
        }
        // rows 0-7: swap blocks of 1
        {
            IntVector x = r0, y = r1;
            r0 = f0.selectFrom(x, y);
            r1 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r2, y = r3;
            r2 = f0.selectFrom(x, y);
            r3 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r4, y = r5;
            r4 = f0.selectFrom(x, y);
            r5 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r6, y = r7;
            r6 = f0.selectFrom(x, y);
            r7 = s0.selectFrom(x, y);
        }
        IntVector r8 = FloatVector.fromArray(S, src, srcOffset + 8 * srcStride).reinterpretAsInts();
        IntVector r9 = FloatVector.fromArray(S, src, srcOffset + 9 * srcStride).reinterpretAsInts();
        IntVector r10 =
                FloatVector.fromArray(S, src, srcOffset + 10 * srcStride).reinterpretAsInts();
        IntVector r11 =
                FloatVector.fromArray(S, src, srcOffset + 11 * srcStride).reinterpretAsInts();
        IntVector r12 =
                FloatVector.fromArray(S, src, srcOffset + 12 * srcStride).reinterpretAsInts();
        IntVector r13 =
                FloatVector.fromArray(S, src, srcOffset + 13 * srcStride).reinterpretAsInts();
        IntVector r14 =
                FloatVector.fromArray(S, src, srcOffset + 14 * srcStride).reinterpretAsInts();
        IntVector r15 =
                FloatVector.fromArray(S, src, srcOffset + 15 * srcStride).reinterpretAsInts();
        // rows 8-15: swap blocks of 4
        {
            IntVector x = r8, y = r12;
            r8 = f2.selectFrom(x, y);
            r12 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r9, y = r13;
            r9 = f2.selectFrom(x, y);
            r13 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r10, y = r14;
            r10 = f2.selectFrom(x, y);
            r14 = s2.selectFrom(x, y);
        }
        {
            IntVector x = r11, y = r15;
            r11 = f2.selectFrom(x, y);
            r15 = s2.selectFrom(x, y);
        }
        // rows 8-15: swap blocks of 2
        {
            IntVector x = r8, y = r10;
            r8 = f1.selectFrom(x, y);
            r10 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r9, y = r11;
            r9 = f1.selectFrom(x, y);
            r11 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r12, y = r14;
            r12 = f1.selectFrom(x, y);
            r14 = s1.selectFrom(x, y);
        }
        {
            IntVector x = r13, y = r15;
            r13 = f1.selectFrom(x, y);
            r15 = s1.selectFrom(x, y);
        }
        // rows 8-15: swap blocks of 1
        {
            IntVector x = r8, y = r9;
            r8 = f0.selectFrom(x, y);
            r9 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r10, y = r11;
            r10 = f0.selectFrom(x, y);
            r11 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r12, y = r13;
            r12 = f0.selectFrom(x, y);
            r13 = s0.selectFrom(x, y);
        }
        {
            IntVector x = r14, y = r15;
            r14 = f0.selectFrom(x, y);
            r15 = s0.selectFrom(x, y);
        }
        // swap blocks of 8, each pair stored as it is done
        {
            IntVector x = r0, y = r8;
            r0 = f3.selectFrom(x, y);
            r8 = s3.selectFrom(x, y);
        }
        r0.reinterpretAsFloats().intoArray(dst, dstOffset);
        r8.reinterpretAsFloats().intoArray(dst, dstOffset + 8 * dstStride);
        {
            IntVector x = r1, y = r9;
            r1 = f3.selectFrom(x, y);
            r9 = s3.selectFrom(x, y);
        }
        r1.reinterpretAsFloats().intoArray(dst, dstOffset + dstStride);
        r9.reinterpretAsFloats().intoArray(dst, dstOffset + 9 * dstStride);
        {
            IntVector x = r2, y = r10;
            r2 = f3.selectFrom(x, y);
            r10 = s3.selectFrom(x, y);
        }
        r2.reinterpretAsFloats().intoArray(dst, dstOffset + 2 * dstStride);
        r10.reinterpretAsFloats().intoArray(dst, dstOffset + 10 * dstStride);
        {
            IntVector x = r3, y = r11;
            r3 = f3.selectFrom(x, y);
            r11 = s3.selectFrom(x, y);
        }
        r3.reinterpretAsFloats().intoArray(dst, dstOffset + 3 * dstStride);
        r11.reinterpretAsFloats().intoArray(dst, dstOffset + 11 * dstStride);
        {
            IntVector x = r4, y = r12;
            r4 = f3.selectFrom(x, y);
            r12 = s3.selectFrom(x, y);
        }
        r4.reinterpretAsFloats().intoArray(dst, dstOffset + 4 * dstStride);
        r12.reinterpretAsFloats().intoArray(dst, dstOffset + 12 * dstStride);
        {
            IntVector x = r5, y = r13;
            r5 = f3.selectFrom(x, y);
            r13 = s3.selectFrom(x, y);
        }
        r5.reinterpretAsFloats().intoArray(dst, dstOffset + 5 * dstStride);
        r13.reinterpretAsFloats().intoArray(dst, dstOffset + 13 * dstStride);
        {
            IntVector x = r6, y = r14;
            r6 = f3.selectFrom(x, y);
            r14 = s3.selectFrom(x, y);
        }
        r6.reinterpretAsFloats().intoArray(dst, dstOffset + 6 * dstStride);
        r14.reinterpretAsFloats().intoArray(dst, dstOffset + 14 * dstStride);
        {
            IntVector x = r7, y = r15;
            r7 = f3.selectFrom(x, y);
            r15 = s3.selectFrom(x, y);
        }
        r7.reinterpretAsFloats().intoArray(dst, dstOffset + 7 * dstStride);
        r15.reinterpretAsFloats().intoArray(dst, dstOffset + 15 * dstStride);
    }

    /**
     * Eight rows into one 8-row panel of {@link VectorGemm} (16 lanes only), sixteen columns at a time:
     * {@code dst[dstOffset + p*8 + i] = src[srcOffset + i*srcStride + p]} for i < 8 and p below
     * {@code columns} rounded down to 16, which is returned. Three
     * swaps of row and lane bits, the last one also ordering the lanes so that each vector is two
     * whole panel rows: eight stores, no tile in between, and eight rows and six indexes in registers.
     */
    static int panel8(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int columns) {
        IntVector f1 = I1, s1 = J1, f2 = I2, s2 = J2, k0 = K0, k1 = K1;
        int done = columns & ~15;
        for (int p = 0; p < done; p += 16) {
            IntVector r0 = FloatVector.fromArray(S, src, srcOffset + p).reinterpretAsInts();
            IntVector r1 =
                    FloatVector.fromArray(S, src, srcOffset + p + srcStride).reinterpretAsInts();
            IntVector r2 =
                    FloatVector.fromArray(S, src, srcOffset + p + 2 * srcStride).reinterpretAsInts();
            IntVector r3 =
                    FloatVector.fromArray(S, src, srcOffset + p + 3 * srcStride).reinterpretAsInts();
            IntVector r4 =
                    FloatVector.fromArray(S, src, srcOffset + p + 4 * srcStride).reinterpretAsInts();
            IntVector r5 =
                    FloatVector.fromArray(S, src, srcOffset + p + 5 * srcStride).reinterpretAsInts();
            IntVector r6 =
                    FloatVector.fromArray(S, src, srcOffset + p + 6 * srcStride).reinterpretAsInts();
            IntVector r7 =
                    FloatVector.fromArray(S, src, srcOffset + p + 7 * srcStride).reinterpretAsInts();
            // row bit 0 with lane bit 1
            {
                IntVector x = r0, y = r1;
                r0 = f1.selectFrom(x, y);
                r1 = s1.selectFrom(x, y);
            }
            {
                IntVector x = r2, y = r3;
                r2 = f1.selectFrom(x, y);
                r3 = s1.selectFrom(x, y);
            }
            {
                IntVector x = r4, y = r5;
                r4 = f1.selectFrom(x, y);
                r5 = s1.selectFrom(x, y);
            }
            {
                IntVector x = r6, y = r7;
                r6 = f1.selectFrom(x, y);
                r7 = s1.selectFrom(x, y);
            }
            // row bit 1 with lane bit 2
            {
                IntVector x = r0, y = r2;
                r0 = f2.selectFrom(x, y);
                r2 = s2.selectFrom(x, y);
            }
            {
                IntVector x = r1, y = r3;
                r1 = f2.selectFrom(x, y);
                r3 = s2.selectFrom(x, y);
            }
            {
                IntVector x = r4, y = r6;
                r4 = f2.selectFrom(x, y);
                r6 = s2.selectFrom(x, y);
            }
            {
                IntVector x = r5, y = r7;
                r5 = f2.selectFrom(x, y);
                r7 = s2.selectFrom(x, y);
            }
            // row bit 2 with lane bit 3, the lanes reordered; vector v then holds panel rows 2v and 2v + 1
            {
                IntVector x = r0, y = r4;
                r0 = k0.selectFrom(x, y);
                r4 = k1.selectFrom(x, y);
            }
            {
                IntVector x = r1, y = r5;
                r1 = k0.selectFrom(x, y);
                r5 = k1.selectFrom(x, y);
            }
            {
                IntVector x = r2, y = r6;
                r2 = k0.selectFrom(x, y);
                r6 = k1.selectFrom(x, y);
            }
            {
                IntVector x = r3, y = r7;
                r3 = k0.selectFrom(x, y);
                r7 = k1.selectFrom(x, y);
            }
            r0.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8);
            r1.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 16);
            r2.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 32);
            r3.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 48);
            r4.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 64);
            r5.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 80);
            r6.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 96);
            r7.reinterpretAsFloats().intoArray(dst, dstOffset + p * 8 + 112);
        }
        return done;
    }

    /**
     * Five rows into a 5-row panel of {@link VectorGemm} (8 lanes only, for its 5 × 2L kernel), eight
     * columns at a time: {@code dst[dstOffset + p*5 + i] = src[srcOffset + i*srcStride + p]} for i < 5
     * and p below {@code columns} rounded down to 8, which is returned. Each output vector takes its
     * lanes from all five rows: a permute per row, then blends. The loop is here, not in the caller,
     * so that C2 keeps the constants in registers across it.
     */
    static int panel5(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int columns) {
        int done = columns & ~7;
        for (int p = 0; p < done; p += 8) {
            IntVector r0 = FloatVector.fromArray(S, src, srcOffset + p).reinterpretAsInts();
            IntVector r1 =
                    FloatVector.fromArray(S, src, srcOffset + p + srcStride).reinterpretAsInts();
            IntVector r2 =
                    FloatVector.fromArray(S, src, srcOffset + p + 2 * srcStride).reinterpretAsInts();
            IntVector r3 =
                    FloatVector.fromArray(S, src, srcOffset + p + 3 * srcStride).reinterpretAsInts();
            IntVector r4 =
                    FloatVector.fromArray(S, src, srcOffset + p + 4 * srcStride).reinterpretAsInts();
            P50.selectFrom(r0)
                    .blend(P50.selectFrom(r1), M01)
                    .blend(P50.selectFrom(r2), M02)
                    .blend(P50.selectFrom(r3), M03)
                    .blend(P50.selectFrom(r4), M04)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + p * 5);
            P51.selectFrom(r0)
                    .blend(P51.selectFrom(r1), M11)
                    .blend(P51.selectFrom(r2), M12)
                    .blend(P51.selectFrom(r3), M13)
                    .blend(P51.selectFrom(r4), M14)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + p * 5 + 8);
            P52.selectFrom(r0)
                    .blend(P52.selectFrom(r1), M21)
                    .blend(P52.selectFrom(r2), M22)
                    .blend(P52.selectFrom(r3), M23)
                    .blend(P52.selectFrom(r4), M24)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + p * 5 + 16);
            P53.selectFrom(r0)
                    .blend(P53.selectFrom(r1), M31)
                    .blend(P53.selectFrom(r2), M32)
                    .blend(P53.selectFrom(r3), M33)
                    .blend(P53.selectFrom(r4), M34)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + p * 5 + 24);
            P54.selectFrom(r0)
                    .blend(P54.selectFrom(r1), M41)
                    .blend(P54.selectFrom(r2), M42)
                    .blend(P54.selectFrom(r3), M43)
                    .blend(P54.selectFrom(r4), M44)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + p * 5 + 32);
        }
        return done;
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
