package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * masked_fill against PyTorch: values with a mask broadcast to the input and the input broadcast to the
 * mask, the gradient, and bad masks.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code x = torch.tensor([[1., 2., 3.], [4., 5., 6.]]); m = torch.tensor([True, False, True])}.
 */
class MaskedFillTest {
    private static Tensor x() {
        return Tensor.tensor(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
    }

    private static Tensor mask() {
        return Tensor.tensor(1f, 0f, 1f).gt(0f);
    }

    @Test
    void valuesAndGradientMatchPyTorch() {
        Tensor x = x().requiresGrad_();
        Tensor y = x.maskedFill(mask(), -1.5f);
        assertEquals("MaskedFillBackward0", y.gradFn().name());
        // x.masked_fill(m, -1.5)
        assertArrayEquals(new float[] {-1.5f, 2f, -1.5f, -1.5f, 5f, -1.5f}, y.toFloatArray());
        // y.backward(torch.tensor([[1., 2., 3.], [4., 5., 6.]])): zero where the mask is true
        y.backward(x());
        assertArrayEquals(new float[] {0f, 2f, 0f, 0f, 5f, 0f}, x.grad().toFloatArray());
    }

    @Test
    void inputBroadcastsToTheMaskAsPyTorch() {
        // torch.tensor([1., 2.]).masked_fill(torch.tensor([[True, False], [False, True]]), 9.)
        Tensor m = Tensor.tensor(new float[][] {{1f, 0f}, {0f, 1f}}).gt(0f);
        Tensor y = Torch.maskedFill(Tensor.tensor(1f, 2f), m, 9f);
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new float[] {9f, 2f, 1f, 9f}, y.toFloatArray());
        // -inf fills, as an attention mask does: [-inf, 2.]
        float inf = Float.POSITIVE_INFINITY;
        assertArrayEquals(
                new float[] {-inf, 2f},
                Tensor.tensor(1f, 2f)
                        .maskedFill(Tensor.tensor(1f, 0f).gt(0f), -inf)
                        .toFloatArray());
    }

    @Test
    void gradientSumsBackToABroadcastInput() {
        Tensor x = Tensor.tensor(1f, 2f).requiresGrad_();
        Tensor m = Tensor.tensor(new float[][] {{1f, 0f}, {0f, 1f}}).gt(0f);
        x.maskedFill(m, 9f).sum().backward();
        // PyTorch: x.grad == [1., 1.]
        assertArrayEquals(new float[] {1f, 1f}, x.grad().toFloatArray());
    }

    @Test
    void badMasksAreErrorsAsPyTorch() {
        Tensor x = x().requiresGrad_();
        int version = x.version();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> x.maskedFill(Tensor.tensor(1f, 0f, 1f).to(DType.INT64), 0f));
        assertEquals("masked_fill_ only supports boolean masks, but got mask with dtype torch.int64", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> x.maskedFill(Tensor.tensor(1f, 0f).gt(0f), 0f));
        assertEquals(
                true,
                e.getMessage().startsWith("masked_fill: the size of tensor a (2) must match the size of tensor b (3)"),
                e.getMessage());
        assertEquals(version, x.version());
        assertNull(x.grad());
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, x.toFloatArray());
    }
}
