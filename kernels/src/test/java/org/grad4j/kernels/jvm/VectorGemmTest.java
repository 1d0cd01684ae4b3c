package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every micro-kernel shape, forced as {@code -Dgrad4j.gemm} would force it, against a double-precision
 * reference: odd sizes (partial tiles in both directions), both operands transposed or not, alpha, and
 * the store (C = ...) and accumulate (C += ...) forms; once with the shape's own blocking and once with
 * blocks so small that every loop (k blocks through the tile, several A and B blocks, packed and
 * in-place B) runs more than once.
 */
class VectorGemmTest {

    @BeforeAll
    static void vectorApi() {
        assumeTrue(Simd.AVAILABLE, "no Vector API in this JVM");
    }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        int l = VectorGemm.L;
        for (int[] s : GemmConfig.SHAPES) {
            String shape = s[0] + "x" + s[1] * l;
            GemmConfig own = GemmConfig.select(CpuInfo.current(), l, shape);
            out.add(Arguments.of(shape + " (own blocking)", own));
            // kc 16, two row panels per A block, two column panels per B block; B always packed
            out.add(Arguments.of(
                    shape + " (small blocks)", new GemmConfig(s[0], s[1] * l, 16, 2 * s[0], 2 * s[1] * l, 0)));
            // the same, with a row-major B read in place
            out.add(Arguments.of(
                    shape + " (small blocks, B in place)",
                    new GemmConfig(s[0], s[1] * l, 16, 2 * s[0], 2 * s[1] * l, 1 << 20)));
        }
        return out.stream();
    }

    private static final int[][] SIZES = {{1, 1, 1}, {7, 13, 5}, {37, 45, 29}, {29, 131, 70}, {70, 40, 33}};

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void everyShapeMatchesTheReference(String name, GemmConfig cfg) {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int[] size : SIZES) {
            int m = size[0], n = size[1], k = size[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    for (float alpha : new float[] {1f, -0.5f}) {
                        for (boolean store : new boolean[] {true, false}) {
                            // operands at an offset, C with a row stride wider than n
                            int ao = 3, bo = 5, co = 2, ldc = n + 3;
                            float[] a = random(rnd, ao + m * k), b = random(rnd, bo + k * n);
                            int ars = transA ? 1 : k, acs = transA ? m : 1;
                            int brs = transB ? 1 : n, bcs = transB ? k : 1;
                            float[] c = random(rnd, co + m * ldc);
                            // C's old values are never read by the store form: NaN would show through
                            if (store) java.util.Arrays.fill(c, co, c.length, Float.NaN);
                            float[] expected = c.clone();
                            for (int i = 0; i < m; i++) {
                                for (int j = 0; j < n; j++) {
                                    double sum = 0;
                                    for (int p = 0; p < k; p++)
                                        sum += (double) a[ao + i * ars + p * acs] * b[bo + p * brs + j * bcs];
                                    int at = co + i * ldc + j;
                                    expected[at] = (float) ((store ? 0 : expected[at]) + alpha * sum);
                                }
                            }
                            VectorGemm.gemm(
                                    cfg, m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, c, co, ldc, store, false,
                                    false);
                            String what = name + " m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB="
                                    + transB + " alpha=" + alpha + " store=" + store;
                            for (int i = 0; i < m; i++) { // the gaps between C's rows are left alone
                                for (int j = n; j < ldc && co + i * ldc + j < c.length; j++)
                                    assertEquals(expected[co + i * ldc + j], c[co + i * ldc + j], what + " (gap)");
                            }
                            assertArrayEquals(expected, c, 1e-4f * (k + 1), what);
                        }
                    }
                }
            }
        }
    }

    /** A shared A (a convolution's weight) packed once for several B: the later calls reuse the packing. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void aSharedAcrossCallsIsPackedOnce(String name, GemmConfig cfg) {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 2 * cfg.mr() + 1, n = cfg.nr() + 5, k = 13;
        float[] a = random(rnd, m * k);
        for (int call = 0; call < 3; call++) {
            float[] b = random(rnd, k * n), c = new float[m * n], expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double) a[i * k + p] * b[p * n + j];
                    expected[i * n + j] = (float) (2 * sum);
                }
            VectorGemm.gemm(cfg, m, n, k, 2f, a, 0, k, 1, b, 0, n, 1, c, 0, n, true, true, call > 0);
            assertArrayEquals(expected, c, 1e-4f * k, name + " call " + call);
        }
    }

    /** The build runs this suite once with {@code -Dgrad4j.gemm} set: the products then use that shape. */
    @Test
    void theProductsUseTheForcedShape() {
        String forced = System.getProperty("grad4j.gemm");
        GemmConfig expected = GemmConfig.select(CpuInfo.current(), VectorGemm.L, forced);
        assertEquals(expected, VectorGemm.CONFIG);
        assertEquals(expected.mr(), VectorGemm.MR);
        assertEquals(expected.nr(), VectorGemm.NR);
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }
}
