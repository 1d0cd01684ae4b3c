package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * baddbmm and F.linear against PyTorch: values with a broadcast input, beta = 0 ignoring NaN, first
 * and second derivatives, the nodes PyTorch records, and bad shapes (messages, nothing changed).
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32; the inputs are written out below.
 */
class BaddbmmAndLinearTest {
    private static Tensor b1() {
        return Tensor.of(new float[] {1f, 2f, 3f, 4f, -1f, 0.5f, 2f, -3f}, 2, 2, 2);
    }

    private static Tensor b2() {
        return Tensor.of(new float[] {1f, 0f, -1f, 2f, 1f, 0.5f, 0f, 1f, 2f, -1f, 3f, 1f}, 2, 2, 3);
    }

    @Test
    void baddbmmMatchesPyTorch() {
        Tensor in = Tensor.tensor(0.5f, -1f, 2f).requiresGrad_();
        Tensor b1 = b1().requiresGrad_(), b2 = b2().requiresGrad_();
        // torch.baddbmm(inp, b1, b2, beta=0.5, alpha=2.)
        Tensor o = Torch.baddbmm(in, b1, b2, 0.5f, 2f);
        assertEquals("BaddbmmBackward0", o.gradFn().name());
        assertArrayEquals(
                new float[] {10.25f, 3.5f, 1f, 22.25f, 7.5f, -1f, -0.75f, 0.5f, -2f, 6.25f, -14.5f, 3f},
                o.toFloatArray());
        // gi, g1, g2 = grad((o*o).sum(), [inp, b1, b2], create_graph=True)
        Tensor[] g = Autograd.grad(new Tensor[] {o.mul(o).sum()}, new Tensor[] {in, b1, b2}, null, true, true, false);
        assertArrayEquals(new float[] {38f, -3f, 1f}, g[0].toFloatArray());
        assertArrayEquals(new float[] {37f, 98f, 93f, 206f, -14f, 1f, -34f, -187f}, g[1].toFloatArray());
        assertArrayEquals(
                new float[] {308f, 104f, -8f, 438f, 148f, -8f, 53f, -118f, 32f, -76.5f, 175f, -40f},
                g[2].toFloatArray());
        // grad((gi*gi).sum() + (g1*g1).sum() + (g2*g2).sum(), [inp, b1, b2])
        Tensor s = g[0].mul(g[0])
                .sum()
                .add(g[1].mul(g[1]).sum())
                .add(g[2].mul(g[2]).sum());
        Tensor[] gg = Autograd.grad(s, in, b1, b2);
        assertArrayEquals(new float[] {20265f, 1774f, -828f}, gg[0].toFloatArray());
        assertArrayEquals(
                new float[] {51116f, 93506f, 112908f, 206386f, -722f, 11163f, -6866f, -99853f}, gg[1].toFloatArray());
        assertArrayEquals(
                new float[] {
                    195556f, 67816f, -2832f, 294544f, 102008f, -4168f, 16732f, -42628f, -1596f, -35554f, 88370f, -1738f
                },
                gg[2].toFloatArray());
    }

    @Test
    void baddbmmWithBetaZeroIgnoresNaNAndInfInInput() {
        // torch.baddbmm(torch.full((2, 2, 3), nan), b1, b2, beta=0).isnan().any() is False
        Tensor nan = Tensor.full(Float.NaN, 2, 2, 3);
        Tensor o = nan.baddbmm(b1(), b2(), 0f, 1f);
        assertArrayEquals(b1().bmm(b2()).toFloatArray(), o.toFloatArray());
        Tensor inf = Tensor.full(Float.POSITIVE_INFINITY, 3);
        for (float v : inf.baddbmm(b1(), b2(), 0f, 1f).toFloatArray())
            assertFalse(Float.isNaN(v) || Float.isInfinite(v));
        // a [2, 1, 3] input broadcasts over the rows, with beta 1 and alpha 1
        Tensor in = Tensor.arange(6f).view(2, 1, 3);
        assertArrayEquals(
                in.add(b1().bmm(b2())).toFloatArray(), in.baddbmm(b1(), b2()).toFloatArray());
    }

