package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * tril and triu against PyTorch, batched over a leading dimension, with their gradients and the error
 * for fewer than two dimensions.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for
 * {@code x = torch.arange(24.).reshape(2, 3, 4)}.
 */
class TrilTriuTest {
    private static Tensor range(float start, int n, int... shape) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = start + i;
        return Tensor.of(v, shape);
    }

    @Test
    void trilMatchesPyTorchWithItsGradient() {
        Tensor x = range(0f, 24, 2, 3, 4).requiresGrad_();
        Tensor y = x.tril(1);
        assertEquals("TrilBackward0", y.gradFn().name());
        // torch.tril(x, 1)
        assertArrayEquals(
                new float[] {0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11, 12, 13, 0, 0, 16, 17, 18, 0, 20, 21, 22, 23},
                y.toFloatArray());
        // y.backward(torch.arange(1., 25.).reshape(2, 3, 4))
        y.backward(range(1f, 24, 2, 3, 4));
        assertArrayEquals(
                new float[] {1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 0, 0, 17, 18, 19, 0, 21, 22, 23, 24},
                x.grad().toFloatArray());
    }

    @Test
    void triuMatchesPyTorch() {
        Tensor y = Torch.triu(range(0f, 24, 2, 3, 4).requiresGrad_(), -1);
        assertEquals("TriuBackward0", y.gradFn().name());
        // torch.triu(x, -1)
        assertArrayEquals(
                new float[] {0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 21, 22, 23},
                y.toFloatArray());
        // torch.tril(torch.arange(12.).reshape(3, 4), -1) and torch.triu(.., 1)
        assertArrayEquals(
                new float[] {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0},
                range(0f, 12, 3, 4).tril(-1).toFloatArray());
        assertArrayEquals(
                new float[] {0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11},
                range(0f, 12, 3, 4).triu(1).toFloatArray());
    }

    @Test
    void fewerThanTwoDimensionsIsAnErrorAsPyTorch() {
        Tensor v = Tensor.tensor(1f, 2f).requiresGrad_();
        int version = v.version();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, v::tril);
        assertEquals("tril: input tensor must have at least 2 dimensions", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> v.triu(1));
        assertEquals("triu: input tensor must have at least 2 dimensions", e.getMessage());
        assertEquals(version, v.version());
        assertNull(v.grad());
        assertArrayEquals(new float[] {1f, 2f}, v.toFloatArray());
    }
}
