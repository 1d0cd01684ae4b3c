package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.grad4j.core.Asserts.fails;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * SPEC §3 for misuse of backward and autograd.grad: the exception names the op or tensor and what to do,
 * and leaves nothing half-updated.
 */
class BackwardErrorsTest {
    // ---- backward misuse -----------------------------------------------------------------------

    @Test
    void backwardOfATensorThatNeedsNoGrad() {
        Tensor x = Tensor.ones(2, 2);
        Tensor y = x.sum();
        fails(
                IllegalArgumentException.class,
                y::backward,
                "backward",
                "does not require grad",
                "grad_fn",
                "requiresGrad");
        // made in a no-grad scope from a tensor that does require grad
        Tensor w = Tensor.ones(3).requiresGrad_();
        Tensor z;
        try (var s = GradMode.noGrad()) {
            z = w.mul(2).sum();
        }
        fails(IllegalArgumentException.class, z::backward, "does not require grad", "no-grad");
    }

    @Test
    void anInPlaceOpOfAnOpsOwnSavedOutput() {
        // exp saves its output; exp_ on it afterwards changes what ExpBackward0 needs
        Tensor x = Tensor.tensor(0, 1).requiresGrad_();
        Tensor y = x.exp();
        Tensor z = y.mul(1);
        y.exp_();
        fails(
                IllegalStateException.class,
                () -> z.sum().backward(),
                "ExpBackward0",
                "output 0 of ExpBackward0",
                "version 1",
                "expected version 0");
    }

    @Test
    void backwardOfANonScalarWithoutGradient() {
        Tensor x = Tensor.ones(2, 3).requiresGrad_();
        Tensor y = x.mul(2);
        fails(IllegalArgumentException.class, y::backward, "backward", "scalar outputs", "[2, 3]", "gradient");
    }

    @Test
    void backwardWithAGradientOfTheWrongShape() {
        Tensor x = Tensor.ones(2, 3).requiresGrad_();
        Tensor y = x.mul(2);
        fails(
                IllegalArgumentException.class,
                () -> y.backward(Tensor.ones(3, 2)),
                "backward",
                "[3, 2]",
                "[2, 3]",
                "shape");
        assertEquals(null, x.grad());
        // the root's own gradient, when it is not a scalar: wrong number of elements too
        fails(IllegalArgumentException.class, () -> y.sum().backward(Tensor.ones(2)), "[2]", "[]");
    }

