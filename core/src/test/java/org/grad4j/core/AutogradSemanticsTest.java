package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** PyTorch 2.x autograd semantics beyond the spec's examples. */
class AutogradSemanticsTest {

    // ---- graph shapes --------------------------------------------------------------------------

    @Test
    void gradientsAreSummedWherePathsMeet() {
        Tensor x = Tensor.tensor(1, 2, 3).requiresGrad_();
        x.add(x).add(x).sum().backward();
        assertValues(x.grad(), 3, 3, 3);

        Tensor w = Tensor.tensor(1, 2, 3).requiresGrad_();
        w.mul(w).mul(w).sum().backward(); // d/dw w^3 = 3 w^2
        assertValues(w.grad(), 3, 12, 27);

        // the same tensor twice as both operands of one op
        Tensor s = Tensor.scalar(4).requiresGrad_();
        s.mul(s).backward();
        assertValues(s.grad(), 8);
    }

    @Test
    void diamondGraph() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor a = x.mul(2);
        Tensor b = a.mul(3);
        Tensor c = a.pow(2);
        Tensor d = b.add(c);
        d.sum().backward();
        // d = 3a + a^2, a = 2x: dd/dx = (3 + 2a) * 2
        assertValues(x.grad(), (3 + 2 * 2) * 2, (3 + 2 * 4) * 2);

