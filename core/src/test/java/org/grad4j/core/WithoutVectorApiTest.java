package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The ops whose JVM kernels have a Vector API path and a scalar one, against plain double-precision
 * references. The build runs this (with every kernels and core test) twice: with
 * {@code --add-modules jdk.incubator.vector} (vector paths) and without (scalar paths), where a
 * kernel that touched a vector class first failed with {@code NoClassDefFoundError}.
 */
class WithoutVectorApiTest {
    private static final Generator GEN = new Generator(11);

    private static void assertClose(double[] want, float[] got, double rel, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], rel * Math.max(1, Math.abs(want[i])), what + " at " + i);
        }
    }

    @Test
    void sumOverOuterAndInnerDimsOfTheIssue() {
        assertArrayEquals(
                new float[] {32, 32, 32},
                Tensor.ones(2, 3, 16).sum(new int[] {0, 2}, false).toFloatArray());
    }

    @Test
    void sumsOverEveryLayoutTheKernelsSplit() {
        // {shape, dims}: strided unit-stride runs, rows, column sums, a long whole-tensor sum
        int[][][] cases = {
            {{3, 5, 40}, {0, 2}},
            {{2, 4, 17}, {0, 2}},
            {{5, 64}, {1}},
            {{33, 24}, {0}},
            {{70_000}, {0}},
            {{6, 7, 8}, {1}},
        };
        for (int[][] c : cases) {
            int[] shape = c[0], dims = c[1];
            Tensor x = Tensor.randn(GEN, shape);
            float[] xs = x.toFloatArray();
            float[] got = x.sum(dims, false).toFloatArray();
            double[] want = new double[got.length];
            int[] idx = new int[shape.length];
            for (int flat = 0; flat < xs.length; flat++) {
                int rest = flat;
                for (int d = shape.length - 1; d >= 0; d--) {
                    idx[d] = rest % shape[d];
                    rest /= shape[d];
                }
                int out = 0;
                for (int d = 0; d < shape.length; d++) {
                    boolean reduced = false;
                    for (int r : dims) reduced |= r == d;
                    if (!reduced) out = out * shape[d] + idx[d];
                }
                want[out] += xs[flat];
            }
            assertClose(
                    want,
                    got,
                    1e-4,
                    "sum of " + java.util.Arrays.toString(shape) + " over " + java.util.Arrays.toString(dims));
        }
    }

    private static double[] product(float[] a, float[] b, int batch, int m, int k, int n) {
        double[] c = new double[batch * m * n];
        for (int e = 0; e < batch; e++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) a[e * m * k + i * k + p] * b[e * k * n + p * n + j];
                    c[e * m * n + i * n + j] = s;
                }
        return c;
    }

    @Test
    void matrixProductsOfEveryShapeClass() {
        // a short x times w.t() (a Linear layer on a small batch), a square-ish product, a tall one, a batch
        int[][] mkn = {{2, 300, 64}, {40, 50, 70}, {200, 30, 12}};
        for (int[] s : mkn) {
            int m = s[0], k = s[1], n = s[2];
            Tensor a = Tensor.randn(GEN, m, k), w = Tensor.randn(GEN, n, k);
            float[] got = a.matmul(w.t()).toFloatArray();
            assertClose(
                    product(a.toFloatArray(), w.t().contiguous().toFloatArray(), 1, m, k, n),
                    got,
                    1e-4,
                    "matmul " + m + "x" + k + "x" + n);
        }
        Tensor a = Tensor.randn(GEN, 4, 16, 20), b = Tensor.randn(GEN, 4, 20, 24);
        assertClose(
                product(a.toFloatArray(), b.toFloatArray(), 4, 16, 20, 24),
                a.matmul(b).toFloatArray(),
                1e-4,
                "bmm");
    }

    @Test
    void transposedCopiesAreExact() {
        Tensor x = Tensor.randn(GEN, 3, 40, 37);
        float[] xs = x.toFloatArray(), got = x.transpose(1, 2).contiguous().toFloatArray();
        for (int e = 0; e < 3; e++)
            for (int i = 0; i < 40; i++)
                for (int j = 0; j < 37; j++) {
                    assertEquals(xs[e * 40 * 37 + i * 37 + j], got[e * 37 * 40 + j * 40 + i]);
                }
    }

    @Test
    void pointwiseOpsMatchTheirDefinitions() {
        int n = 1000;
        Tensor x = Tensor.rand(GEN, n).mul(4f).sub(2f), y = Tensor.rand(GEN, n).add(0.5f);
        float[] xs = x.toFloatArray(), ys = y.toFloatArray();
        Object[][] unary = {
            {"exp", x.exp(), (DoubleUnaryOperator) Math::exp},
            {"tanh", x.tanh(), (DoubleUnaryOperator) Math::tanh},
            {"sigmoid", x.sigmoid(), (DoubleUnaryOperator) v -> 1 / (1 + Math.exp(-v))},
            {"relu", x.relu(), (DoubleUnaryOperator) v -> Math.max(0, v)},
            {"neg", x.neg(), (DoubleUnaryOperator) v -> -v},
        };
        for (Object[] u : unary) {
            DoubleUnaryOperator f = (DoubleUnaryOperator) u[2];
            double[] want = new double[n];
            for (int i = 0; i < n; i++) want[i] = f.applyAsDouble(xs[i]);
            assertClose(want, ((Tensor) u[1]).toFloatArray(), 1e-5, (String) u[0]);
        }
        double[] log = new double[n], pow = new double[n], mul = new double[n], div = new double[n];
        for (int i = 0; i < n; i++) {
            log[i] = Math.log(ys[i]);
            pow[i] = Math.pow(ys[i], 2.5);
            mul[i] = (double) xs[i] * ys[i];
            div[i] = xs[i] / (double) ys[i];
        }
        assertClose(log, y.log().toFloatArray(), 1e-5, "log");
        assertClose(pow, y.pow(2.5f).toFloatArray(), 1e-5, "pow");
        assertClose(mul, x.mul(y).toFloatArray(), 1e-6, "mul");
        assertClose(div, x.div(y).toFloatArray(), 1e-6, "div");
    }

    @Test
    void scaledAddOfLongTensors() {
        int n = 70_000;
        Tensor a = Tensor.randn(GEN, n), b = Tensor.randn(GEN, n);
        float[] as = a.toFloatArray(), bs = b.toFloatArray();
        double[] add = new double[n], sub = new double[n];
        for (int i = 0; i < n; i++) {
            add[i] = as[i] + 0.5 * bs[i];
            sub[i] = as[i] - 0.5 * bs[i];
        }
        assertClose(add, a.add(b, 0.5f).toFloatArray(), 1e-6, "add alpha");
        assertClose(sub, a.sub(b, 0.5f).toFloatArray(), 1e-6, "sub alpha");
    }
}
