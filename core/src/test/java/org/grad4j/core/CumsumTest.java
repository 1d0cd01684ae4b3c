package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * cumsum against PyTorch: values along each dim, sums in double, first and second derivatives, the
 * test device, and a bad dim.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code c = torch.tensor([[1., 2., 3.], [4., 5., 6.]])}.
 */
class CumsumTest {
    private static Tensor c() {
        return Tensor.tensor(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
    }

    @Test
    void valuesMatchPyTorch() {
        // c.cumsum(0), c.cumsum(1), c.cumsum(-1)
        assertArrayEquals(new float[] {1f, 2f, 3f, 5f, 7f, 9f}, c().cumsum(0).toFloatArray());
        assertArrayEquals(new float[] {1f, 3f, 6f, 4f, 9f, 15f}, c().cumsum(1).toFloatArray());
        assertArrayEquals(
                new float[] {1f, 3f, 6f, 4f, 9f, 15f}, Torch.cumsum(c(), -1).toFloatArray());
        // non-contiguous: c.t().cumsum(1) = [[1, 5], [2, 7], [3, 9]]
        assertArrayEquals(
                new float[] {1f, 5f, 2f, 7f, 3f, 9f}, c().t().cumsum(1).toFloatArray());
        // 0-d: torch.tensor(2.5).cumsum(0) = 2.5
        assertEquals(2.5f, Tensor.scalar(2.5f).cumsum(0).item());
        // torch.tensor([1e8, 1., -1e8, 1.]).cumsum(0) = [1e8, 1e8, 1, 2]: PyTorch's CPU kernel sums in double
        assertArrayEquals(
                new float[] {1e8f, 1e8f, 1f, 2f},
                Tensor.tensor(1e8f, 1f, -1e8f, 1f).cumsum(0).toFloatArray());
    }

    @Test
    void firstAndSecondDerivativesMatchPyTorch() {
        Tensor c = c().requiresGrad_();
        Tensor y = c.cumsum(1);
        assertEquals("CumsumBackward0", y.gradFn().name());
        // g, = grad((y*y).sum(), c, create_graph=True); gg, = grad((g*g).sum(), c)
        Tensor g = Autograd.grad(y.mul(y).sum(), c, true);
        assertArrayEquals(new float[] {20f, 18f, 12f, 56f, 48f, 30f}, g.toFloatArray());
        assertArrayEquals(
                new float[] {432f, 352f, 200f, 1176f, 952f, 536f},
                Autograd.grad(g.mul(g).sum(), c).toFloatArray());
    }

    @Test
    void runsOnAnotherDeviceAsOnTheJvm() {
        Tensor x = Tensor.arange(24f).view(2, 3, 4);
        Device test = Device.of("test");
        for (int d = 0; d < 3; d++)
            assertArrayEquals(x.cumsum(d).toFloatArray(), x.to(test).cumsum(d).toFloatArray(), "dim " + d);
    }

    @Test
    void badDimIsAnErrorAndChangesNothing() {
        Tensor x = c().requiresGrad_();
        int version = x.version();
        RuntimeException e = assertThrows(IndexOutOfBoundsException.class, () -> x.cumsum(2));
        assertEquals(
                "cumsum: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                e.getMessage());
        assertEquals(version, x.version());
        assertNull(x.grad());
    }
}
