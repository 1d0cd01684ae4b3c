package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * logsumexp against PyTorch: values over one dim, several dims and keepdim, infinities, the first and
 * second derivatives, and bad dims.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code x = torch.tensor([[1., 2., 3.], [-1., 0.5, 100.]])}.
 */
class LogsumexpTest {
    private static Tensor x() {
        return Tensor.tensor(new float[][] {{1f, 2f, 3f}, {-1f, 0.5f, 100f}});
    }

    @Test
    void valuesMatchPyTorch() {
        // torch.logsumexp(x, 1)
        assertArrayEquals(
                new float[] {3.4076058864593506f, 100f}, x().logsumexp(1).toFloatArray(), 1e-6f);
        // torch.logsumexp(x, 0, keepdim=True)
        Tensor k = x().logsumexp(0, true);
        assertArrayEquals(new int[] {1, 3}, k.shape());
        assertArrayEquals(new float[] {1.1269280910491943f, 2.20141339302063f, 100f}, k.toFloatArray(), 1e-6f);
        // torch.logsumexp(x, (0, 1))
        Tensor all = Torch.logsumexp(x(), new int[] {0, 1}, false);
        assertArrayEquals(new int[0], all.shape());
        assertEquals(100f, all.item(), 1e-6f);
    }

    @Test
    void isStableAndKeepsInfinitiesAsPyTorch() {
        // torch.logsumexp(torch.tensor([[1000., 1000.]]), 1): no overflow
        assertEquals(
                1000.6931762695312f,
                Tensor.tensor(new float[][] {{1000f, 1000f}}).logsumexp(1).item(),
                1e-4f);
        float inf = Float.POSITIVE_INFINITY;
        // an all -inf row gives -inf; a +inf gives +inf (PyTorch: [-inf, inf])
        Tensor y = Tensor.tensor(new float[][] {{-inf, -inf, -inf}, {inf, -inf, 0f}});
        assertArrayEquals(new float[] {-inf, inf}, y.logsumexp(1).toFloatArray());
        // 1e30 stays finite: PyTorch gives 1.0000000150474662e+30
        Tensor big = Tensor.tensor(new float[][] {{1e30f, -inf, 0f}});
        assertEquals(1e30f, big.logsumexp(1).item());
    }

    @Test
    void firstAndSecondDerivativesMatchPyTorch() {
        Tensor x = x().requiresGrad_();
        Tensor y = x.logsumexp(1);
        assertEquals("LogsumexpBackward0", y.gradFn().name());
        // g, = autograd.grad((y*y).sum(), x, create_graph=True); gg, = autograd.grad(g.sum(), x)
        Tensor g = Autograd.grad(y.mul(y).sum(), x, true);
        assertArrayEquals(
                new float[] {0.6135774850845337f, 1.6678764820098877f, 4.533758163452148f, 0f, 0f, 200f},
                g.toFloatArray(),
                1e-5f);
        Tensor gg = Autograd.grad(g.sum(), x);
        assertArrayEquals(
                new float[] {0.18006113171577454f, 0.4894568920135498f, 1.3304815292358398f, 0f, 0f, 2f},
                gg.toFloatArray(),
                1e-5f);
    }

    @Test
    void badDimsAreErrorsAsPyTorch() {
        Tensor x = x().requiresGrad_();
        int version = x.version();
        RuntimeException e = assertThrows(IndexOutOfBoundsException.class, () -> x.logsumexp(2));
        assertEquals(
                "logsumexp: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.logsumexp(new int[] {0, 0}, false));
        assertEquals("logsumexp: dim 0 appears multiple times in the list of dims", e.getMessage());
        assertEquals(version, x.version());
        assertEquals(null, x.grad());
    }
}