    @Test
    void secondBackwardThroughAFreedGraph() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor l = x.mul(x).sum();
        l.backward();
        fails(IllegalStateException.class, l::backward, "MulBackward0", "second time", "retainGraph");
        // the same through torch.autograd.grad
        Tensor m = x.exp().sum();
        Autograd.grad(m, x);
        fails(IllegalStateException.class, () -> Autograd.grad(m, x), "ExpBackward0", "retainGraph");
    }

    @Test
    void inPlaceChangeOfATensorThatBackwardNeeds() {
        Tensor x = Tensor.tensor(0, 1, 2).requiresGrad_();
        Tensor y = x.exp();
        y.add_(1);
        Tensor l = y.sum();
        IllegalStateException e = fails(
                IllegalStateException.class,
                l::backward,
                "modified by an inplace operation",
                "ExpBackward0",
                "[3]",
                "version 1",
                "expected version 0",
                "clone()");
        assertFalse(e.getMessage().contains("null"), e.getMessage());
        assertEquals(null, x.grad());
    }

    @Test
    void inPlaceChangeOfAnInputThatBackwardNeeds() {
        // mul saves its inputs: changing one (a non-leaf) afterwards is caught, with both versions
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = a.add(1);
        Tensor c = b.mul(a);
        b.mul_(2);
        b.mul_(2);
        fails(
                IllegalStateException.class,
                () -> c.sum().backward(),
                "MulBackward0",
                "AddBackward0",
                "version 2",
                "expected version 0");
        // a write through a view of the saved tensor is caught too (the version counter is shared)
        Tensor p = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor q = p.mul(1);
        Tensor r = q.pow(2);
        q.select(0, 1).fill_(0);
        fails(IllegalStateException.class, () -> r.sum().backward(), "PowBackward0", "version 1", "expected version 0");
    }

    @Test
    void inPlaceOnALeafThatRequiresGrad() {
        Tensor x = Tensor.tensor(1, 2, 3).requiresGrad_();
        fails(IllegalStateException.class, () -> x.add_(1), "add_", "leaf", "[3]", "no-grad");
        fails(IllegalStateException.class, () -> x.mul_(Tensor.tensor(2, 2, 2)), "mul_", "leaf");
        fails(IllegalStateException.class, x::zero_, "fill_", "leaf");
        assertValues(x, 1, 2, 3);
        assertEquals(0, x.version());

        // ... and it works inside a no-grad scope, leaving a leaf
        try (var s = GradMode.noGrad()) {
            x.add_(1);
            x.mul_(Tensor.tensor(2, 2, 2));
        }
        assertValues(x, 4, 6, 8);
        assertEquals(2, x.version());
        assertTrue(x.isLeaf());
        assertTrue(x.requiresGrad());
        x.mul(x).sum().backward();
        assertValues(x.grad(), 8, 12, 16);
    }

    @Test
    void inPlaceOnAViewOfALeafThatRequiresGrad() {
        Tensor x = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        fails(IllegalStateException.class, () -> x.select(0, 0).mul_(2), "mul_", "view", "of a leaf", "[2]", "no-grad");
        fails(IllegalStateException.class, () -> x.get(0, 1).fill_(0), "fill_", "view", "of a leaf");
        fails(IllegalStateException.class, () -> x.set(0f, 1, 1), "copy_", "view", "of a leaf");
        assertValues(x, 1, 2, 3, 4);
        try (var s = GradMode.noGrad()) {
            x.select(0, 0).mul_(2);
        }
        assertValues(x, 2, 4, 3, 4);
        assertTrue(x.isLeaf());
    }

    @Test
    void inPlaceOnAViewMadeInNoGradMode() {
        Tensor x = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor y = x.mul(2);
        Tensor v;
        try (var s = GradMode.noGrad()) {
            v = y.select(0, 0);
        }
        fails(IllegalStateException.class, () -> v.mul_(2), "mul_", "no_grad", "[]", "no-grad scope");
        assertValues(y, 2, 4, 6);
    }

    @Test
    void inPlaceOnALeafSavedByBackward() {
        // a leaf changed in a no-grad scope after an op saved it: backward would use the new value
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor l = x.mul(x).sum();
        try (var s = GradMode.noGrad()) {
            x.add_(1);
        }
        fails(IllegalStateException.class, l::backward, "MulBackward0", "[2]", "version 1", "expected version 0");
    }

    @Test
    void writingIntoAnExpandedTensor() {
        Tensor base = Tensor.tensor(1, 2, 3);
        Tensor e = base.expand(2, 3);
        fails(IllegalStateException.class, () -> e.add_(1), "add_", "[2, 3]", "single memory location", "clone()");
        try (var s = GradMode.noGrad()) {
            fails(IllegalStateException.class, () -> e.fill_(0), "fill_", "[2, 3]");
        }
        assertValues(base, 1, 2, 3);
        assertEquals(0, base.version());
        // the fix works
        Tensor c = e.clone().add_(1);
        assertValues(c, 2, 3, 4, 2, 3, 4);
    }

    @Test
    void requiresGradOnANonLeaf() {
        Tensor x = Tensor.ones(2).requiresGrad_();
        Tensor y = x.mul(2);
        fails(
                IllegalStateException.class,
                () -> y.requiresGrad_(false),
                "requiresGrad_",
                "leaf",
                "MulBackward0",
                "detach()");
        assertTrue(y.requiresGrad());
        // like PyTorch, requiresGrad_(true) on a non-leaf (which already requires grad) is a no-op
        assertDoesNotThrow(() -> y.requiresGrad_());
        assertEquals("MulBackward0", y.gradFn().name());
        assertFalse(y.isLeaf());
    }

    @Test
    void requiresGradOnANonFloatingTensor() {
        Tensor i = Tensor.indices(0, 1);
        fails(IllegalArgumentException.class, i::requiresGrad_, "requiresGrad_", "floating point", "torch.int64");
        Tensor mask = Tensor.tensor(1, 2).gt(1);
        fails(IllegalArgumentException.class, mask::requiresGrad_, "torch.bool");
        assertFalse(i.requiresGrad());
    }

    @Test
    void itemOfAMultiElementTensor() {
        Tensor x = Tensor.ones(2, 3);
        fails(IllegalStateException.class, x::item, "item", "6 elements", "[2, 3]", "index");
        assertEquals(1f, x.get(1, 2).item());
        assertEquals(1f, Tensor.ones(1, 1).item());
    }

    @Test
    void outOfRangeIndicesAndDims() {
        Tensor x = Tensor.ones(2, 3);
        fails(IndexOutOfBoundsException.class, () -> x.select(0, 2), "select", "index 2", "[2, 3]", "[-2, 1]");
        fails(IndexOutOfBoundsException.class, () -> x.select(1, -4), "select", "index -4", "[2, 3]");
        fails(IndexOutOfBoundsException.class, () -> x.get(5), "get", "index 5", "dimension 0 with size 2", "[2, 3]");
        fails(IndexOutOfBoundsException.class, () -> x.get(0, 0, 0), "too many indices", "2");
        fails(
                IndexOutOfBoundsException.class,
                () -> x.indexSelect(1, Tensor.indices(0, 3)),
                "indexSelect",
                "index 3",
                "[2, 3]",
                "[-3, 2]");
        fails(
                IndexOutOfBoundsException.class,
                () -> x.sum(2),
                "sum",
                "dimension out of range",
                "[-2, 1]",
                "got 2",
                "2-d");
        fails(IndexOutOfBoundsException.class, () -> x.transpose(0, -3), "transpose", "[-2, 1]", "got -3");
        fails(IndexOutOfBoundsException.class, () -> x.softmax(3), "softmax", "got 3");
        fails(IndexOutOfBoundsException.class, () -> x.max(2), "max", "got 2");
        fails(IndexOutOfBoundsException.class, () -> x.unsqueeze(4), "unsqueeze", "[-3, 2]", "got 4");
    }

    @Test
    void hooksOnTensorsThatNeedNoGrad() {
        Tensor x = Tensor.ones(2);
        fails(IllegalStateException.class, () -> x.registerHook(g -> null), "registerHook", "require");
        fails(IllegalStateException.class, () -> x.retainGrad(), "retainGrad", "requires_grad");
        Tensor y = Tensor.ones(2).requiresGrad_().mul(2);
        fails(
                IllegalStateException.class,
                () -> y.registerPostAccumulateGradHook(t -> null),
                "registerPostAccumulateGradHook",
                "leaf");
    }

    @Test
    void aHookThatChangesTheGradientsShape() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        Tensor y = x.mul(2);
        y.registerHook(g -> Tensor.ones(4));
        fails(IllegalStateException.class, () -> y.sum().backward(), "hook", "MulBackward0", "[4]", "[2, 2]");
    }

    @Test
    void autogradGradOfAnUnusedInput() {
        Tensor x = Tensor.ones(2).requiresGrad_(), z = Tensor.ones(2).requiresGrad_();
        Tensor y = x.mul(2).sum();
        fails(
                IllegalArgumentException.class,
                () -> Autograd.grad(y, x, z),
                "input 1",
                "[2]",
                "not have been used",
                "allowUnused");
        Tensor w = Tensor.ones(2);
        fails(IllegalArgumentException.class, () -> Autograd.grad(x.sum(), w), "does not require grad", "[2]");
    }
}
