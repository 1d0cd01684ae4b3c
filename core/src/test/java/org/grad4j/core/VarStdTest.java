package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * var and std against PyTorch: values and gradients for several corrections (including one larger than
 * N, which gives inf and nan as PyTorch), over all elements and with keepdim, the second derivative,
 * and bad dims.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code x = torch.tensor([[1., 2., 4.], [-1., 0.5, 3.]])};
 * {@code g, = autograd.grad(torch.var(x, 1, correction=c).sum(), x)} and the same for std.
 */
class VarStdTest {
    private static final float INF = Float.POSITIVE_INFINITY;

    private static Tensor x() {
        return Tensor.tensor(new float[][] {{1f, 2f, 4f}, {-1f, 0.5f, 3f}}).requiresGrad_();
    }

    private static void check(float correction, float[] var, float[] std, float[] gVar, float[] gStd) {
        int[] d1 = {1};
        Tensor x = x();
        Tensor v = x.var(d1, correction, false);
        assertEquals("VarBackward0", v.gradFn().name());
        assertArrayEquals(var, v.toFloatArray(), 1e-5f, "var correction " + correction);
        assertArrayEquals(gVar, Autograd.grad(v.sum(), x).toFloatArray(), 1e-5f, "var grad correction " + correction);
        Tensor s = Torch.std(x, d1, correction, false);
        assertEquals("StdBackward0", s.gradFn().name());
        assertArrayEquals(std, s.toFloatArray(), 1e-5f, "std correction " + correction);
        assertArrayEquals(gStd, Autograd.grad(s.sum(), x).toFloatArray(), 1e-5f, "std grad correction " + correction);
    }

    @Test
    void besselCorrectionMatchesPyTorch() {
        check(
                1f,
                new float[] {2.3333332538604736f, 4.083333492279053f},
                new float[] {1.5275251865386963f, 2.020725965499878f},
                new float[] {
                    -1.3333332538604736f,
                    -0.33333325386047363f,
                    1.6666667461395264f,
                    -1.8333332538604736f,
                    -0.3333333134651184f,
                    2.1666667461395264f
                },
                new float[] {
                    -0.4364357590675354f,
                    -0.10910891741514206f,
                    0.5455447435379028f,
                    -0.45363232493400574f,
                    -0.0824786052107811f,
                    0.5361109972000122f
                });
    }

    @Test
    void otherCorrectionsMatchPyTorch() {
        check(
                0f,
                new float[] {1.5555555820465088f, 2.722222328186035f},
                new float[] {1.2472190856933594f, 1.6499158143997192f},
                new float[] {
                    -0.8888888359069824f,
                    -0.22222217917442322f,
                    1.1111111640930176f,
                    -1.2222222089767456f,
                    -0.2222222089767456f,
                    1.4444445371627808f
                },
                new float[] {
                    -0.35634833574295044f,
                    -0.08908706903457642f,
                    0.44543546438217163f,
                    -0.37038928270339966f,
                    -0.06734350323677063f,
                    0.4377328157424927f
                });
        check(
                2f,
                new float[] {4.666666507720947f, 8.166666984558105f},
                new float[] {2.1602468490600586f, 2.8577380180358887f},
                new float[] {
                    -2.6666665077209473f,
                    -0.6666665077209473f,
                    3.3333334922790527f,
                    -3.6666665077209473f,
                    -0.6666666269302368f,
                    4.333333492279053f
                },
                new float[] {
                    -0.6172133684158325f,
                    -0.15430331230163574f,
                    0.7715167999267578f,
                    -0.6415329575538635f,
                    -0.11664235591888428f,
                    0.7581754326820374f
                });
    }

