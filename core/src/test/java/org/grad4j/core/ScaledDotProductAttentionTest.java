package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.grad4j.core.autograd.AutogradGraph;
import org.grad4j.kernels.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * scaled_dot_product_attention against PyTorch: values and gradients with and without masks, causal,
 * scale, L ≠ S, Ev ≠ E, broadcast batch dimensions and 2-d inputs; rows whose keys are all masked;
 * second derivatives and the float mask's gradient; dropout from a generator; errors; and the node's
 * saved state, linear in L.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32. Inputs are {@code q[n] = 1.5 sin(0.7n +
 * 0.3)}, {@code k[n] = 1.2 cos(0.45n - 0.2)}, {@code v[n] = 2 sin(0.31n + 1)} over the flat index n, in
 * the given shapes; the loss is {@code (out * w).sum()} with {@code w[n] = cos(0.17n)}; "wsum" of a
 * gradient is {@code (grad * w).sum()} with w in the gradient's shape.
 */
class ScaledDotProductAttentionTest {

    private static Tensor seq(int[] shape, double a, double b, double c, boolean cos) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((cos ? Math.cos(a * i + b) : Math.sin(a * i + b)) * c);
        return Tensor.of(v, shape).requiresGrad_();
    }

    private static Tensor q(int... s) {
        return seq(s, 0.7, 0.3, 1.5, false);
    }

    private static Tensor k(int... s) {
        return seq(s, 0.45, -0.2, 1.2, true);
    }

    private static Tensor v(int... s) {
        return seq(s, 0.31, 1.0, 2.0, false);
    }

    private static Tensor w(int... s) {
        return seq(s, 0.17, 0, 1, true).detach();
    }

    private static float wsum(Tensor t) {
        return t.mul(w(t.shape())).sum().item();
    }

    private static float[] first(Tensor t, int n) {
        return java.util.Arrays.copyOf(t.toFloatArray(), n);
    }

    /** The BOOL mask {@code (i·S + j) % 3 != 1} of the reference script. */
    private static Tensor boolMask(int rows, int cols) {
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) m[i] = i % 3 != 1 ? 1f : 0f;
        return Tensor.of(m, rows, cols).ne(0f);
    }

    /** The shapes most cases use: batch (2, 3), L = 4 queries, S = 5 keys, E = 8, Ev = 6. */
    private static final int[] Q = {2, 3, 4, 8}, K = {2, 3, 5, 8}, V = {2, 3, 5, 6};

    /**
     * One call against PyTorch: its inputs' shapes (Q, K, V unless set), mask, is_causal and scale, and
     * PyTorch's numbers: the loss, the output's first six values, and each gradient's wsum and first four.
     */
    private static final class Case {
        private final String name;
        private final float loss;
        private int[][] shapes = {Q, K, V};
        private Tensor mask;
        private boolean causal;
        private Double scale;
        private float[] out;
        private final float[][] grad = new float[3][];
        private final float[] gradWsum = new float[3];

        Case(String name, float loss) {
            this.name = name;
            this.loss = loss;
        }

        Case shapes(int[] q, int[] k, int[] v) {
            shapes = new int[][] {q, k, v};
            return this;
        }

        Case mask(Tensor mask) {
            this.mask = mask;
            return this;
        }

        Case causal() {
            causal = true;
            return this;
        }

        Case scale(double scale) {
            this.scale = scale;
            return this;
        }

        Case out(float... first) {
            out = first;
            return this;
        }

        /** The gradient of "q", "k" or "v". */
        Case grad(String of, float wsum, float... first) {
            int i = "qkv".indexOf(of);
            gradWsum[i] = wsum;
            grad[i] = first;
            return this;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> pyTorchCases() {
        return Stream.of(
                new Case("L differs from S and Ev from E", 12.4646702f)
                        .out(0.771736026f, 0.975776434f, 1.08679342f, 1.09420311f, 0.997299194f, 0.805320084f)
                        .grad("q", 3.54952598f, 0.281710953f, 0.723183393f, 1.02066588f, 1.11492765f)
                        .grad("k", -9.52149773f, 0.572377443f, 1.44325435f, 1.63534641f, 1.05830944f)
                        .grad("v", -0.107307494f, 0.933818817f, 0.827376187f, 0.697079837f, 0.546686471f),
                new Case("bool mask", 14.7492619f)
                        .mask(boolMask(4, 5))
                        .out(0.750417173f, 0.974598885f, 1.10586917f, 1.13171375f, 1.04966879f, 0.867556036f)
                        .grad("q", -0.52948308f, 0.22800225f, 0.679789484f, 0.996226728f, 1.11430943f)
                        .grad("k", 1.28500986f, 0.417898029f, 1.32534778f, 1.60946572f, 1.13662684f)
                        .grad("v", -2.56164837f, 1.02159393f, 0.916547298f, 0.785076141f, 0.630970955f),
                new Case("float mask broadcast over heads and queries", 26.2751141f)
                        .mask(seq(new int[] {2, 1, 1, 5}, 0.9, 0, 1, true).detach())
                        .out(1.34531999f, 1.57641816f, 1.65723181f, 1.58005702f, 1.35225081f, 0.995530427f)
                        .grad("q", -1.3173269f, 0.176282629f, 0.365347862f, 0.481670171f, 0.502089202f)
                        .grad("k", -11.0952778f, 1.00866663f, 1.05121195f, 0.599356115f, -0.13438645f)
                        .grad("v", 2.98442245f, 1.19952333f, 1.02517879f, 0.821278036f, 0.593699336f),
                new Case("causal with more queries than keys", 16.1026402f)
                        .shapes(new int[] {2, 3, 6, 8}, new int[] {2, 3, 4, 8}, new int[] {2, 3, 4, 6})
                        .causal()
                        .out(1.68294191f, 1.93236995f, 1.99757946f, 1.87235415f, 1.56863189f, 1.11536741f)
                        .grad("q", 10.9742842f, 0f, 0f, 0f, 0f)
                        .grad("k", 2.48273754f, 1.04007757f, 0.41814515f, -0.400447458f, -1.03070331f)
                        .grad("v", 1.27129555f, 1.36813557f, 1.18299603f, 0.963749707f, 0.716718316f),
                new Case("explicit scale", 11.4820681f)
                        .scale(0.3)
                        .out(0.672453523f, 0.865265429f, 0.975588858f, 0.992906749f, 0.915567994f, 0.750945389f)
                        .grad("q", 3.58905196f, 0.247511819f, 0.646976411f, 0.917624176f, 1.00556779f)
                        .grad("k", -8.18887806f, 0.569373906f, 1.30484498f, 1.42662704f, 0.877444088f)
                        .grad("v", 0.16854471f, 0.837494254f, 0.736577034f, 0.614423871f, 0.474556565f),
                new Case("batch dimensions broadcast as PyTorch, gradients sum back", -12.388937f)
                        .shapes(new int[] {2, 1, 4, 8}, new int[] {3, 5, 8}, new int[] {1, 3, 5, 6})
                        .out(0.771736026f, 0.975776434f, 1.08679342f, 1.09420311f, 0.997299194f, 0.805320084f)
                        .grad("q", 20.2246647f, -0.0776858255f, 0.59336096f, 1.14626622f, 1.47094297f)
                        .grad("k", -2.89108086f, -0.608641326f, 0.75346899f, 1.7612114f, 1.94062829f)
                        .grad("v", 4.14841032f, 0.759585321f, 0.633627295f, 0.48940146f, 0.331066072f),
                new Case("two-dimensional inputs", 1.76491618f)
                        .shapes(new int[] {4, 8}, new int[] {5, 8}, new int[] {5, 6})
                        .out(0.771736026f, 0.975776553f, 1.08679354f, 1.09420311f, 0.997299194f, 0.805320084f)
                        .grad("q", 9.2067709f, 0.281711251f, 0.723183692f, 1.02066588f, 1.11492765f)
                        .grad("k", -2.39852691f, 0.572377503f, 1.44325447f, 1.63534653f, 1.05830956f)
                        .grad("v", 5.62015915f, 0.933818877f, 0.827376187f, 0.697079837f, 0.546686471f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pyTorchCases")
    void valuesAndGradientsMatchPyTorch(Case c) {
        Tensor[] in = {q(c.shapes[0]), k(c.shapes[1]), v(c.shapes[2])};
        Tensor o = F.scaledDotProductAttention(in[0], in[1], in[2], c.mask, 0.0, c.causal, c.scale, null);
        assertEquals("ScaledDotProductFlashAttentionForCpuBackward0", o.gradFn().name(), c.name);
        Tensor loss = o.mul(w(o.shape())).sum();
        assertArrayEquals(c.out, first(o, 6), 2e-6f, c.name + ": output");
        assertEquals(c.loss, loss.item(), 2e-5f, c.name + ": loss");
        loss.backward();
        for (int i = 0; i < 3; i++) {
            Tensor g = in[i].grad();
            String of = c.name + ": gradient of " + "qkv".charAt(i);
            assertArrayEquals(c.grad[i], first(g, 4), 2e-6f, of);
            assertEquals(c.gradWsum[i], wsum(g), 2e-5f, of);
            assertArrayEquals(c.shapes[i], g.shape(), of); // summed back over broadcast batch dimensions
        }
    }

    @Test
    void fullyMaskedRowsGiveZerosAndNoGradientAsPyTorch() {
        Tensor q = q(1, 2, 3, 4), k = k(1, 2, 5, 4), v = v(1, 2, 5, 4);
        float[] m = new float[15];
        java.util.Arrays.fill(m, 1f);
        java.util.Arrays.fill(m, 5, 10, 0f); // query row 1 sees no key
        Tensor o = F.scaledDotProductAttention(q, k, v, Tensor.of(m, 3, 5).ne(0f), 0.0, false, null, null);
        o.mul(w(o.shape())).sum().backward();
        assertArrayEquals(
                new float[] {
                    -0.407473892f,
                    -0.232199609f,
                    -0.0347891413f,
                    0.165937901f,
                    0f,
                    0f,
                    0f,
                    0f,
                    -0.768529594f,
                    -0.670280218f,
                    -0.508131266f,
                    -0.297540545f,
                    -0.603300333f,
                    -0.53065753f,
                    -0.407425672f,
                    -0.24535279f,
                    0f,
                    0f,
                    0f,
                    0f,
                    -0.514529765f,
                    -0.821440279f,
                    -1.05004072f,
                    -1.17853761f
                },
                o.toFloatArray(),
                2e-6f);
        assertArrayEquals(
                new float[] {
                    0.988440871f,
                    0.313141674f,
                    -0.424505681f,
                    -1.07763171f,
                    0f,
                    0f,
                    0f,
                    0f,
                    -0.083049275f,
                    -0.0598355718f,
                    -0.0247082654f,
                    0.0153386034f,
                    1.00896084f,
                    0.706359148f,
                    0.263117164f,
                    -0.232512981f,
                    0f,
                    0f,
                    0f,
                    0f,
                    0.881484747f,
                    0.617686629f,
                    0.230903521f,
                    -0.201853812f
                },
                q.grad().toFloatArray(),
                2e-6f);
        assertEquals(9.00472355f, wsum(k.grad()), 2e-5f);
        assertEquals(-1.69340563f, wsum(v.grad()), 2e-5f);
    }

    @Test
    void secondDerivativesMatchPyTorch() {
        Tensor q = q(2, 3, 4), k = k(2, 5, 4), v = v(2, 5, 2);
        float[] m = new float[15];
        for (int i = 0; i < 15; i++) m[i] = i % 3 != 1 && i < 10 ? 1f : 0f; // row 2 fully masked
        Tensor o = F.scaledDotProductAttention(q, k, v, Tensor.of(m, 3, 5).ne(0f), 0.0, false, null, null);
        assertArrayEquals(new float[] {1.05282128f, 0.80853045f, 1.50341988f, 1.30894756f}, first(o, 4), 2e-6f);
        Tensor[] g = Autograd.grad(
                new Tensor[] {o.mul(w(o.shape())).sum()}, new Tensor[] {q, k, v}, null, true, true, false);
        Tensor s = g[0].mul(w(g[0].shape()))
                .sum()
                .add(g[1].mul(g[1]).sum())
                .add(g[2].mul(w(g[2].shape())).mul(g[2]).sum());
        Tensor[] h = Autograd.grad(s, q, k, v);
        assertArrayEquals(new float[] {0.538704515f, 0.850137174f, 0.808102667f, 0.390365779f}, first(h[0], 4), 2e-5f);
        assertEquals(1.69261813f, wsum(h[0]), 1e-4f);
        assertArrayEquals(new float[] {0.511666715f, 0.801802576f, 0.878216505f, 0.697347522f}, first(h[1], 4), 2e-5f);
        assertEquals(6.85983515f, wsum(h[1]), 1e-4f);
        assertArrayEquals(new float[] {0.854249895f, 0.843931317f, 0.326802045f, 0.302533299f}, first(h[2], 4), 2e-5f);
        assertEquals(1.31514132f, wsum(h[2]), 1e-4f);
    }

    @Test
    void floatMaskThatRequiresGradGetsPyTorchsGradient() {
        Tensor mask = seq(new int[] {3, 5}, 0.9, 0, 1, true);
        Tensor o = F.scaledDotProductAttention(q(2, 3, 4), k(2, 5, 4), v(2, 5, 2), mask, 0.0, false, null, null);
        o.mul(w(o.shape())).sum().backward();
        assertArrayEquals(
                new float[] {
                    0.287906438f,
                    -0.0185666122f,
                    -0.00469672121f,
                    -0.226991057f,
                    -0.0376519151f,
                    -0.00387669588f,
                    0.316573381f,
                    -0.133764699f,
                    -0.0171076581f,
                    -0.161824122f,
                    0.167263418f,
                    0.0304031782f,
                    0.201103747f,
                    -0.12339142f,
                    -0.275378883f
                },
                mask.grad().toFloatArray(),
                2e-6f);
    }

    @Test
    void dropoutKeepsOrZeroesEachProbabilityAndRepeatsWithTheSeed() {
        // with v the identity (S = Ev), the output is the dropped probability matrix itself
        int L = 40, S = 50;
        Tensor q = q(2, L, 8).detach(), k = k(2, S, 8).detach();
        float[] eye = new float[S * S];
        for (int i = 0; i < S; i++) eye[i * S + i] = 1f;
        Tensor v = Tensor.of(eye, S, S);
        float[] p = F.scaledDotProductAttention(q, k, v).toFloatArray();
        float[] d = F.scaledDotProductAttention(q, k, v, null, 0.25, false, null, new Generator(3))
                .toFloatArray();
        int zeros = 0;
        for (int i = 0; i < p.length; i++) {
            if (d[i] == 0f) zeros++;
            else assertEquals(p[i] / 0.75f, d[i], 1e-6f, "element " + i);
        }
        assertEquals(0.25, zeros / (double) p.length, 0.02); // 4000 draws: the fraction dropped is near p
        float[] again = F.scaledDotProductAttention(q, k, v, null, 0.25, false, null, new Generator(3))
                .toFloatArray();
        assertArrayEquals(d, again);
        float[] all = F.scaledDotProductAttention(q, k, v, null, 1.0, false, null, new Generator(3))
                .toFloatArray();
        assertArrayEquals(new float[all.length], all); // p = 1 drops everything, as PyTorch
    }

    @Test
    void savedStateIsLinearInTheSequenceLength() {
        int L = 512, E = 16;
        Tensor q = Tensor.randn(new Generator(1), 1, L, E).requiresGrad_();
        Tensor k = Tensor.randn(new Generator(2), 1, L, E).requiresGrad_();
        Tensor v = Tensor.randn(new Generator(3), 1, L, E).requiresGrad_();
        List<Integer> sizes = new ArrayList<>();
        Consumer<Buffer> previous = TensorInternals.observeAllocations(b -> sizes.add(b.size()));
        try {
            Tensor o = F.scaledDotProductAttention(q, k, v, null, 0.1, true, null, new Generator(4));
            // q, k, v, the output (L·E each) and the log-sum-exp (L): nothing of L·L
            assertEquals(4L * (4 * L * E + L), AutogradGraph.savedBytes(o));
            o.sum().backward();
        } finally {
            TensorInternals.observeAllocations(previous);
        }
        for (int size : sizes) assertTrue(size < L * L / 8, "a buffer of " + size + " floats was made");
        assertTrue(q.grad().abs().sum().item() > 0f);
    }

    @Test
    void badInputsAreErrorsNamingTheOpAndLeaveStateUnchanged() {
        Tensor q = q(2, 3, 4, 8), k = k(2, 3, 5, 8), v = v(2, 3, 5, 6);
        Generator gen = new Generator(9);
        long next = new Generator(9).nextLong();
        assertError(
                "scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True",
                () -> F.scaledDotProductAttention(q, k, v, boolMask(4, 5), 0.5, true, null, gen));
        assertError(
                "scaled_dot_product_attention: query and key must have the same last dimension (the embedding size E), "
                        + "but got query [2, 3, 4, 8] and key [2, 3, 5, 7]",
                () -> F.scaledDotProductAttention(q, k(2, 3, 5, 7), v, null, 0.5, false, null, gen));
        assertError(
                "scaled_dot_product_attention: key and value must have the same sequence length (dimension -2), but "
                        + "got key [2, 3, 5, 8] and value [2, 3, 4, 6]",
                () -> F.scaledDotProductAttention(q, k, v(2, 3, 4, 6), null, 0.5, false, null, gen));
        assertError(
                "scaled_dot_product_attention: Expected query, key, and value to all be at least 2 dimensional, but "
                        + "got query.dim: 1 key.dim: 1 and value.dim: 1 instead.",
                () -> F.scaledDotProductAttention(q(8), k(8), v(6)));
        assertError(
                "scaled_dot_product_attention: attn_mask of shape [4, 4] cannot be broadcast to the attention "
                        + "weights' shape [2, 3, 4, 5] (batch dimensions, L, S)",
                () -> F.scaledDotProductAttention(q, k, v, boolMask(4, 4), 0.5, false, null, gen));
        assertError(
                "scaled_dot_product_attention: Expected attn_mask dtype to be bool or float or to match query dtype, "
                        + "but got attn_mask.dtype: torch.int64 and query.dtype: torch.float32 instead.",
                () -> F.scaledDotProductAttention(q, k, v, Tensor.indices(1), 0.5, false, null, gen));
        assertError(
                "scaled_dot_product_attention: dropout probability has to be between 0 and 1, but got 1.5",
                () -> F.scaledDotProductAttention(q, k, v, null, 1.5, false, null, gen));
        RuntimeException e = assertThrows(
                IllegalArgumentException.class,
                () -> F.scaledDotProductAttention(q, k, v(2, 2, 5, 6), null, 0.5, false, null, gen));
        assertTrue(e.getMessage().startsWith("scaled_dot_product_attention: the size of tensor a (3) must match"));
        assertEquals(next, gen.nextLong()); // no failed call drew a dropout seed
        for (Tensor t : new Tensor[] {q, k, v}) {
            assertEquals(0, t.version());
            assertNull(t.grad());
        }
    }

    private static void assertError(String message, Runnable call) {
        RuntimeException e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(message, e.getMessage());
    }
}
