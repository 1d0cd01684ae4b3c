package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * INT64 tensors are stored as float32, which holds integers exactly only up to 2^24: every path that
 * makes one (Tensor.indices, max/min/argmax along a dimension, max-pool indices) refuses a value it
 * could not hold exactly instead of rounding it to a neighbour.
 */
class IndexExactnessTest {

    private static final int LIMIT = 1 << 24;

    @Test
    void indicesHoldEveryValueUpTo2To24() {
        Tensor t = Tensor.indices(LIMIT, -LIMIT, LIMIT - 1, 0);
        assertEquals(DType.INT64, t.dtype());
        assertValues(t, LIMIT, -LIMIT, LIMIT - 1, 0);
    }

    @Test
    void indicesRejectAValueFloat32CannotHold() {
        // 16777217 was stored as 16777216
        assertEquals(
                "indices: index 16777217 (at position 1) cannot be held exactly: index tensors are stored as float32, "
                        + "which holds integers exactly only up to 2^24 = 16777216 in magnitude",
                assertThrows(IllegalArgumentException.class, () -> Tensor.indices(0, LIMIT + 1))
                        .getMessage());
        assertEquals(
                "indices: index -2147483648 (at position 0) cannot be held exactly: index tensors are stored as "
                        + "float32, which holds integers exactly only up to 2^24 = 16777216 in magnitude",
                assertThrows(IllegalArgumentException.class, () -> Tensor.indices(Integer.MIN_VALUE))
                        .getMessage());
    }

    @Test
    void maxAlongADimensionLongerThan2To24IsAnError() {
        Tensor x = Tensor.zeros(1, 1).expand(2, LIMIT + 2).requiresGrad_(); // a view: no memory
        String m =
                assertThrows(IllegalArgumentException.class, () -> x.argmax(1)).getMessage();
        assertEquals(
                "max(): dimension 1 of shape [2, 16777218] has 16777218 positions, but the indices it returns (int64, "
                        + "stored as float32) are exact only up to 2^24 = 16777216; reduce a shorter dimension (e.g. in chunks)",
                m);
        assertThrows(IllegalArgumentException.class, () -> x.min(-1));
        assertNull(x.grad());
        // the last position, 2^24 itself, is exact: a dimension of 2^24 + 1 is fine
        Tensor y = Tensor.zeros(LIMIT + 1);
        y.set(1f, LIMIT);
        assertValues(y.argmax(0), LIMIT);
        assertValues(y.max(0).values(), 1f);
        assertValues(x.max(), 0f); // the maximum over everything returns no indices
    }

    @Test
    void maxPoolIndicesBeyond2To24AreAnError() {
        Tensor plane = Tensor.zeros(1, 1, 1, 1).expand(1, 1, 4097, 4097); // 16785409 positions
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> F.maxPool2dWithIndices(plane, new int[] {2}, null, new int[] {0}, new int[] {1}))
                .getMessage();
        assertEquals(
                "maxPool2d: a plane of 4097 x 4097 = 16785409 positions (input shape [1, 1, 4097, 4097]) has indices "
                        + "beyond 2^24 = 16777216, which int64 tensors (stored as float32) cannot hold exactly; the indices and the "
                        + "gradient need them. Pool smaller planes, or pool without gradient or indices",
                m);
        Tensor leaf = Tensor.zeros(1, 1, 1, 1).requiresGrad_();
        assertThrows(IllegalArgumentException.class, () -> F.maxPool2d(leaf.expand(1, 1, 4097, 4097), 2));
        assertNull(leaf.grad());
        assertEquals(2048, F.maxPool2d(plane, 2).size(-1)); // without gradient or indices the values are fine
    }
}
