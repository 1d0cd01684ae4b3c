package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * F.dropout's mask and scale in training, and the identity in eval.
 */
class DropoutTest {
    // =============================================================================================
    // dropout
    // =============================================================================================

    @Test
    void dropoutMasksAndScalesInTrainingAndIsTheIdentityInEval() {
        Tensor x = Tensor.ones(1000).requiresGrad_();
        Tensor y = F.dropout(x, 0.25f, true, new Generator(9));
        int zeros = 0;
        for (float v : y.toFloatArray()) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        assertTrue(zeros > 200 && zeros < 300, "dropped " + zeros + " of 1000 at p=0.25");
        assertArrayEquals(
                y.toFloatArray(), F.dropout(x, 0.25f, true, new Generator(9)).toFloatArray()); // same seed
        y.sum().backward();
        assertArrayEquals(y.toFloatArray(), x.grad().toFloatArray()); // the same mask and scale
        assertSame(x, F.dropout(x, 0.25f, false));
        assertSame(x, F.dropout(x, 0f, true));
        assertValues(F.dropout(Tensor.ones(3), 1f, true), 0, 0, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.dropout(x, 1.5f, true));
        assertEquals("dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
    }
}