        // a wider diamond with a broadcast branch: y = x * x.sum()
        Tensor u = Tensor.tensor(1, 2, 3).requiresGrad_();
        u.mul(u.sum()).sum().backward(); // (sum u)^2 -> 2 sum u
        assertValues(u.grad(), 12, 12, 12);
    }

    @Test
    void aVeryLongChainDoesNotOverflowTheStack() {
        Tensor x = Tensor.scalar(1).requiresGrad_();
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) y = y.add(1);
        assertEquals(100_001f, y.item());
        y.backward();
        assertValues(x.grad(), 1);

        Tensor w = Tensor.tensor(1, 2).requiresGrad_();
        Tensor z = w;
        for (int i = 0; i < 100_000; i++) z = z.mul(1.0f);
        z.sum().backward();
        assertValues(w.grad(), 1, 1);
    }

    @Test
    void backwardWithAGradientIsAVectorJacobianProduct() {
        Tensor v = Tensor.tensor(new float[][] {{1, 0.5f}, {-2, 3}});
        Tensor x1 = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        Tensor y1 = x1.pow(2).mul(x1.sum(0, true));
        y1.backward(v);

        Tensor x2 = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        Tensor y2 = x2.pow(2).mul(x2.sum(0, true));
        y2.mul(v).sum().backward();

        assertValues(x1.grad(), x2.grad().toFloatArray());
    }

    // ---- hooks ---------------------------------------------------------------------------------

    @Test
    void hooksOnALeafAndANonLeaf() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(3);
        AtomicReference<Tensor> seenX = new AtomicReference<>(), seenY = new AtomicReference<>();
        x.registerHook(g -> {
            seenX.set(g);
            return null;
        });
        y.registerHook(g -> {
            seenY.set(g);
            return null;
        });
        y.pow(2).sum().backward();
        assertValues(seenY.get(), 6, 12); // 2y
        assertValues(seenX.get(), 18, 36); // 2y * 3
        assertValues(x.grad(), 18, 36);
        assertNull(y.grad());
    }

    @Test
    void aHookCanReplaceTheGradient() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(3);
        y.registerHook(g -> g.mul(2));
        y.sum().backward();
        assertValues(x.grad(), 6, 6);

        // on a leaf, the replacement is what gets accumulated
        Tensor w = Tensor.tensor(1, 2).requiresGrad_();
        w.registerHook(g -> g.mul(2));
        w.mul(5).sum().backward();
        assertValues(w.grad(), 10, 10);
    }

    @Test
    void aHookSeesTheSummedGradientOnce() {
        Tensor x = Tensor.scalar(1).requiresGrad_();
        Tensor y = x.mul(2);
        List<Float> calls = new ArrayList<>();
        y.registerHook(g -> {
            calls.add(g.item());
            return null;
        });
        y.add(y).add(y.mul(4)).backward(); // dy = 1 + 1 + 4
        assertEquals(List.of(6f), calls);
        assertValues(x.grad(), 12);
    }

    @Test
    void aRemovedHookIsNotCalled() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        List<String> calls = new ArrayList<>();
        RemovableHandle h = x.registerHook(g -> {
            calls.add("h");
            return g.mul(100);
        });
        h.remove();
        h.remove(); // twice is harmless
        x.mul(2).sum().backward();
        assertTrue(calls.isEmpty());
        assertValues(x.grad(), 2, 2);

        Tensor y = Tensor.tensor(1).requiresGrad_();
        Tensor z = y.mul(1);
        RemovableHandle hz = z.registerHook(g -> g.mul(10));
        z.sum().backward(null, true);
        assertValues(y.grad(), 10);
        hz.remove();
        z.sum().backward();
        assertValues(y.grad(), 11);
    }

    @Test
    void hooksRunInRegistrationOrderEachSeeingThePreviousResult() {
        Tensor x = Tensor.scalar(1).requiresGrad_();
        Tensor y = x.mul(1);
        List<String> order = new ArrayList<>();
        y.registerHook(g -> {
            order.add("first " + g.item());
            return g.add(1);
        });
        y.registerHook(g -> {
            order.add("second " + g.item());
            return g.mul(10);
        });
        y.registerHook(g -> {
            order.add("third " + g.item());
            return null;
        });
        y.backward();
        assertEquals(List.of("first 1.0", "second 2.0", "third 20.0"), order);
        assertValues(x.grad(), 20);
    }

    @Test
    void aHookRegisteredBeforeAnInPlaceOpSeesTheOldVersionsGradient() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        AtomicReference<Tensor> seen = new AtomicReference<>();
        y.registerHook(g -> {
            seen.set(g);
            return g.mul(10);
        });
        y.mul_(3);
        y.sum().backward();
        assertValues(seen.get(), 3, 3); // d(3y)/dy of the old y
        assertValues(x.grad(), 60, 60);
    }

    @Test
    void retainedGradSeesTheValueModifiedByHooks() {
        // PyTorch 2.x: retain_grad's hook always runs after the tensor's other hooks
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        y.retainGrad();
        y.registerHook(g -> g.mul(3));
        y.sum().backward();
        assertValues(y.grad(), 3, 3);
        assertValues(x.grad(), 6, 6);
        assertTrue(y.retainsGrad());

        Tensor a = Tensor.tensor(1).requiresGrad_();
        Tensor b = a.mul(2);
        b.registerHook(g -> g.mul(5));
        b.retainGrad();
        b.sum().backward();
        assertValues(b.grad(), 5);
        assertFalse(b.grad().requiresGrad());
    }

    @Test
    void retainGradAccumulatesAcrossBackwards() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        y.retainGrad();
        Tensor l = y.sum();
        l.backward(null, true);
        l.backward();
        assertValues(y.grad(), 2, 2);
        assertValues(x.grad(), 4, 4);
        // on a leaf, retainGrad is a no-op
        x.retainGrad();
        assertFalse(x.retainsGrad());
    }

    @Test
    void retainedGradFollowsAnInPlaceChange() {
        // PyTorch 2.x: after an in-place op, .grad is the gradient of the new version only
        Tensor w = Tensor.tensor(1, 2).requiresGrad_();
        Tensor q = w.mul(2);
        q.retainGrad();
        q.add_(1);
        assertTrue(q.retainsGrad());
        q.mul(3).sum().backward();
        assertValues(q.grad(), 3, 3);
        assertValues(w.grad(), 6, 6);

        // the same through a view: the base's retained grad is that of its CopySlices version
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = a.mul(1);
        b.retainGrad();
        b.select(0, 0).mul_(4);
        b.mul(Tensor.tensor(2, 5)).sum().backward();
        assertValues(b.grad(), 2, 5);
        assertValues(a.grad(), 8, 5);
    }

    @Test
    void postAccumulateGradHook() {
        Tensor p = Tensor.tensor(1, 2).requiresGrad_();
        List<float[]> seen = new ArrayList<>();
        RemovableHandle h = p.registerPostAccumulateGradHook(t -> {
            assertSame(p, t);
            seen.add(t.grad().toFloatArray());
            return null;
        });
        p.mul(3).sum().backward();
        p.mul(3).sum().backward();
        assertEquals(2, seen.size());
        assertValues(Tensor.of(seen.get(0), 2), 3, 3);
        assertValues(Tensor.of(seen.get(1), 2), 6, 6); // called after accumulation
        h.remove();
        p.mul(3).sum().backward();
        assertEquals(2, seen.size());

        // the optimizer-in-backward pattern: update the parameter and clear its grad in the hook
        Tensor w = Tensor.tensor(1, 1).requiresGrad_();
        w.registerPostAccumulateGradHook(t -> {
            try (var s = GradMode.noGrad()) {
                t.sub_(t.grad().mul(0.5f));
            }
            t.setGrad(null);
            return null;
        });
        w.mul(Tensor.tensor(2, 4)).sum().backward();
        assertValues(w, 0, -1);
        assertNull(w.grad());
    }

    // ---- detach, data, grad mode ---------------------------------------------------------------

    @Test
    void detachSharesStorageAndVersion() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        Tensor d = y.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertNull(d.gradFn());
        d.add_(1); // allowed: d does not require grad
        assertValues(y, 3, 5);
        assertEquals(1, y.version());
        assertEquals(1, d.version());

        // a detached leaf: the in-place write is seen by the saved-tensor check of ops that saved x
        Tensor l = x.mul(x).sum();
        x.detach().mul_(10);
        assertEquals(1, x.version());
        assertValues(x, 10, 20);
        IllegalStateException e = assertThrows(IllegalStateException.class, l::backward);
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
    }

    @Test
    void dataDoesNotShareTheVersionCounter() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor l = x.mul(x).sum();
        Tensor data = x.data();
        assertFalse(data.requiresGrad());
        data.mul_(10);
        assertValues(x, 10, 20);
        assertEquals(0, x.version());
        assertEquals(1, data.version());
        l.backward(); // untracked: not caught, the gradient uses the new values
        assertValues(x.grad(), 20, 40);
    }

    @Test
    void noGradScopeIsThreadLocal() throws Exception {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        AtomicReference<Tensor> fromOtherThread = new AtomicReference<>();
        AtomicReference<Boolean> modeInOtherThread = new AtomicReference<>();
        try (var s = GradMode.noGrad()) {
            assertFalse(x.mul(2).requiresGrad());
            Thread t = new Thread(() -> {
                modeInOtherThread.set(GradMode.isEnabled());
                fromOtherThread.set(x.mul(2));
            });
            t.start();
            t.join();
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(modeInOtherThread.get());
        assertTrue(fromOtherThread.get().requiresGrad());
        assertEquals("MulBackward0", fromOtherThread.get().gradFn().name());
    }

    @Test
    void nestedScopesRestoreThePreviousMode() {
        Tensor x = Tensor.scalar(1).requiresGrad_();
        assertTrue(GradMode.isEnabled());
        try (var a = GradMode.noGrad()) {
            assertFalse(GradMode.isEnabled());
            try (var b = GradMode.enableGrad()) {
                assertTrue(GradMode.isEnabled());
                assertTrue(x.mul(2).requiresGrad());
                try (var c = Torch.noGrad()) {
                    assertFalse(Torch.isGradEnabled());
                    assertFalse(x.mul(2).requiresGrad());
                }
                assertTrue(GradMode.isEnabled());
            }
            assertFalse(GradMode.isEnabled());
            assertFalse(x.mul(2).requiresGrad());
            try (var d = GradMode.noGrad()) {
                assertFalse(GradMode.isEnabled());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        // an exception inside the scope restores the mode too
        assertThrows(IllegalStateException.class, () -> {
            try (var s = GradMode.noGrad()) {
                throw new IllegalStateException("boom");
            }
        });
        assertTrue(GradMode.isEnabled());
        // and backward leaves the caller's mode as it was
        try (var s = GradMode.noGrad()) {
            Tensor y;
            try (var e = GradMode.enableGrad()) {
                y = x.mul(3);
            }
            y.backward();
            assertFalse(GradMode.isEnabled());
        }
        assertValues(x.grad(), 3);
    }

    // ---- higher order and torch.autograd.grad --------------------------------------------------

    @Test
    void createGraphMakesTheGradientDifferentiable() {
        Tensor x = Tensor.scalar(3).requiresGrad_();
        Tensor y = x.pow(3);
        y.backward(null, false, true);
        Tensor g = x.grad();
        assertValues(g, 27);
        assertNotNull(g.gradFn());
        assertTrue(g.requiresGrad());
        Tensor gg = Autograd.grad(g, x);
        assertValues(gg, 18);
        assertNull(gg.gradFn());

        // without createGraph the gradient has no history
        Tensor w = Tensor.scalar(3).requiresGrad_();
        w.pow(3).backward();
        assertNull(w.grad().gradFn());
        assertFalse(w.grad().requiresGrad());
    }

    @Test
    void createGraphGradientsAreOwnCopies() {
        // AddBackward0 hands one gradient to both inputs and SumBackward0 an expanded (stride-0) view:
        // each leaf must still get a .grad of its own that can be written, as PyTorch's clone gives
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = Tensor.tensor(3, 4).requiresGrad_();
        a.add(b).sum().backward(null, false, true);
        assertNotSame(a.grad(), b.grad());
        assertTrue(a.grad().isContiguous());
        a.grad().zero_();
        assertValues(a.grad(), 0, 0);
        assertValues(b.grad(), 1, 1);

        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(3);
        y.retainGrad();
        y.sum().backward(null, false, true);
        assertTrue(y.grad().isContiguous());
        y.grad().mul_(2);
        assertValues(y.grad(), 2, 2);
        assertValues(x.grad(), 3, 3);
    }

    @Test
    void backwardFromALeaf() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor v = Tensor.tensor(5, 6);
        x.backward(v);
        assertValues(x.grad(), 5, 6);
        assertNotSame(v, x.grad());
        Tensor s = Tensor.scalar(2).requiresGrad_();
        s.backward();
        assertValues(s.grad(), 1);
    }

    @Test
    void aRootHookSeesTheRootGradient() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor y = x.mul(2);
        AtomicReference<Tensor> seen = new AtomicReference<>();
        y.registerHook(g -> {
            seen.set(g);
            return g.mul(10);
        });
        y.backward(Tensor.tensor(1, 3));
        assertValues(seen.get(), 1, 3);
        assertValues(x.grad(), 20, 60);
    }

    @Test
    void thirdOrderGradient() {
        Tensor x = Tensor.scalar(2).requiresGrad_();
        Tensor y = x.pow(4);
        Tensor g1 = Autograd.grad(y, x, true); // 4x^3 = 32
        Tensor g2 = Autograd.grad(g1, x, true); // 12x^2 = 48
        Tensor g3 = Autograd.grad(g2, x); // 24x = 48
        assertValues(g1, 32);
        assertValues(g2, 48);
        assertValues(g3, 48);
    }

    @Test
    void autogradGradWithAllowUnused() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor unused = Tensor.tensor(5).requiresGrad_();
        Tensor y = x.mul(x).sum();
        Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {x, unused}, null, true, false, true);
        assertValues(g[0], 2, 4);
        assertNull(g[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autograd.grad(new Tensor[] {y}, new Tensor[] {x, unused}, null, true, false, false));
        assertTrue(e.getMessage().contains("allowUnused"), e.getMessage());
    }

    @Test
    void autogradGradDoesNotTouchGradOfLeaves() {
        Tensor x = Tensor.tensor(1, 2).requiresGrad_();
        Tensor w = Tensor.tensor(3, 4).requiresGrad_();
        Tensor y = x.mul(w).sum();
        Tensor gx = Autograd.grad(y, x);
        assertValues(gx, 3, 4);
        assertNull(x.grad());
        assertNull(w.grad());

        // the gradient of a non-leaf can be asked for too
        Tensor a = Tensor.tensor(1, 2).requiresGrad_();
        Tensor b = a.mul(2);
        Tensor[] gb = Autograd.grad(b.pow(2).sum(), b, a);
        assertValues(gb[0], 4, 8);
        assertValues(gb[1], 8, 16);
        assertNull(a.grad());
    }

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
