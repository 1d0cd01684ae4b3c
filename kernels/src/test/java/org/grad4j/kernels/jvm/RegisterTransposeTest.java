package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Register transposes at the vector width this JVM has (16×16 blocks on AVX-512, 8×8 on AVX2: the
 * build runs the kernels' tests at both), against the element-by-element definition: whole blocks,
 * edges on either side, strides wider than the rows, offsets, and nothing outside the target written.
 */
class RegisterTransposeTest {

    @ParameterizedTest
    @CsvSource({"16, 16", "8, 8", "17, 33", "40, 24", "3, 50", "50, 3", "1, 1", "0, 5"})
    void transposeMovesEveryElementOnce(int m, int n) {
        assumeTrue(Simd.AVAILABLE);
        int ss = n + 3, ds = m + 5, so = 7, dOff = 11;
        float[] src = new float[so + m * ss], dst = new float[dOff + n * ds + 4];
        for (int i = 0; i < src.length; i++) src[i] = i;
        Arrays.fill(dst, Float.NaN);
        RegisterTranspose.transpose(src, so, ss, dst, dOff, ds, m, n);
        float[] want = new float[dst.length];
        Arrays.fill(want, Float.NaN);
        for (int j = 0; j < m; j++) for (int p = 0; p < n; p++) want[dOff + p * ds + j] = src[so + j * ss + p];
        assertArrayEquals(want, dst);
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "5, 9"})
    void oneBlockTransposesTheSquare(int srcOffset, int dstOffset) {
        assumeTrue(Simd.AVAILABLE);
        int b = RegisterTranspose.BLOCK;
        assumeTrue(b > 0);
        assertEquals(VectorElementwise.S.length(), b, "a block is one vector's lanes square");
        int ss = b + 2, ds = b + 1;
        float[] src = new float[srcOffset + b * ss], dst = new float[dstOffset + b * ds];
        for (int i = 0; i < src.length; i++) src[i] = -i;
        RegisterTranspose.block(src, srcOffset, ss, dst, dstOffset, ds);
        for (int j = 0; j < b; j++)
            for (int p = 0; p < b; p++)
                assertEquals(src[srcOffset + j * ss + p], dst[dstOffset + p * ds + j], "row " + j + ", column " + p);
    }

    @ParameterizedTest
    @CsvSource({"0, 16, 16, 0", "7, 35, 35, 3", "2, 784, 40, 8"})
    void panel8MakesEightRowsOnePanel(int srcOffset, int srcStride, int columns, int dstOffset) {
        assumeTrue(Simd.AVAILABLE);
        assumeTrue(RegisterTranspose.BLOCK == 16, "sixteen lanes only");
        checkPanel(8, 16, srcOffset, srcStride, columns, dstOffset, RegisterTranspose::panel8);
    }

    @ParameterizedTest
    @CsvSource({"0, 8, 8, 0", "7, 19, 19, 3", "2, 784, 21, 8"})
    void panel5MakesFiveRowsOnePanel(int srcOffset, int srcStride, int columns, int dstOffset) {
        assumeTrue(Simd.AVAILABLE);
        assumeTrue(RegisterTranspose.BLOCK == 8, "eight lanes only");
        checkPanel(5, 8, srcOffset, srcStride, columns, dstOffset, RegisterTranspose::panel5);
    }

    interface Panel {
        int pack(float[] src, int srcOffset, int srcStride, float[] dst, int dstOffset, int columns);
    }

    /** The first columns, rounded down to a multiple of {@code step}, packed; nothing else written. */
    private static void checkPanel(
            int rows, int step, int srcOffset, int srcStride, int columns, int dstOffset, Panel panel) {
        float[] src = new float[srcOffset + rows * srcStride], dst = new float[dstOffset + rows * columns + 5];
        for (int i = 0; i < src.length; i++) src[i] = i;
        Arrays.fill(dst, Float.NaN);
        int done = panel.pack(src, srcOffset, srcStride, dst, dstOffset, columns);
        assertEquals(columns / step * step, done);
        float[] want = new float[dst.length];
        Arrays.fill(want, Float.NaN);
        for (int i = 0; i < rows; i++)
            for (int p = 0; p < done; p++) want[dstOffset + p * rows + i] = src[srcOffset + i * srcStride + p];
        assertArrayEquals(want, dst);
    }
}
