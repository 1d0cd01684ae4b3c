package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** PyTorch 2.x hook semantics: tensor hooks, node pre- and post-hooks, retain_grad, post-accumulate hooks. */
class HookSemanticsTest {

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
}
