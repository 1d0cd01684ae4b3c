package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Geometry;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JVM backend against naive element-by-element references, on odd sizes (1, 7, 17, 1023) and on
 * strided, transposed, offset and broadcast layouts.
 */
class JvmBackendTest {
    private final JvmBackend be = JvmBackend.INSTANCE;
    private final Random rnd = new Random(11);

    private Buffer random(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = rnd.nextFloat() * 4 - 2;
        return JvmBackend.wrap(d);
    }

    private static float[] arr(Buffer b) {
        return ((HeapBuffer) b).array();
    }

    /** The element of a strided view at row-major position e. */
    private static float at(Buffer b, Layout l, int e) {
        int off = l.offset();
        for (int d = l.rank() - 1; d >= 0; d--) {
            off += (e % l.shape()[d]) * l.strides()[d];
            e /= l.shape()[d];
        }
        return arr(b)[off];
    }

    /** A transposed view with an offset: shape [cols, rows] over a buffer of (rows+1)*cols. */
    private static Layout transposedWithOffset(int rows, int cols) {
        return new Layout(new int[] {cols, rows}, new int[] {1, cols}, cols);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 1023})
    void unaryOnContiguousAndStridedViews(int n) {
        Buffer x = random((n + 1) * 3);
        for (Layout l : new Layout[] {
            Layout.contiguous(new int[] {n}), new Layout(new int[] {n}, new int[] {3}, 2), transposedWithOffset(n, 3)
        }) {
            for (UnaryOp op : UnaryOp.values()) {
                Buffer out = be.allocate(l.numel());
                be.unary(op, 1.5f, 0.25f, x, l, out);
                for (int e = 0; e < l.numel(); e++) {
                    float v = at(x, l, e);
                    float want = switch (op) {
                        case NEG -> -v;
                        case EXP -> (float) Math.exp(v);
                        case LOG -> (float) Math.log(v);
                        case SQRT -> (float) Math.sqrt(v);
                        case ABS -> Math.abs(v);
                        case TANH -> (float) Math.tanh(v);
                        case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
                        case RELU -> Math.max(v, 0f);
                        case SIGN -> Math.signum(v);
                        case POW -> (float) Math.pow(v, 1.5);
                        case POW_BASE -> (float) Math.pow(1.5, v);
                        case AFFINE -> 1.5f * v + 0.25f;
                        case CLAMP -> Math.min(Math.max(v, 1.5f), 0.25f);
                        case RECIPROCAL -> 1f / v;
                        case SILU -> (float) (v / (1 + Math.exp(-v)));
                        case ERF -> (float) erfSeries(v);
                        case GELU -> (float) (0.5 * v * (1 + erfSeries(v / Math.sqrt(2))));
                        case GELU_TANH ->
                            (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
                        case SOFTPLUS -> v * 1.5f > 0.25f ? v : (float) (Math.log1p(Math.exp(1.5 * v)) / 1.5);
                        case LEAKY_RELU -> v > 0 ? v : 1.5f * v;
                    };
                    if (Float.isNaN(want)) {
                        assertEquals(want, arr(out)[e], op + " at " + e + " of " + l); // NaN equals NaN here
                    } else {
                        assertEquals(
                                want, arr(out)[e], 1e-6f * Math.max(1f, Math.abs(want)), op + " at " + e + " of " + l);
                    }
                }
            }
        }
    }

    /** erf by its Maclaurin series in double, a reference independent of the table's polynomials (|x| <= 2 here). */
    private static double erfSeries(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 60; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** exp, tanh and sigmoid over their whole range, special values included, within 2 ulp-ish of Math. */
    @org.junit.jupiter.api.Test
    void vectorTranscendentalsAcrossTheirRange() {
        float[] v = new float[4099];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((i - 2049) * 0.05); // -102.45 .. 102.5
        v[0] = Float.NaN;
        v[1] = Float.POSITIVE_INFINITY;
        v[2] = Float.NEGATIVE_INFINITY;
        v[3] = 1e-7f;
        v[4] = -1e-30f;
        v[5] = 88.7f;
        v[6] = -87.3f;
        Buffer x = JvmBackend.wrap(v);
        Layout l = Layout.contiguous(new int[] {v.length});
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID}) {
            Buffer out = be.allocate(v.length);
            be.unary(op, 0, 0, x, l, out);
            for (int i = 0; i < v.length; i++) {
                double want = switch (op) {
                    case EXP -> Math.exp(v[i]);
                    case TANH -> Math.tanh(v[i]);
                    default -> 1 / (1 + Math.exp(-v[i]));
                };
                float got = arr(out)[i];
                if (Double.isNaN(want)) {
                    assertEquals(Float.NaN, got, op + "(" + v[i] + ")");
                } else if (Math.abs(want) < Float.MIN_NORMAL) {
                    assertEquals(
                            (float) want, got, Float.MIN_NORMAL, op + "(" + v[i] + ")"); // subnormal results flush to 0
                } else {
                    assertEquals((float) want, got, 3e-7 * Math.abs(want) + 1e-45, op + "(" + v[i] + ")");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 1023})
    void binaryWithBroadcastAndTransposedOperands(int n) {
        Buffer a = random((n + 1) * 3), b = random(3);
        Layout al = transposedWithOffset(n, 3); // [3, n], strided
        Layout bl = new Layout(new int[] {3, n}, new int[] {1, 0}, 0); // [3] broadcast along n
        for (BinaryOp op : BinaryOp.values()) {
            Buffer out = be.allocate(3 * n);
            be.binary(op, a, al, b, bl, out);
            for (int e = 0; e < 3 * n; e++) {
                float x = at(a, al, e), y = at(b, bl, e);
                float want = switch (op) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> x / y;
                    case POW -> (float) Math.pow(x, y);
                    case MAXIMUM -> Math.max(x, y);
                    case MINIMUM -> Math.min(x, y);
                    case EQ -> x == y ? 1 : 0;
                    case NE -> x != y ? 1 : 0;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case TANH_BACKWARD -> x * (1 - y * y);
                    case SIGMOID_BACKWARD -> x * y * (1 - y);
                    case RELU_BACKWARD -> y > 0 ? x : 0;
                    case GELU_BACKWARD ->
                        x
                                * (float) (0.5 * (1 + UnaryOp.erf((float) (y / Math.sqrt(2))))
                                        + y * Math.exp(-0.5 * y * y) / Math.sqrt(2 * Math.PI));
                };
                // gelu_backward's reference is computed in double: within a few ulps
                float tol = op == BinaryOp.GELU_BACKWARD ? 4 * Math.ulp(Math.max(1f, Math.abs(want))) : 0f;
                assertEquals(want, arr(out)[e], tol, op + " at " + e);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 1023})
    void reductionsOverLeadingAndTrailingDims(int n) {
        Buffer x = random(4 * n);
        // [4, n] contiguous; reduce dim 1 (kept [4]) and, permuted, dim 0 (kept [n])
        Layout rows = new Layout(new int[] {4, n}, new int[] {n, 1}, 0);
        Layout cols = new Layout(new int[] {n, 4}, new int[] {1, n}, 0);
        for (Layout l : new Layout[] {rows, cols}) {
            int kept = l.shape()[0], red = l.shape()[1];
            Buffer sum = be.allocate(kept), max = be.allocate(kept), idx = be.allocate(kept), min = be.allocate(kept);
            be.reduce(ReduceOp.SUM, x, l, 1, sum, null);
            be.reduce(ReduceOp.MAX, x, l, 1, max, idx);
            be.reduce(ReduceOp.MIN, x, l, 1, min, null);
            for (int o = 0; o < kept; o++) {
                double s = 0;
                float mx = Float.NEGATIVE_INFINITY, mn = Float.POSITIVE_INFINITY;
                int at = -1;
                for (int r = 0; r < red; r++) {
                    float v = at(x, l, o * red + r);
                    s += v;
                    if (v > mx) {
                        mx = v;
                        at = r;
                    }
                    mn = Math.min(mn, v);
                }
                assertEquals((float) s, arr(sum)[o], 1e-5f);
                assertEquals(mx, arr(max)[o]);
                assertEquals(at, (int) arr(idx)[o]);
                assertEquals(mn, arr(min)[o]);
            }
        }
    }

    /** A sum over an outer and an inner dim ([N, C, L] over N and L: a conv bias gradient), on odd sizes. */
    @ParameterizedTest
    @ValueSource(strings = {"64,64,196", "3,5,7", "2,33,17", "5,1,1023", "1,9,16"})
    void sumOverOuterAndInnerDims(String ncl) {
        String[] p = ncl.split(",");
        int bn = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]), l = Integer.parseInt(p[2]);
        Buffer x = random(bn * c * l + 3);
        // kept dim C first, then the reduced N and L (offset 3: not at the start of the array)
        Layout lay = new Layout(new int[] {c, bn, l}, new int[] {l, c * l, 1}, 3);
        float[][] results = new float[2][];
        onOneAndTwoThreads(threads -> {
            Buffer out = be.allocate(c);
            be.reduce(ReduceOp.SUM, x, lay, 1, out, null);
            results[threads - 1] = arr(out).clone();
            for (int o = 0; o < c; o++) {
                double s = 0, abs = 0; // float lanes: rounding grows with the sum of magnitudes, not with the sum
                for (int i = 0; i < bn; i++) {
                    for (int j = 0; j < l; j++) {
                        s += arr(x)[3 + i * c * l + o * l + j];
                        abs += Math.abs(arr(x)[3 + i * c * l + o * l + j]);
                    }
                }
                assertEquals((float) s, arr(out)[o], 1e-6 * abs + 1e-6, "channel " + o + " on " + threads + " threads");
            }
        });
        assertArrayEquals(results[0], results[1], "the same bits on one and two threads");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17})
    void matmulWithTransposedOperandsAndBeta(int n) {
        int m = n + 2, k = n + 1;
        Buffer a = random(m * k), b = random(k * n), c = random(m * n);
        float[] c0 = arr(c).clone();
        // A given transposed in memory (k×m storage read as m×k), B row-major
        be.matmul(1, m, n, k, new StridedMatrix(a, 0, 0, 1, m), new StridedMatrix(b, 0, 0, n, 1), c, 2f, 0.5f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += arr(a)[p * m + i] * arr(b)[p * n + j];
                assertEquals((float) (0.5 * c0[i * n + j] + 2 * s), arr(c)[i * n + j], 1e-4f);
            }
        }
        // B transposed (column stride != 1) goes through packing
        Buffer out = be.allocate(m * n);
        be.matmul(1, m, n, k, new StridedMatrix(a, 0, 0, k, 1), new StridedMatrix(b, 0, 0, 1, k), out, 1f, 0f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += arr(a)[i * k + p] * arr(b)[j * k + p];
                assertEquals((float) s, arr(out)[i * n + j], 1e-4f);
            }
        }
    }

    /** addmm: the product stored, then C (a broadcast bias) added; beta = 0 never reads C (NaN stays out). */
    @ParameterizedTest
    @ValueSource(floats = {0f, 1f, 0.5f})
    void addmmAddsABroadcastBiasAfterTheProduct(float beta) {
        int batch = 2, m = 67, n = 45, k = 130;
        Buffer a = random(batch * m * k), b = random(batch * k * n), bias = random(n);
        if (beta == 0f) arr(bias)[3] = Float.NaN;
        Layout c = new Layout(new int[] {batch, m, n}, new int[] {0, 0, 1}, 0); // bias[n] over batch and rows
        onOneAndTwoThreads(threads -> {
            Buffer out = be.allocate(batch * m * n);
            java.util.Arrays.fill(arr(out), Float.NaN);
            be.addmm(
                    bias,
                    c,
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a, 0, m * k, k, 1),
                    new StridedMatrix(b, 0, k * n, n, 1),
                    out,
                    2f,
                    beta);
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i += 3) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int q = 0; q < k; q++) s += arr(a)[t * m * k + i * k + q] * arr(b)[t * k * n + q * n + j];
                        double expected = 2 * s + (beta == 0f ? 0 : beta * arr(bias)[j]);
                        assertEquals(
                                expected,
                                arr(out)[t * m * n + i * n + j],
                                2e-4 * Math.max(1, Math.abs(expected)),
                                "[" + t + "," + i + "," + j + "] beta " + beta + ", " + threads + " threads");
                    }
                }
            }
        });
    }

    /** a ± alpha*b in one pass has the bits of AFFINE then the binary op (signed zeros too), fused or not. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 1023, 70_001})
    void binaryScaledMatchesAffineThenBinaryBitForBit(int n) {
        Buffer a = random(n + 2), b = random(n + 1);
        arr(a)[2] = -0f; // -0 - (+0) = -0, but -0 - (-0) = +0: the "+ 0" of AFFINE matters
        arr(b)[1] = -0f;
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB}) {
            onOneAndTwoThreads(threads -> {
                Layout al = new Layout(new int[] {n}, new int[] {1}, 2),
                        bl = new Layout(new int[] {n}, new int[] {1}, 1);
                Buffer fused = be.allocate(n), scaled = be.allocate(n), twoPass = be.allocate(n);
                be.binaryScaled(op, a, al, b, bl, 0.37f, fused);
                be.unary(UnaryOp.AFFINE, 0.37f, 0f, b, bl, scaled);
                be.binary(op, a, al, scaled, Layout.contiguous(new int[] {n}), twoPass);
                for (int i = 0; i < n; i++) {
                    assertEquals(
                            Float.floatToRawIntBits(arr(twoPass)[i]),
                            Float.floatToRawIntBits(arr(fused)[i]),
                            op + " at " + i + " with " + threads + " threads");
                }
                // b broadcast (stride 0) takes the default route: the same values
                Buffer viaDefault = be.allocate(n);
                be.binaryScaled(op, a, al, b, new Layout(new int[] {n}, new int[] {0}, 1), 0.37f, viaDefault);
                float t = 0.37f * arr(b)[1] + 0f;
                assertEquals(op == BinaryOp.ADD ? arr(a)[2] + t : arr(a)[2] - t, arr(viaDefault)[0]);
                assertEquals(op == BinaryOp.ADD ? arr(a)[n + 1] + t : arr(a)[n + 1] - t, arr(viaDefault)[n - 1]);
            });
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> be.binaryScaled(
                        BinaryOp.MUL,
                        a,
                        Layout.contiguous(new int[] {n}),
                        b,
                        Layout.contiguous(new int[] {n}),
                        2f,
                        be.allocate(n)));
    }

    /** Many outputs are reduced over the threads: the same bits on 1 and 2 threads, for every path. */
    @Test
    void reductionsOverManyOutputsAgreeOnOneAndTwoThreads() {
        int n = 64, c = 40, hw = 150; // x [n, c, hw]; reduce over (n, hw) -> general path, over hw -> rows
        Buffer x = random(n * c * hw);
        Layout general = new Layout(new int[] {c, n, hw}, new int[] {hw, c * hw, 1}, 0); // kept c first, then n and hw
        Layout rowsStrided =
                new Layout(new int[] {n * hw, c}, new int[] {1, hw}, 0); // kept n*hw... reduce c (stride hw)
        Layout rowsUnit = Layout.contiguous(new int[] {n * c, hw});
        float[][] results = new float[2][];
        onOneAndTwoThreads(threads -> {
            java.util.List<Float> all = new java.util.ArrayList<>();
            for (ReduceOp op : ReduceOp.values()) {
                for (Layout l : new Layout[] {general, rowsStrided, rowsUnit}) {
                    int outN = l.shape()[0];
                    Buffer out = be.allocate(outN), idx = be.allocate(outN);
                    be.reduce(op, x, l, 1, out, op == ReduceOp.SUM ? null : idx);
                    for (float f : arr(out)) all.add(f);
                    if (op != ReduceOp.SUM) for (float f : arr(idx)) all.add(f);
                }
            }
            float[] r = new float[all.size()];
            for (int i = 0; i < r.length; i++) r[i] = all.get(i);
            results[threads - 1] = r;
        });
        assertArrayEquals(results[0], results[1]);
        // spot check the general path's sums against a direct loop
        Buffer out = be.allocate(c);
        be.reduce(ReduceOp.SUM, x, general, 1, out, null);
        for (int ch = 0; ch < c; ch += 7) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) s += arr(x)[i * c * hw + ch * hw + j];
            assertEquals(s, arr(out)[ch], 1e-3 * Math.max(1, Math.abs(s)));
        }
    }

    /** The sum of a long tensor is split over the threads and still has the serial sum's bits. */
    @ParameterizedTest
    @ValueSource(ints = {65_536, 65_551, 1_000_003})
    void longSumHasTheSameBitsOnAnyNumberOfThreads(int n) {
        Buffer x = random(n + 3);
        float[] one = new float[1];
        if (Simd.AVAILABLE) one[0] = (float) VectorElementwise.sum(arr(x), 3, n);
        else ReduceKernels.sumRows(arr(x), new int[] {3}, n, 1, one, 0, 1); // the scalar path, without the Vector API
        float serial = one[0];
        onOneAndTwoThreads(threads -> {
            Buffer out = be.allocate(1);
            be.reduce(org.grad4j.kernels.ReduceOp.SUM, x, new Layout(new int[] {n}, new int[] {1}, 3), 0, out, null);
            assertEquals(Float.floatToRawIntBits(serial), Float.floatToRawIntBits(arr(out)[0]), threads + " threads");
            double exact = 0;
            for (int i = 0; i < n; i++) exact += arr(x)[3 + i];
            assertEquals(exact, arr(out)[0], 1e-3 * Math.max(1, Math.abs(exact)));
        });
    }

    /** Copies of views with the last two dimensions transposed (register-transposed 16×16 tiles plus edges). */
    @ParameterizedTest
    @ValueSource(strings = {"1,16,16", "1,17,33", "3,40,100", "2,16,15", "2,15,16", "1,1023,17", "5,7,300"})
    void transposedViewsAreCopiedElementForElement(String bRC) {
        String[] p = bRC.split(",");
        int batch = Integer.parseInt(p[0]), rows = Integer.parseInt(p[1]), cols = Integer.parseInt(p[2]);
        Buffer src = random(3 + batch * rows * cols);
        // source stored as [batch, cols, rows] at offset 3, read as [batch, rows, cols] (the last two transposed)
        Layout view = new Layout(new int[] {batch, rows, cols}, new int[] {rows * cols, 1, rows}, 3);
        onOneAndTwoThreads(threads -> {
            Buffer out = be.allocate(batch * rows * cols + 2);
            java.util.Arrays.fill(arr(out), Float.NaN);
            be.copy(src, view, out, new Layout(new int[] {batch, rows, cols}, new int[] {rows * cols, cols, 1}, 1));
            assertEquals(Float.NaN, arr(out)[0]);
            assertEquals(Float.NaN, arr(out)[batch * rows * cols + 1]);
            for (int t = 0; t < batch; t++) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float expected = arr(src)[3 + t * rows * cols + c * rows + r];
                        if (arr(out)[1 + t * rows * cols + r * cols + c] != expected) {
                            throw new AssertionError("[" + t + "," + r + "," + c + "] with " + threads + " threads");
                        }
                    }
                }
            }
        });
        // conv's backward reshape: a [n, ckk, l] buffer permuted (1, 0, 3, 2) of [g=1, n, ckk, l] -> [1, n, l, ckk]
        int n = 3, ckk = 37, l = 49;
        Buffer cols4 = random(n * ckk * l), out4 = be.allocate(n * ckk * l);
        be.copy(
                cols4,
                new Layout(new int[] {n, l, ckk}, new int[] {ckk * l, 1, l}, 0),
                out4,
                Layout.contiguous(new int[] {n, l, ckk}));
        for (int i = 0; i < n; i++) {
            for (int q = 0; q < l; q++) {
                for (int k = 0; k < ckk; k++)
                    assertEquals(arr(cols4)[i * ckk * l + k * l + q], arr(out4)[i * l * ckk + q * ckk + k]);
            }
        }
    }

    /** Long contiguous runs are filled and copied in chunks over the threads: offsets, odd lengths, both ends. */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 1023, 16_385, 1_000_003})
    void longContiguousFillAndCopyOnOneAndTwoThreads(int n) {
        onOneAndTwoThreads(threads -> {
            Buffer t = be.allocate(n + 5);
            java.util.Arrays.fill(arr(t), -1f);
            be.fill(t, new Layout(new int[] {n}, new int[] {1}, 3), 2.5f);
            assertEquals(-1f, arr(t)[2]);
            assertEquals(2.5f, arr(t)[3]);
            assertEquals(2.5f, arr(t)[n + 2]);
            assertEquals(-1f, arr(t)[n + 3]);
            for (int i = 3; i < n + 3; i++) if (arr(t)[i] != 2.5f) throw new AssertionError("fill missed element " + i);
            Buffer src = random(n + 4), dst = be.allocate(n + 2);
            java.util.Arrays.fill(arr(dst), -1f);
            be.copy(src, new Layout(new int[] {n}, new int[] {1}, 4), dst, new Layout(new int[] {n}, new int[] {1}, 1));
            assertEquals(-1f, arr(dst)[0]);
            assertEquals(-1f, arr(dst)[n + 1]);
            for (int i = 0; i < n; i++) {
                if (arr(dst)[1 + i] != arr(src)[4 + i])
                    throw new AssertionError("copy differs at " + i + " with " + threads + " threads");
            }
        });
    }

    /**
     * beta == 0 never reads C (an uninitialised output, here NaN, is overwritten by the first k block
     * and added to by the next), over several k blocks, with row- and column-major B (the latter packed
     * by 16×16 register transposes plus a tail of k % 16 rows).
     */
    @ParameterizedTest
    @ValueSource(strings = {"70,45,2100", "9,33,1100", "130,96,17", "64,256,784", "300,10,70", "130,9,1100"})
    void betaZeroOverwritesGarbageOverSeveralKBlocks(String mnk) {
        String[] p = mnk.split(",");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        Buffer a = random(m * k), b = random(k * n);
        for (boolean bTransposed : new boolean[] {false, true}) {
            Buffer out = be.allocate(m * n);
            java.util.Arrays.fill(arr(out), Float.NaN);
            be.matmul(
                    1,
                    m,
                    n,
                    k,
                    new StridedMatrix(a, 0, 0, k, 1),
                    new StridedMatrix(b, 0, 0, bTransposed ? 1 : n, bTransposed ? k : 1),
                    out,
                    1f,
                    0f);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += arr(a)[i * k + q] * arr(b)[bTransposed ? j * k + q : q * n + j];
                    assertEquals(
                            (float) s,
                            arr(out)[i * n + j],
                            2e-4f * Math.max(1, Math.abs(s)),
                            "C[" + i + "," + j + "], B " + (bTransposed ? "column" : "row") + "-major");
                }
            }
        }
    }

    /** Sizes that leave partial micro-tiles on every edge, in parallel and on one thread, batched. */
    @ParameterizedTest
    @ValueSource(strings = {"67,129,130", "1023,40,7", "5,1023,33", "96,64,1024"})
    void vectorMatmulOnOddSizesTransposedAndBatched(String mnk) {
        String[] p = mnk.split(",");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]), batch = 2;
        Buffer a = random(batch * m * k), b = random(batch * k * n), c = random(batch * m * n);
        float[] c0 = arr(c).clone();
        onOneAndTwoThreads(threads -> {
            System.arraycopy(c0, 0, arr(c), 0, c0.length);
            // A stored transposed (k×m per batch), B row-major
            be.matmul(
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a, 0, m * k, 1, m),
                    new StridedMatrix(b, 0, k * n, n, 1),
                    c,
                    1.5f,
                    0.25f);
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i += 7) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int q = 0; q < k; q++) s += arr(a)[t * m * k + q * m + i] * arr(b)[t * k * n + q * n + j];
                        int at = t * m * n + i * n + j;
                        assertEquals(
                                (float) (0.25 * c0[at] + 1.5 * s),
                                arr(c)[at],
                                2e-4f * Math.max(1, Math.abs(s)),
                                "C[" + t + "," + i + "," + j + "] with " + threads + " threads");
                    }
                }
            }
            // A row-major, B stored transposed (n×k per batch): a Linear layer's x @ w.t()
            Buffer out = be.allocate(batch * m * n);
            be.matmul(
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a, 0, m * k, k, 1),
                    new StridedMatrix(b, 0, k * n, 1, k),
                    out,
                    1f,
                    0f);
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i += 5) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int q = 0; q < k; q++) s += arr(a)[t * m * k + i * k + q] * arr(b)[t * k * n + j * k + q];
                        assertEquals(
                                (float) s,
                                arr(out)[t * m * n + i * n + j],
                                2e-4f * Math.max(1, Math.abs(s)),
                                "x @ w.t() at [" + t + "," + i + "," + j + "] with " + threads + " threads");
                    }
                }
            }
        });
    }

    /**
     * Batch entries sharing one A (batch stride 0: a convolution's weight times each image's columns):
     * A is packed once per thread and reused, over several row blocks of A, row-major and transposed,
     * scaled by alpha, and in the in-place A kernel's case (narrow C); the same bits as each entry alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"64,196,288", "150,37,64", "288,196,64", "9,50,1024", "70,20,33", "12,4128,9"})
    void batchEntriesSharingOneAPackItOnce(String mnk) {
        String[] p = mnk.split(",");
        // 20 entries: several per task on two threads too; 12x4128: a second column block of C, narrow
        // enough for the in-place A path, whose partial panel must not overwrite a kept packing
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]), batch = 20;
        Buffer a = random(m * k), b = random(batch * k * n);
        for (boolean aTransposed : new boolean[] {false, true}) {
            int ars = aTransposed ? 1 : k, acs = aTransposed ? m : 1;
            for (float alpha : new float[] {1f, 0.5f}) {
                Buffer single = be.allocate(m * n);
                float[][] expected = new float[batch][];
                for (int t = 0; t < batch; t++) { // each entry as a product of its own
                    be.matmul(
                            1,
                            m,
                            n,
                            k,
                            new StridedMatrix(a, 0, 0, ars, acs),
                            new StridedMatrix(b, t * k * n, 0, n, 1),
                            single,
                            alpha,
                            0f);
                    expected[t] = arr(single).clone();
                }
                onOneAndTwoThreads(threads -> {
                    Buffer c = be.allocate(batch * m * n);
                    be.matmul(
                            batch,
                            m,
                            n,
                            k,
                            new StridedMatrix(a, 0, 0, ars, acs),
                            new StridedMatrix(b, 0, k * n, n, 1),
                            c,
                            alpha,
                            0f);
                    for (int t = 0; t < batch; t++) {
                        assertArrayEquals(
                                expected[t],
                                java.util.Arrays.copyOfRange(arr(c), t * m * n, (t + 1) * m * n),
                                "entry " + t + " (A " + (aTransposed ? "transposed" : "row-major") + ", alpha " + alpha
                                        + ", " + threads + " threads)");
                    }
                    double s = 0; // and one element against the definition
                    for (int q = 0; q < k; q++)
                        s += arr(a)[(m - 1) * ars + q * acs] * arr(b)[(batch - 1) * k * n + q * n + n - 1];
                    assertEquals((float) (alpha * s), arr(c)[batch * m * n - 1], 2e-4f * Math.max(1, Math.abs(s)));
                });
            }
        }
    }

    /**
     * A batched addmm (a convolution: per-channel bias, shared weight) adds C to each entry right after
     * its product: the same bits as the product followed by a separate broadcast add, for C broadcast
     * per row, per column or given whole, on one and two threads.
     */
    @Test
    void batchedAddmmAddsCPerEntryWithTheSameBits() {
        int batch = 5, m = 20, n = 40, k = 16;
        Buffer a = random(m * k), b = random(batch * k * n), c = random(batch * m * n);
        Layout[] cLayouts = {
            new Layout(new int[] {batch, m, n}, new int[] {0, 1, 0}, 3), // a conv bias: one value per row
            new Layout(new int[] {batch, m, n}, new int[] {0, 0, 1}, 0), // a Linear bias: one per column
            Layout.contiguous(new int[] {batch, m, n})
        };
        for (Layout cl : cLayouts) {
            Buffer expected = be.allocate(batch * m * n);
            be.matmul(
                    batch,
                    m,
                    n,
                    k,
                    new StridedMatrix(a, 0, 0, k, 1),
                    new StridedMatrix(b, 0, k * n, n, 1),
                    expected,
                    1f,
                    0f);
            be.binary(BinaryOp.ADD, expected, Layout.contiguous(new int[] {batch, m, n}), c, cl, expected);
            onOneAndTwoThreads(threads -> {
                Buffer out = be.allocate(batch * m * n);
                be.addmm(
                        c,
                        cl,
                        batch,
                        m,
                        n,
                        k,
                        new StridedMatrix(a, 0, 0, k, 1),
                        new StridedMatrix(b, 0, k * n, n, 1),
                        out,
                        1f,
                        1f);
                assertArrayEquals(
                        arr(expected),
                        arr(out),
                        "C strides " + java.util.Arrays.toString(cl.strides()) + ", " + threads + " threads");
            });
        }
        float s = 0; // and one element by the definition: C's row value plus the product
        for (int q = 0; q < k; q++) s += arr(a)[3 * k + q] * arr(b)[2 * k * n + q * n + 7];
        Buffer out = be.allocate(batch * m * n);
        be.addmm(
                c,
                cLayouts[0],
                batch,
                m,
                n,
                k,
                new StridedMatrix(a, 0, 0, k, 1),
                new StridedMatrix(b, 0, k * n, n, 1),
                out,
                1f,
                1f);
        assertEquals(s + arr(c)[3 + 3], arr(out)[(2 * m + 3) * n + 7], 1e-4f);
    }

    /**
     * A short row-major A times a column-major B (a Linear layer on a small batch), or a tall one times
     * a narrow B (a classifier's last layer), takes the C^T route.
     */
    @ParameterizedTest
    @ValueSource(strings = {"37,300,129", "64,256,784", "1,70,9", "8,1000,64", "300,10,70", "256,9,130"})
    void shortTimesColumnMajorGoesThroughTheTransposedProduct(String mnk) {
        String[] p = mnk.split(",");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        Buffer a = random(m * k), b = random(n * k), c = random(m * n);
        float[] c0 = arr(c).clone();
        onOneAndTwoThreads(threads -> {
            System.arraycopy(c0, 0, arr(c), 0, c0.length);
            be.matmul(1, m, n, k, new StridedMatrix(a, 0, 0, k, 1), new StridedMatrix(b, 0, 0, 1, k), c, 1.5f, 0.5f);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += arr(a)[i * k + q] * arr(b)[j * k + q];
                    assertEquals(
                            (float) (0.5 * c0[i * n + j] + 1.5 * s),
                            arr(c)[i * n + j],
                            2e-4f * Math.max(1, Math.abs(s)),
                            "C[" + i + "," + j + "] with " + threads + " threads");
                }
            }
        });
    }

    @Test
    void softmaxRowsSumToOneAndLogSoftmaxIsItsLog() {
        Buffer x = JvmBackend.wrap(new float[] {1, 2, 3, 1000, 1001, 1002});
        Buffer s = be.allocate(6), ls = be.allocate(6);
        be.softmax(x, 2, 3, 1, false, s);
        be.softmax(x, 2, 3, 1, true, ls);
        float[] want = {0.09003057f, 0.24472847f, 0.66524096f};
        for (int i = 0; i < 6; i++) {
            assertEquals(want[i % 3], arr(s)[i], 1e-6f);
            assertEquals((float) Math.log(want[i % 3]), arr(ls)[i], 1e-5f);
        }
    }

    @Test
    void copyFillIndexSelectAndIndexAdd() {
        Buffer x = JvmBackend.wrap(new float[] {0, 1, 2, 3, 4, 5});
        Buffer t = be.allocate(6);
        be.copy(x, new Layout(new int[] {3, 2}, new int[] {1, 3}, 0), t, Layout.contiguous(new int[] {3, 2}));
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, arr(t));
        be.fill(t, new Layout(new int[] {3}, new int[] {2}, 1), 9);
        assertArrayEquals(new float[] {0, 9, 1, 9, 2, 9}, arr(t));
        Buffer sel = be.allocate(6);
        be.indexSelect(x, 1, 3, 2, new int[] {2, 0, 2}, sel); // rows 2, 0, 2 of a 3×2
        assertArrayEquals(new float[] {4, 5, 0, 1, 4, 5}, arr(sel));
        Buffer acc = be.allocate(6);
        be.indexAdd(sel, 1, 3, 2, new int[] {2, 0, 2}, acc);
        assertArrayEquals(new float[] {0, 1, 0, 0, 8, 10}, arr(acc));
    }

    @Test
    void gatherScatterCumsumAndTopk() {
        // x is 2×3×2 (outer 2, size 3, inner 2); index 2×2×2 holds whole numbers as floats
        Buffer x = JvmBackend.wrap(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        Buffer index = JvmBackend.wrap(new float[] {2, 0, 2, 2, 1, 1, 0, 2});
        Buffer g = be.allocate(8);
        be.gather(x, 2, 3, 2, index, 2, g);
        assertArrayEquals(new float[] {4, 1, 4, 5, 8, 9, 6, 11}, arr(g));
        // assignment: a repeated index keeps the last value; accumulation adds both
        Buffer set = be.allocate(12);
        be.scatter(g, index, 2, 2, 2, 3, false, set);
        assertArrayEquals(new float[] {0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 0, 11}, arr(set));
        Buffer add = JvmBackend.wrap(new float[12]);
        be.scatter(g, index, 2, 2, 2, 3, true, add);
        assertArrayEquals(new float[] {0, 1, 0, 0, 8, 5, 6, 0, 8, 9, 0, 11}, arr(add));
        Buffer sums = be.allocate(12);
        be.cumsum(x, 2, 3, 2, false, sums);
        assertArrayEquals(new float[] {0, 1, 2, 4, 6, 9, 6, 7, 14, 16, 24, 27}, arr(sums));
        be.cumsum(x, 2, 3, 2, true, sums);
        assertArrayEquals(new float[] {6, 9, 6, 8, 4, 5, 24, 27, 18, 20, 10, 11}, arr(sums));
        // top 2 of each row of 5 along the middle: NaN largest, ties by position, -0.0 equal to 0.0
        Buffer r = JvmBackend.wrap(new float[] {3, Float.NaN, 3, -0f, 0f});
        Buffer v = be.allocate(2), i = be.allocate(2);
        be.topk(r, 1, 5, 1, 2, true, v, i);
        assertArrayEquals(new float[] {Float.NaN, 3}, arr(v));
        assertArrayEquals(new float[] {1, 0}, arr(i));
        be.topk(r, 1, 5, 1, 2, false, v, i);
        assertArrayEquals(new float[] {-0f, 0f}, arr(v));
        assertArrayEquals(new float[] {3, 4}, arr(i));
    }

    @Test
    void coalesceMergesContiguousDimsAndRowStartsWalkTheView() {
        int[][] g = Geometry.coalesce(new int[] {2, 3, 4}, new int[] {12, 4, 1});
        assertArrayEquals(new int[] {24}, g[0]);
        int[][] t = Geometry.coalesce(new int[] {2, 1, 3}, new int[] {1, 5, 2});
        assertArrayEquals(new int[] {2, 3}, t[0]);
        assertArrayEquals(new int[] {1, 2}, t[1]);
        assertArrayEquals(new int[] {5, 8, 11}, Geometry.rowStarts(new int[] {3, 2}, new int[] {3, 1}, 5));
    }

    @Test
    void rejectsForeignBuffers() {
        Buffer foreign = new Buffer() {
            public int size() {
                return 1;
            }

            public org.grad4j.kernels.Backend backend() {
                return new org.grad4j.kernels.Backend() {
                    public String name() {
                        return "other";
                    }

                    public Buffer allocate(int size) {
                        return null;
                    }

                    public void write(float[] s, int so, Buffer d, int dOff, int l) {}

                    public void read(Buffer s, int so, float[] d, int dOff, int l) {}

                    public void copy(Buffer s, Layout sl, Buffer d, Layout dl) {}

                    public void fill(Buffer d, Layout l, float v) {}

                    public void unary(UnaryOp op, float p0, float p1, Buffer x, Layout xl, Buffer out) {}

                    public void binary(BinaryOp op, Buffer a, Layout al, Buffer b, Layout bl, Buffer out) {}

                    public void where(Buffer c, Layout cl, Buffer a, Layout al, Buffer b, Layout bl, Buffer out) {}

                    public void reduce(ReduceOp op, Buffer x, Layout l, int k, Buffer out, Buffer idx) {}

                    public void matmul(
                            int batch,
                            int m,
                            int n,
                            int k,
                            StridedMatrix a,
                            StridedMatrix b,
                            Buffer out,
                            float alpha,
                            float beta) {}

                    public void softmax(Buffer x, int o, int s, int i, boolean log, Buffer out) {}

                    public void indexSelect(Buffer x, int o, int d, int i, int[] idx, Buffer out) {}

                    public void indexAdd(Buffer s, int o, int d, int i, int[] idx, Buffer out) {}
                };
            }
        };
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> be.fill(foreign, Layout.contiguous(new int[] {1}), 0));
        assertEquals(
                "the JVM backend was given a buffer of backend 'other'; move the tensor to the JVM device first",
                e.getMessage());
    }

    /** Runs {@code body} on one thread and on two, restoring the thread count afterwards. */
    private static void onOneAndTwoThreads(java.util.function.IntConsumer body) {
        int saved = org.grad4j.kernels.Parallel.numThreads();
        try {
            for (int threads : new int[] {1, 2}) {
                org.grad4j.kernels.Parallel.setNumThreads(threads);
                body.accept(threads);
            }
        } finally {
            org.grad4j.kernels.Parallel.setNumThreads(saved);
        }
    }
}