    @Test
    void correctionAtOrAboveNGivesInfAndNanAsPyTorch() {
        float nan = Float.NaN;
        check(
                3f,
                new float[] {INF, INF},
                new float[] {INF, INF},
                new float[] {-INF, -INF, INF, -INF, -INF, INF},
                new float[] {nan, nan, nan, nan, nan, nan});
        check(
                4f,
                new float[] {INF, INF},
                new float[] {INF, INF},
                new float[] {
                    2.6666665077209473f,
                    0.6666665077209473f,
                    -3.3333334922790527f,
                    3.6666665077209473f,
                    0.6666666269302368f,
                    -4.333333492279053f
                },
                new float[] {0f, 0f, -0f, 0f, 0f, -0f});
        // torch.var(torch.tensor([[1., 1.]]), 1, correction=2): 0 / 0
        assertArrayEquals(
                new float[] {nan},
                Tensor.tensor(new float[][] {{1f, 1f}})
                        .var(new int[] {1}, 2f, false)
                        .toFloatArray());
    }

    @Test
    void allElementsKeepdimAndAConstantRowMatchPyTorch() {
        // torch.var(x), torch.std(x), torch.var(x, 0), torch.std(x, 0, keepdim=True, correction=0)
        assertEquals(3.241666555404663f, x().var().item(), 1e-5f);
        assertEquals(1.8004629611968994f, x().std().item(), 1e-5f);
        assertArrayEquals(new float[] {2f, 1.125f, 0.5f}, x().var(0).toFloatArray(), 1e-6f);
        Tensor s = x().std(new int[] {0}, 0f, true);
        assertArrayEquals(new int[] {1, 3}, s.shape());
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f}, s.toFloatArray(), 1e-6f);
        assertArrayEquals(new int[] {1, 1}, x().var(new int[] {0, 1}, 1f, true).shape());
        // std of a constant row is 0 and its gradient 0, not nan: torch.std(torch.tensor([[2., 2.]]), 1)
        Tensor c = Tensor.tensor(new float[][] {{2f, 2f}}).requiresGrad_();
        Tensor sc = c.std(1);
        assertArrayEquals(new float[] {0f}, sc.toFloatArray());
        assertArrayEquals(new float[] {0f, 0f}, Autograd.grad(sc.sum(), c).toFloatArray());
    }

    @Test
    void secondDerivativesMatchPyTorch() {
        // g, = autograd.grad((s*s*s).sum(), x, create_graph=True) with s = torch.std(x, 1); then grad(g.sum(), x)
        Tensor x = x();
        Tensor s = x.std(1);
        Tensor g = Autograd.grad(s.mul(s).mul(s).sum(), x, true);
        assertArrayEquals(
                new float[] {
                    -3.0550503730773926f,
                    -0.7637624740600586f,
                    3.8188133239746094f,
                    -5.556995868682861f,
                    -1.0103628635406494f,
                    6.567359447479248f
                },
                g.toFloatArray(),
                1e-4f);
        // the deviations sum to zero in each row, so the second derivative vanishes (PyTorch: about 1e-7)
        assertArrayEquals(new float[6], Autograd.grad(g.sum(), x).toFloatArray(), 1e-4f);
        // the same for (v*v).sum() with v = torch.var(x, 1)
        Tensor v = x.var(1);
        Tensor gv = Autograd.grad(v.mul(v).sum(), x, true);
        assertArrayEquals(
                new float[] {
                    -6.222221851348877f,
                    -1.5555551052093506f,
                    7.777777671813965f,
                    -14.972222328186035f,
                    -2.722222089767456f,
                    17.694446563720703f
                },
                gv.toFloatArray(),
                1e-4f);
        assertArrayEquals(new float[6], Autograd.grad(gv.sum(), x).toFloatArray(), 1e-4f);
    }

    @Test
    void badDimsAreErrors() {
        Tensor x = x();
        int version = x.version();
        RuntimeException e = assertThrows(IndexOutOfBoundsException.class, () -> x.var(2));
        assertEquals(
                "var: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.std(new int[] {1, -1}, 1f, false));
        assertEquals("std: dim 1 appears multiple times in the list of dims", e.getMessage());
        assertEquals(version, x.version());
        assertNull(x.grad());
    }
}
