package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.grad4j.core.Asserts.fails;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.autograd.AnomalyMode;
import org.grad4j.core.autograd.Node;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3: every misuse fails at once with an exception whose message names the op, the shapes (or
 * dtypes) involved and what to do, and leaves nothing half-updated: incompatible shapes, anomaly
 * detection, state left unchanged.
 */
class ErrorsTest {
    // ---- incompatible shapes: both shapes named ------------------------------------------------

    @Test
    void addOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(4);
        fails(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4]", "broadcast", "unsqueeze");
    }

    @Test
    void mulOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(3, 2);
        fails(IllegalArgumentException.class, () -> a.mul(b), "mul", "[2, 3]", "[3, 2]", "broadcast");
        fails(IllegalArgumentException.class, () -> a.sub(b), "sub", "[2, 3]", "[3, 2]");
        fails(IllegalArgumentException.class, () -> a.div(b), "div", "[2, 3]", "[3, 2]");
    }

    @Test
    void matmulOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(4, 5);
        fails(IllegalArgumentException.class, () -> a.matmul(b), "matmul", "[2, 3]", "[4, 5]", "transpose");
        Tensor batch = Tensor.ones(2, 3, 4);
        fails(IllegalArgumentException.class, () -> batch.matmul(Tensor.ones(5, 6)), "matmul", "[2, 3, 4]", "[5, 6]");
        Asserts.assertShape(batch.matmul(b), 2, 3, 5); // the fix: the inner sizes agree
        fails(IllegalArgumentException.class, () -> Tensor.ones(3).matmul(Tensor.ones(4)), "matmul", "[3]", "[4]");
        fails(
                IllegalArgumentException.class,
                () -> Tensor.ones(2, 2, 3).matmul(Tensor.ones(2, 4, 2)),
                "matmul",
                "[2, 2, 3]",
                "[2, 4, 2]");
    }

    @Test
    void mmOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(4, 5);
        fails(IllegalArgumentException.class, () -> a.mm(b), "mm", "2x3", "4x5", "transpose");
        fails(IllegalArgumentException.class, () -> a.mm(Tensor.ones(3)), "mm", "[3]", "matrix");
    }

    @Test
    void catOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(2, 4);
        fails(IllegalArgumentException.class, () -> Torch.cat(0, a, b), "cat", "[2, 3]", "[2, 4]", "dimension 1");
        fails(IllegalArgumentException.class, () -> Torch.cat(0, a, Tensor.ones(3)), "cat", "[2, 3]", "[3]");
    }

    @Test
    void stackOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3), b = Tensor.ones(3, 2);
        fails(IllegalArgumentException.class, () -> Torch.stack(0, a, b), "stack", "[2, 3]", "[3, 2]", "cat");
    }

    @Test
    void viewOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3);
        fails(IllegalArgumentException.class, () -> a.view(4), "view", "[2, 3]", "[4]", "6 elements");
        fails(IllegalArgumentException.class, () -> a.reshape(4, -1), "reshape", "[2, 3]", "[4, -1]");
        // a layout that no strides can express: the fix is reshape
        fails(IllegalArgumentException.class, () -> a.t().view(6), "view", "[3, 2]", "[6]", "reshape");
    }

    @Test
    void expandOfIncompatibleShapes() {
        Tensor a = Tensor.ones(2, 3);
        fails(IllegalArgumentException.class, () -> a.expand(4, 4), "expand", "[2, 3]", "[4, 4]", "size 1");
        fails(IllegalArgumentException.class, () -> a.expand(3), "expand", "[2, 3]", "[3]");
    }

    @Test
    void copyAndSetOfIncompatibleShapes() {
        Tensor b = Tensor.zeros(1, 2);
        fails(IllegalArgumentException.class, () -> b.copy_(Tensor.ones(3)), "copy_", "[3]", "[1, 2]");
        fails(IllegalArgumentException.class, () -> b.set(Tensor.ones(3), 0), "[3]", "[2]");
        assertValues(b, 0, 0);
        assertEquals(0, b.version());
    }

    // ---- anomaly detection ---------------------------------------------------------------------

    @Test
    void nanInBackwardWithAnomalyDetection() {
        Tensor x = Tensor.scalar(0).requiresGrad_();
        try (var s = Torch.detectAnomaly()) {
            // sqrt(0) * 0 is 0, but SqrtBackward0 computes 0 / (2 * sqrt(0)) = nan
            Tensor y = x.sqrt().mul(0f);
            ArithmeticException e = fails(
                    ArithmeticException.class,
                    y::backward,
                    "SqrtBackward0",
                    "nan",
                    "created at",
                    "ErrorsTest.nanInBackwardWithAnomalyDetection");
            assertFalse(e.getMessage().contains("org.grad4j.core.ops.Pointwise"), e.getMessage());
        }
        assertEquals(null, x.grad());
    }

    @Test
    void infInBackwardWithAnomalyDetection() {
        Tensor x = Tensor.tensor(0, 1).requiresGrad_();
        try (var s = Torch.detectAnomaly()) {
            Tensor y = x.div(x).sum();
            fails(ArithmeticException.class, y::backward, "DivBackward0", "inf", "created at", "ErrorsTest");
        }
    }

    @Test
    void withoutAnomalyDetectionNanFlowsThrough() {
        Tensor x = Tensor.scalar(0).requiresGrad_();
        Tensor y = x.sqrt().mul(0f);
        assertDoesNotThrow(() -> y.backward());
        assertTrue(Float.isNaN(x.grad().item()));
        // and the scope was restored
        assertFalse(AnomalyMode.isEnabled());
        try (var s = Torch.detectAnomaly()) {
            assertTrue(AnomalyMode.isEnabled());
        }
        assertFalse(AnomalyMode.isEnabled());
    }

    // ---- nothing half-updated ------------------------------------------------------------------

    @Test
    void aFailingInPlaceOpChangesNothing() {
        Tensor x = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}});
        fails(IllegalArgumentException.class, () -> x.add_(Tensor.ones(4)), "add", "[2, 3]", "[4]");
        // broadcastable, but to a larger shape than the tensor written to
        fails(IllegalArgumentException.class, () -> x.mul_(Tensor.ones(2, 2, 3)), "mul_", "[2, 3]", "[2, 2, 3]");
        fails(IllegalArgumentException.class, () -> x.copy_(Tensor.ones(3, 3)), "copy_");
        assertValues(x, 1, 2, 3, 4, 5, 6);
        assertEquals(0, x.version());

        // a recorded one: the values, the version and the history stay as they were
        Tensor a = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor y = a.mul(2);
        Node before = y.gradFn();
        fails(IllegalArgumentException.class, () -> y.add_(Tensor.ones(2, 3)), "add_", "[3]", "[2, 3]");
        fails(IllegalArgumentException.class, () -> y.sub_(Tensor.ones(4)), "sub", "[3]", "[4]");
        assertValues(y, 2, 4, 6);
        assertEquals(0, y.version());
        assertSame(before, y.gradFn());
        y.sum().backward();
        assertValues(a.grad(), 2, 2, 2);
    }

    @Test
    void aFailingWriteThroughAViewChangesNothing() {
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = Tensor.zeros(2, 2);
        fails(IllegalArgumentException.class, () -> b.set(a.mul(Tensor.ones(3, 1)), 0), "[3, 2]", "[2]");
        assertValues(b, 0, 0, 0, 0);
        assertEquals(0, b.version());
        assertTrue(b.isLeaf());
        assertFalse(b.requiresGrad());
    }
}