    @Test
    void baddbmmBadShapesAreErrorsAndChangeNothing() {
        Tensor in = Tensor.zeros(2, 2, 3).requiresGrad_();
        int version = in.version();
        expect(
                "baddbmm: Expected size for first two dimensions of batch2 tensor to be: [2, 2] but got: [2, 3].",
                () -> in.baddbmm(b1(), Tensor.zeros(2, 3, 3)));
        expect("baddbmm: batch1 must be a 3D tensor, got shape [2, 2]", () -> in.baddbmm(Tensor.zeros(2, 2), b2()));
        expect(
                "baddbmm: The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
                        + "dimension 1.  Target sizes: [2, 2, 3].  Tensor sizes: [2, 3, 3]",
                () -> Tensor.zeros(2, 3, 3).baddbmm(b1(), b2()));
        assertEquals(version, in.version());
        assertNull(in.grad());
    }

    private static Tensor w() {
        return Tensor.tensor(new float[][] {{0.1f, -0.2f, 0.3f}, {0.5f, 0.5f, -1f}});
    }

    private static Tensor x() {
        return Tensor.of(new float[] {1f, 2f, 3f, 0.5f, -1f, 2f, 0f, 1f, -1f, 2f, 2f, 2f}, 2, 2, 3);
    }

    @Test
    void linearMatchesPyTorch() {
        Tensor x = x().requiresGrad_(),
                w = w().requiresGrad_(),
                b = Tensor.tensor(0.25f, -0.5f).requiresGrad_();
        // F.linear(X, W, B) on a [2, 2, 3] input: PyTorch's addmm over the rows, viewed back
        Tensor o = F.linear(x, w, b);
        assertEquals("ViewBackward0", o.gradFn().name());
        assertArrayEquals(new int[] {2, 2, 2}, o.shape());
        assertArrayEquals(new float[] {0.85f, -2f, 1.1f, -2.75f, -0.25f, 1f, 0.65f, -0.5f}, o.toFloatArray(), 1e-6f);
        Tensor[] g = Autograd.grad(o.mul(o).sum(), x, w, b);
        assertArrayEquals(
                new float[] {-1.83f, -2.34f, 4.51f, -2.53f, -3.19f, 6.16f, 0.95f, 1.1f, -2.15f, -0.37f, -0.76f, 1.39f},
                g[0].toFloatArray(),
                1e-5f);
        assertArrayEquals(new float[] {5.4f, 3.3f, 12.6f, -8.75f, -2.5f, -27f}, g[1].toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {4.7f, -8.5f}, g[2].toFloatArray(), 1e-5f);
        // 2-d with a bias is one addmm, without one an mm; 1-d input works too
        Tensor x2 = x.select(0, 0);
        assertEquals("AddmmBackward0", F.linear(x2, w, b).gradFn().name());
        assertEquals("MmBackward0", F.linear(x2, w).gradFn().name());
        assertArrayEquals(
                new float[] {0.6f, -1.5f, 0.85f, -2.25f}, F.linear(x2, w).toFloatArray(), 1e-6f);
        assertArrayEquals(
                new float[] {0.85f, -2f}, F.linear(x2.select(0, 0), w, b).toFloatArray(), 1e-6f);
        // a non-contiguous 3-d input: matmul, then the bias
        Tensor xt = x.transpose(0, 1);
        assertArrayEquals(
                F.linear(xt.contiguous(), w, b).toFloatArray(),
                F.linear(xt, w, b).toFloatArray(),
                1e-6f);
    }

    @Test
    void linearBadShapesAreErrorsAndChangeNothing() {
        Tensor x = x().requiresGrad_();
        int version = x.version();
        expect(
                "linear(): mat1 and mat2 shapes cannot be multiplied (4x3 and 2x2): input of shape [2, 2, 3] needs a "
                        + "last dimension of 2 for weight of shape [2, 2]",
                () -> F.linear(x, Tensor.zeros(2, 2)));
        expect(
                "linear(): weight must be 2-d [out_features, in_features], got shape [2, 3, 1]",
                () -> F.linear(x, Tensor.zeros(2, 3, 1)));
        expect(
                "linear: The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
                        + "dimension 0.  Target sizes: [2].  Tensor sizes: [3]",
                () -> F.linear(x, w(), Tensor.zeros(3)));
        assertEquals(version, x.version());
        assertNull(x.grad());
    }

    private static void expect(String message, Executable body) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, body).getMessage());
    }
}
