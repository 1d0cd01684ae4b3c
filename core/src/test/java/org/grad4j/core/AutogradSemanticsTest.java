package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
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
}
