package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * topk against PyTorch: largest and smallest along each dim, NaN, ties, INT64 indices, the first and
 * second derivatives, the test device, and bad k.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code t = torch.tensor([[0.3, -1., 2.5, 0.7, 1.1], [4., -2., -3., 0., 1.5]])}.
 */
class TopkTest {
    private static Tensor t() {
        return Tensor.tensor(new float[][] {{0.3f, -1f, 2.5f, 0.7f, 1.1f}, {4f, -2f, -3f, 0f, 1.5f}});
    }

    @Test
    void valuesAndIndicesMatchPyTorch() {
        // t.topk(3)
        Tensor.ValuesIndices r = t().topk(3);
        assertArrayEquals(
                new float[] {2.5f, 1.1f, 0.7f, 4f, 1.5f, 0f}, r.values().toFloatArray());
        assertArrayEquals(new float[] {2, 4, 3, 0, 4, 3}, r.indices().toFloatArray());
        assertEquals(DType.INT64, r.indices().dtype());
        assertArrayEquals(new int[] {2, 3}, r.indices().shape());
        // t.topk(2, dim=0, largest=False)
        r = Torch.topk(t(), 2, 0, false, true);
        assertArrayEquals(
                new float[] {0.3f, -2f, -3f, 0f, 1.1f, 4f, -1f, 2.5f, 0.7f, 1.5f},
                r.values().toFloatArray());
        assertArrayEquals(
                new float[] {0, 1, 1, 1, 0, 1, 0, 0, 0, 1}, r.indices().toFloatArray());
        // t.topk(2, largest=False)
        r = t().topk(2, -1, false, true);
        assertArrayEquals(new float[] {-1f, 0.3f, -3f, -2f}, r.values().toFloatArray());
        assertArrayEquals(new float[] {1, 0, 2, 1}, r.indices().toFloatArray());
        // NaN is the largest: torch.tensor([1., nan, 3., 2.]).topk(2) = ([nan, 3], [1, 2]); smallest 4 = [1,2,3,nan]
        Tensor n = Tensor.tensor(1f, Float.NaN, 3f, 2f);
        assertArrayEquals(new float[] {Float.NaN, 3f}, n.topk(2).values().toFloatArray());
        assertArrayEquals(new float[] {1, 2}, n.topk(2).indices().toFloatArray());
        assertArrayEquals(
                new float[] {0, 3, 2, 1}, n.topk(4, 0, false, true).indices().toFloatArray());
        // k = 0 gives empty results; a 0-d tensor has one element: torch.tensor(5.).topk(1) = (5., 0)
        assertArrayEquals(new int[] {2, 0}, t().topk(0).values().shape());
        assertEquals(5f, Tensor.scalar(5f).topk(1).values().item());
        assertEquals(5f, Tensor.scalar(5f).topk(0).values().item()); // PyTorch 2.13: (tensor(5.), tensor(0))
        assertEquals(0f, Tensor.scalar(5f).topk(0).indices().item());
    }

    @Test
    void tiesComeInIndexOrder() {
        // PyTorch 2.13's CPU topk returns [2, 2, 1] with indices [5, 4, 3]: the order among equal values
        // follows its partial sort and is not specified; here equal values come by index
        Tensor.ValuesIndices r = Tensor.tensor(1f, 1f, 1f, 1f, 2f, 2f).topk(3);
        assertArrayEquals(new float[] {2f, 2f, 1f}, r.values().toFloatArray());
        assertArrayEquals(new float[] {4, 5, 0}, r.indices().toFloatArray());
        // -0.0 equals 0.0
        assertArrayEquals(
                new float[] {0, 1}, Tensor.tensor(-0f, 0f).topk(2).indices().toFloatArray());
    }

    @Test
    void firstAndSecondDerivativesMatchPyTorch() {
        Tensor t = t().requiresGrad_();
        Tensor v = t.topk(3).values();
        assertEquals("TopkBackward0", v.gradFn().name());
        // g, = grad((v*v).sum(), t, create_graph=True); gg, = grad((g*g).sum(), t)
        Tensor g = Autograd.grad(v.mul(v).sum(), t, true);
        assertArrayEquals(new float[] {0f, 0f, 5f, 1.4f, 2.2f, 8f, 0f, 0f, 0f, 3f}, g.toFloatArray(), 1e-6f);
        assertArrayEquals(
                new float[] {0f, 0f, 20f, 5.6f, 8.8f, 32f, 0f, 0f, 0f, 12f},
                Autograd.grad(g.mul(g).sum(), t).toFloatArray(),
                1e-5f);
    }

    @Test
    void runsOnAnotherDeviceAsOnTheJvm() {
        Tensor x = Tensor.randn(new Generator(3), 3, 7, 4);
        Device test = Device.of("test");
        Tensor.ValuesIndices jvm = x.topk(3, 1, false, true), other = x.to(test).topk(3, 1, false, true);
        assertEquals(test, other.values().device());
        assertArrayEquals(jvm.values().toFloatArray(), other.values().toFloatArray());
        assertArrayEquals(jvm.indices().toFloatArray(), other.indices().toFloatArray());
    }

    @Test
    void badKIsAnErrorAsPyTorchAndChangesNothing() {
        Tensor x = t().requiresGrad_();
        int version = x.version();
        RuntimeException e = assertThrows(IllegalArgumentException.class, () -> x.topk(6));
        assertEquals(
                "topk(): selected index k out of range: k = 6 but dimension 1 of the tensor of shape [2, 5] has size 5",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.topk(-1));
        assertEquals(
                "topk(): selected index k out of range: k = -1 but dimension 1 of the tensor of shape [2, 5] has size 5",
                e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> x.topk(1, 2));
        assertEquals(
                "topk: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                e.getMessage());
        assertEquals(version, x.version());
        assertNull(x.grad());
    }
}
