package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PyTorch 2.x semantics of in-place ops and views in a graph: version checks, CopySlices, regenerated view histories. */
class InPlaceSemanticsTest {

    // ---- in-place ops and views ----------------------------------------------------------------

    @Test
    void inPlaceOnANonLeafIsRecorded() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        Tensor same = y.mul_(3);
        assertSame(y, same);
        assertEquals("MulBackward0", y.gradFn().name());
        assertEquals(1, y.version());
        assertValues(y, 6, 12);
        y.sum().backward();
        assertValues(x.grad(), 6, 6);

        // an in-place op whose rule needs the old value: y.pow_(2) on y = x + 1
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = a.add(1);
        b.pow_(2);
        b.sum().backward();
        assertValues(a.grad(), 4, 6);

        // in place with another tensor that requires grad: z starts without history
        Tensor w = Tensor.tensor(3, 4).requiresGrad_();
        Tensor z = Tensor.zeros(2);
        z.add_(w.mul(2));
        assertTrue(z.requiresGrad());
        assertEquals("AddBackward0", z.gradFn().name());
        z.sum().backward();
        assertValues(w.grad(), 2, 2);
    }

    @Test
    void aViewOfANonLeafModifiedInPlace() {
        Tensor x = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor y = x.mul(1);
        y.select(0, 0).mul_(10);
        assertValues(y, 10, 2, 3);
        assertEquals("CopySlices", y.gradFn().name());
        y.sum().backward();
        assertValues(x.grad(), 10, 1, 1);

        // a slice of a matrix, then more ops on the base
        Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        Tensor b = a.mul(2);
        Tensor row = b.get(1);
        row.add_(row.clone()); // b[1] *= 2, through the view
        assertEquals("CopySlices", b.gradFn().name());
        assertValues(b, 2, 4, 12, 16);
        b.pow(2).sum().backward();
        // d/da of (2a)^2 on row 0 = 8a; of (4a)^2 on row 1 = 32a
        assertValues(a.grad(), 8, 16, 96, 128);
    }

    @Test
    void aViewSeesTheNewHistoryOfItsBase() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(1);
        Tensor v = y.view(2, 1);
        y.mul_(5);
        assertValues(v, 5, 10);
        v.sum().backward();
        assertValues(x.grad(), 5, 5);
    }

    @Test
    void gradAccumulationDoesNotAliasBetweenLeaves() {
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = Tensor.tensor(3, 4).requiresGrad_();
        a.add(b).sum().backward();
        assertNotSame(a.grad(), b.grad());
        a.grad().zero_();
        assertValues(a.grad(), 0, 0);
        assertValues(b.grad(), 1, 1);

        // nor with the gradient passed to backward
        Tensor c = Tensor.tensor(1, 2).requiresGrad_();
        Tensor v = Tensor.tensor(1, 1);
        c.mul(1).backward(v);
        c.grad().mul_(7);
        assertValues(v, 1, 1);

        // nor between a broadcast input's grad and the incoming gradient
        Tensor s = Tensor.scalar(1).requiresGrad_();
        Tensor t = Tensor.tensor(1, 2).requiresGrad_();
        t.add(s).sum().backward();
        assertValues(s.grad(), 2);
        t.grad().fill_(5);
        assertValues(s.grad(), 2);
    }

    @Test
    void gradAccumulatesAcrossBackwardsUntilZeroed() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor held = null;
        for (int i = 0; i < 3; i++) {
            x.mul(2).sum().backward();
            if (held == null) held = x.grad();
        }
        assertValues(x.grad(), 6, 6);
        assertSame(held, x.grad()); // accumulated in place, as PyTorch does outside createGraph
        x.setGrad(null);
        x.mul(2).sum().backward();
        assertValues(x.grad(), 2, 2);
    }

    @Test
    void aSecondBackwardWithoutSavedTensorsWorks() {
        // PyTorch only fails when freed saved tensors are needed: add and sum save none
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor l = x.add(1).sum();
        l.backward();
        l.backward();
        assertValues(x.grad(), 2, 2);
        // mul by a constant saves no tensor either
        Tensor m = x.mul(3).sum();
        m.backward();
        m.backward();
        assertValues(x.grad(), 8, 8);
    }

    @Test
    void leavesAndNonLeaves() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        assertTrue(x.isLeaf());
        assertFalse(y.isLeaf());
        assertNull(x.gradFn());
        assertEquals("MulBackward0", y.gradFn().name());
        assertEquals("AccumulateGrad", y.gradFn().nextFunctions().get(0).name());
        Tensor n = Tensor.tensor(1, 2);
        assertTrue(n.isLeaf());
        assertTrue(n.mul(2).isLeaf()); // no input requires grad: not recorded
        y.sum().backward();
        assertNull(y.grad());
    }
}
