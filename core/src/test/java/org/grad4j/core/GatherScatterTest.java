package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * gather, scatter (tensor and value), scatter_add and their in-place forms against PyTorch: values,
 * an index smaller than self, repeated indices, first and second derivatives, the test device, and
 * bad indices (PyTorch's messages, nothing changed).
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32; each assertion names its expression.
 */
class GatherScatterTest {
    /** An INT64 index tensor of the given shape. */
    static Tensor index(int[] shape, int... values) {
        return Tensor.indices(values).view(shape);
    }

    private static Tensor x23() {
        return Tensor.tensor(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
    }

    @Test
    void gatherMatchesPyTorch() {
        Tensor x = x23().requiresGrad_();
        Tensor i = index(new int[] {2, 2}, 0, 0, 2, 1);
        Tensor y = x.gather(1, i);
        assertEquals("GatherBackward0", y.gradFn().name());
        // x.gather(1, [[0, 0], [2, 1]])
        assertArrayEquals(new float[] {1f, 1f, 6f, 5f}, y.toFloatArray());
        // g, = grad((y*y).sum(), x, create_graph=True); gg, = grad((g*g).sum(), x)
        Tensor g = Autograd.grad(y.mul(y).sum(), x, true);
        assertArrayEquals(new float[] {4f, 0f, 0f, 0f, 10f, 12f}, g.toFloatArray());
        assertArrayEquals(
                new float[] {32f, 0f, 0f, 0f, 40f, 48f},
                Autograd.grad(g.mul(g).sum(), x).toFloatArray());
        // torch.arange(24.).reshape(2, 3, 4).gather(1, [[[1, 0, 1]], [[0, 0, 1]]]): index smaller than self
        Tensor x3 = Tensor.arange(24f).view(2, 3, 4);
        Tensor y3 = Torch.gather(x3, 1, index(new int[] {2, 1, 3}, 1, 0, 1, 0, 0, 1));
        assertArrayEquals(new int[] {2, 1, 3}, y3.shape());
        assertArrayEquals(new float[] {4f, 1f, 6f, 12f, 13f, 18f}, y3.toFloatArray());
        // non-contiguous self: x.t().gather(0, [[1, 2]]) = [[2, 6]]
        assertArrayEquals(
                new float[] {2f, 6f},
                x23().t().gather(0, index(new int[] {1, 2}, 1, 2)).toFloatArray());
        // 0-d: torch.tensor(3.).gather(0, torch.tensor(0)) = 3
        Tensor s = Tensor.scalar(3f).gather(0, Tensor.indices(0).view());
        assertArrayEquals(new int[0], s.shape());
        assertEquals(3f, s.item());
    }

    @Test
    void scatterAndScatterAddMatchPyTorch() {
        Tensor src = Tensor.arange(1f, 11f, 1f).view(2, 5);
        Tensor idx = index(new int[] {2, 5}, 0, 1, 2, 0, 0, 2, 0, 0, 1, 2);
        // torch.zeros(3, 5).scatter(0, idx, src)
        assertArrayEquals(
                new float[] {1f, 7f, 8f, 4f, 5f, 0f, 2f, 0f, 9f, 0f, 6f, 0f, 3f, 0f, 10f},
                Tensor.zeros(3, 5).scatter(0, idx, src).toFloatArray());
        // torch.zeros(3, 5).scatter(1, [[1, 3], [0, 4], [2, 2]], 1.5)
        assertArrayEquals(
                new float[] {0f, 1.5f, 0f, 1.5f, 0f, 1.5f, 0f, 0f, 0f, 1.5f, 0f, 0f, 1.5f, 0f, 0f},
                Torch.scatter(Tensor.zeros(3, 5), 1, index(new int[] {3, 2}, 1, 3, 0, 4, 2, 2), 1.5f)
                        .toFloatArray());
        // torch.ones(3, 5).scatter_add(0, idx, src)
        assertArrayEquals(
                new float[] {2f, 8f, 9f, 5f, 6f, 1f, 3f, 1f, 10f, 1f, 7f, 1f, 4f, 1f, 11f},
                Torch.scatterAdd(Tensor.ones(3, 5), 0, idx, src).toFloatArray());
        // repeated indices add up: torch.zeros(2, 3).scatter_add(1, [[0,0,0,2],[1,1,1,1]], arange(1., 9.).view(2, 4))
        assertArrayEquals(
                new float[] {6f, 0f, 4f, 0f, 26f, 0f},
                Tensor.zeros(2, 3)
                        .scatterAdd(
                                1,
                                index(new int[] {2, 4}, 0, 0, 0, 2, 1, 1, 1, 1),
                                Tensor.arange(1f, 9f, 1f).view(2, 4))
                        .toFloatArray());
    }

    @Test
    void scatterDerivativesMatchPyTorch() {
        Tensor w = Tensor.tensor(new float[][] {{1f, -2f, 3f}, {-4f, 5f, -6f}});
        Tensor ii = index(new int[] {2, 2}, 2, 0, 1, 1);
        for (boolean add : new boolean[] {false, true}) {
            Tensor a = x23().requiresGrad_();
            Tensor b = Tensor.tensor(new float[][] {{10f, 20f}, {30f, 40f}, {50f, 60f}})
                    .requiresGrad_();
            // src larger than the index: its third row gets no gradient
            Tensor z = add ? a.scatterAdd(1, ii, b.narrow(0, 0, 2)) : a.scatter(1, ii, b.narrow(0, 0, 2));
            assertEquals(
                    add ? "ScatterAddBackward0" : "ScatterBackward0", z.gradFn().name());
            Tensor[] g =
                    Autograd.grad(new Tensor[] {z.mul(z).mul(w).sum()}, new Tensor[] {a, b}, null, true, true, false);
            Tensor[] gg = Autograd.grad(g[0].mul(g[0]).sum().add(g[1].mul(g[1]).sum()), a, b);
            if (add) {
                assertArrayEquals(new float[] {42f, -8f, 78f, -32f, 750f, -72f}, g[0].toFloatArray());
                assertArrayEquals(new float[] {78f, 42f, 750f, 750f, 0f, 0f}, g[1].toFloatArray());
                assertArrayEquals(new float[] {336f, 64f, 1872f, 512f, 45000f, 1728f}, gg[0].toFloatArray());
                assertArrayEquals(new float[] {1872f, 336f, 45000f, 45000f, 0f, 0f}, gg[1].toFloatArray());
            } else {
                assertArrayEquals(new float[] {0f, -8f, 0f, -32f, 0f, -72f}, g[0].toFloatArray());
                assertArrayEquals(new float[] {60f, 40f, 400f, 400f, 0f, 0f}, g[1].toFloatArray());
                assertArrayEquals(new float[] {0f, 64f, 0f, 512f, 0f, 1728f}, gg[0].toFloatArray());
                assertArrayEquals(new float[] {720f, 160f, 16000f, 16000f, 0f, 0f}, gg[1].toFloatArray());
            }
        }
        Tensor a = x23().requiresGrad_();
        Tensor v = a.scatter(1, ii, 7f);
        assertEquals("ScatterBackward1", v.gradFn().name());
        v.sum().backward();
        assertArrayEquals(new float[] {0f, 1f, 0f, 1f, 0f, 1f}, a.grad().toFloatArray());
    }

    @Test
    void inPlaceFormsWriteIntoSelfAndRecord() {
        Tensor a = x23().requiresGrad_();
        Tensor src = Tensor.tensor(new float[][] {{10f, 20f}, {30f, 40f}});
        Tensor ii = index(new int[] {2, 2}, 2, 0, 1, 1);
        Tensor y = a.mul(1f);
        assertEquals(y, y.scatter_(1, ii, src));
        assertEquals("ScatterBackward0", y.gradFn().name());
        // a.clone().scatter_(1, ii, src) = [[20, 2, 10], [4, 40, 6]] (the last write of a repeated index wins)
        assertArrayEquals(new float[] {20f, 2f, 10f, 4f, 40f, 6f}, y.toFloatArray());
        y.sum().backward();
        assertArrayEquals(new float[] {0f, 1f, 0f, 1f, 0f, 1f}, a.grad().toFloatArray());
        Tensor z = x23();
        z.scatterAdd_(1, ii, src).scatter_(0, index(new int[] {1, 1}, 1), -1f);
        // x.scatter_add_(1, ii, src).scatter_(0, [[1]], -1.) = [[21, 2, 13], [-1, 75, 6]]
        assertArrayEquals(new float[] {21f, 2f, 13f, -1f, 75f, 6f}, z.toFloatArray());
    }

    @Test
    void runsOnAnotherDeviceAsOnTheJvm() {
        Device test = Device.of("test");
        Tensor x = Tensor.arange(24f).view(2, 3, 4);
        Tensor i = index(new int[] {2, 2, 3}, 2, 0, 1, 1, 1, 0, 0, 2, 2, 1, 0, 1);
        Tensor onTest = x.to(test).gather(1, i.to(test));
        assertEquals(test, onTest.device());
        assertArrayEquals(x.gather(1, i).toFloatArray(), onTest.toFloatArray());
        Tensor src = Tensor.arange(12f).view(2, 2, 3);
        assertArrayEquals(
                x.scatterAdd(1, i, src).toFloatArray(),
                x.to(test).scatterAdd(1, i.to(test), src.to(test)).toFloatArray());
    }

    @Test
    void badIndicesAreErrorsAsPyTorchAndChangeNothing() {
        Tensor x = Tensor.arange(12f).view(3, 4).mul(1f);
        int version = x.version();
        float[] before = x.toFloatArray();
        Tensor ones = Tensor.ones(2, 2);
        expect(
                IllegalArgumentException.class,
                "gather(): Expected dtype int64 for index but got torch.float32 (shape [2, 2]); make index tensors with "
                        + "Tensor.indices(...)",
                () -> x.gather(1, ones));
        expect(
                IndexOutOfBoundsException.class,
                "gather(): index 5 is out of bounds for dimension 1 with size 4",
                () -> x.gather(1, index(new int[] {1, 1}, 5)));
        expect(
                IndexOutOfBoundsException.class,
                "gather(): index -1 is out of bounds for dimension 1 with size 4",
                () -> x.gather(1, index(new int[] {1, 1}, -1)));
        expect(
                IllegalArgumentException.class,
                "gather(): Index tensor must have the same number of dimensions as input tensor (index of shape [2], "
                        + "input of shape [3, 4])",
                () -> x.gather(1, Tensor.indices(0, 1)));
        expect(
                IllegalArgumentException.class,
                "gather(): Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] "
                        + "apart from dimension 1",
                () -> x.gather(1, index(new int[] {4, 1}, 0, 0, 0, 0)));
        expect(
                IndexOutOfBoundsException.class,
                "gather: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                () -> x.gather(2, index(new int[] {1, 1}, 0)));
        Tensor i22 = index(new int[] {2, 2}, 0, 1, 2, 0);
        expect(
                IllegalArgumentException.class,
                "scatter(): Expected index [2, 2] to be no larger than self [3, 4] apart from dimension 1 and to be "
                        + "no larger size than src [1, 1]",
                () -> x.scatter(1, i22, Tensor.ones(1, 1)));
        expect(
                IllegalArgumentException.class,
                "scatter_add(): Expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1 and to "
                        + "be no larger size than src [4, 1]",
                () -> x.scatterAdd_(1, index(new int[] {4, 1}, 0, 0, 0, 0), Tensor.ones(4, 1)));
        expect(
                IndexOutOfBoundsException.class,
                "scatter(): index 9 is out of bounds for dimension 1 with size 4",
                () -> x.scatter_(1, index(new int[] {1, 1}, 9), 1f));
        expect(
                IllegalArgumentException.class,
                "scatter(): Index tensor must have the same number of dimensions as self tensor (index of shape [1], "
                        + "self of shape [3, 4])",
                () -> x.scatter_(1, Tensor.indices(0), 1f));
        // a fraction written into an index tensor is an error, not truncated
        Tensor frac = index(new int[] {1, 1}, 1).add_(0.5f);
        expect(
                IllegalArgumentException.class,
                "scatter_add(): index holds the non-integral value 1.5 at position 0; indices must be whole numbers",
                () -> x.scatterAdd_(1, frac, Tensor.ones(1, 1)));
        assertEquals(version, x.version());
        assertArrayEquals(before, x.toFloatArray());
        assertNull(x.grad());
    }

    private static void expect(Class<? extends RuntimeException> type, String message, Executable body) {
        assertEquals(message, assertThrows(type, body).getMessage());
    }
}
