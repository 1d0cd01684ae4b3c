package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.autograd.Node;
import org.junit.jupiter.api.Test;

/**
 * Tensor hooks, node pre- and post-hooks, post-accumulate-grad hooks: PyTorch 2.x's order (tensor
 * hooks, then retain_grad, then node pre-hooks, the node, its post-hooks; on a leaf, the accumulation
 * then its post-accumulate hooks), replacement of gradients, and removal by handle.
 */
class HooksTest {

    @Test
    void hooksRunInPyTorchOrderAndEachSeesThePreviousOnesResult() {
        List<String> log = new ArrayList<>();
        Tensor x = Tensor.tensor(1f, 2f).requiresGrad_();
        Tensor y = x.mul(3f);
        Node mul = y.gradFn();
        Node acc = mul.nextFunctions().get(0);
        assertEquals("AccumulateGrad", acc.name());

        // registered deliberately out of order: the kind of hook decides, then registration order
        mul.registerHook((gin, gout) -> {
            log.add("mul post-hook: gradInputs " + gin[0] + ", gradOutputs " + gout[0]);
            return new Tensor[] {gin[0].add(1f)}; // replaces what flows on to x
        });
        mul.registerPrehook(g -> {
            log.add("mul pre-hook " + g);
            return g.mul(10f);
        });
        y.registerHook(g -> {
            log.add("y hook 1 " + g);
            return g.mul(2f);
        });
        y.retainGrad();
        y.registerHook(g -> {
            log.add("y hook 2 " + g);
            return g.add(1f);
        });
        x.registerHook(g -> {
            log.add("x hook " + g);
            return null; // keep the gradient
        });
        x.registerPostAccumulateGradHook(t -> {
            log.add("x post-accumulate, grad " + t.grad());
            return null;
        });
        acc.registerHook((gin, gout) -> {
            log.add("AccumulateGrad post-hook: " + gin.length + " gradInputs, gradOutputs " + gout[0]);
            return null;
        });

        y.backward(Tensor.tensor(1f, 1f));
        assertEquals(
                List.of(
                        "y hook 1 tensor([1., 1.])",
                        "y hook 2 tensor([2., 2.])",
                        "mul pre-hook tensor([3., 3.])",
                        "mul post-hook: gradInputs tensor([90., 90.]), gradOutputs tensor([30., 30.])",
                        "x hook tensor([91., 91.])",
                        "x post-accumulate, grad tensor([91., 91.])",
                        "AccumulateGrad post-hook: 0 gradInputs, gradOutputs tensor([91., 91.])"),
                log);
        // retainGrad sees the tensor hooks' result, not the node pre-hook's
        assertValues(y.grad(), 3, 3);
        assertValues(x.grad(), 91, 91);
    }

    @Test
    void handlesRemoveTheirHookOnly() {
        Tensor x = Tensor.scalar(2f).requiresGrad_();
        Tensor y = x.mul(x);
        List<String> log = new ArrayList<>();
        TensorHook h = g -> {
            log.add("h");
            return null;
        };
        RemovableHandle first = y.registerHook(h);
        y.registerHook(h); // the same hook twice: two registrations
        RemovableHandle pre = y.gradFn().registerPrehook(g -> {
            log.add("pre");
            return null;
        });
        RemovableHandle post = y.gradFn().registerHook((gi, go) -> {
            log.add("post");
            return null;
        });
        RemovableHandle acc = x.registerPostAccumulateGradHook(t -> {
            log.add("acc");
            return null;
        });
        y.backward(null, true);
        assertEquals(List.of("h", "h", "pre", "post", "acc"), log);
        log.clear();
        first.remove();
        first.remove(); // a second remove does nothing
        pre.remove();
        post.remove();
        acc.remove();
        y.backward();
        assertEquals(List.of("h"), log);
    }

    @Test
    void postHookSeesOneGradientPerInputAndNullWhereNoneIsNeeded() {
        Tensor a = Tensor.tensor(2f, 3f).requiresGrad_(),
                b = Tensor.tensor(5f, 7f),
                c = Tensor.tensor(1f, 1f).requiresGrad_();
        Tensor z = a.mul(b).mul(c);
        Tensor[][] seen = new Tensor[2][];
        z.gradFn().registerHook((gin, gout) -> {
            seen[0] = gin;
            seen[1] = gout;
            return new Tensor[] {gin[0], gin[1].mul(0f)};
        });
        Node inner = z.gradFn().nextFunctions().get(0);
        inner.registerHook((gin, gout) -> {
            assertNull(gin[1]); // b needs no gradient
            return null;
        });
        z.sum().backward();
        assertEquals(2, seen[0].length);
        assertValues(seen[0][0], 1, 1); // d z / d (a*b) = c
        assertValues(seen[0][1], 10, 21); // d z / d c = a*b
        assertValues(seen[1][0], 1, 1);
        assertValues(c.grad(), 0, 0); // replaced
        assertValues(a.grad(), 5, 7);
        assertNull(b.grad());
    }

    @Test
    void aPostHookMustReturnOneGradientPerInputOfTheSameShape() {
        Tensor a = Tensor.ones(2).requiresGrad_();
        Tensor z = a.mul(2f);
        z.gradFn().registerHook((gin, gout) -> new Tensor[] {gin[0], gin[0]});
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> z.sum().backward());
        assertEquals(
                "hook registered on MulBackward0 returned 2 gradients, but the node has 1 inputs; return one per input "
                        + "(null where none)",
                e.getMessage());
        Tensor z2 = a.mul(2f);
        z2.gradFn().registerHook((gin, gout) -> new Tensor[] {Tensor.ones(3)});
        e = assertThrows(IllegalArgumentException.class, () -> z2.sum().backward());
        assertTrue(e.getMessage().contains("changed the shape of gradient 0 from [2] to [3]"), e.getMessage());
    }

    @Test
    void tensorHooksApplyToAutogradGradToo() {
        Tensor x = Tensor.tensor(1f, 2f).requiresGrad_();
        Tensor y = x.mul(x);
        y.registerHook(g -> g.mul(-1f));
        x.registerHook(g -> g.add(100f));
        assertValues(Autograd.grad(y.sum(), x), 98, 96);
        assertNull(x.grad());
    }

    @Test
    void aPostAccumulateHookCanRunTheOptimizerStepDuringBackward() {
        Tensor w = Tensor.tensor(1f, 2f).requiresGrad_();
        w.registerPostAccumulateGradHook(p -> {
            try (var s = Torch.noGrad()) {
                p.sub_(p.grad().mul(0.1f)); // SGD step in backward, as PyTorch's optimizer-in-backward pattern
            }
            p.setGrad(null);
            return null;
        });
        w.mul(w).sum().backward();
        assertValues(w, 0.8f, 1.6f);
        assertNull(w.grad());
    }

    @Test
    void hooksUnderCreateGraphAreRecorded() {
        Tensor x = Tensor.scalar(3f).requiresGrad_();
        Tensor y = x.pow(2f);
        y.registerHook(g -> g.mul(x)); // d/dx of the hooked gradient: (2x·x)' = 4x
        Tensor g = Autograd.grad(y, x, true);
        assertValues(g, 18);
        assertValues(Autograd.grad(g, x), 12);
    }

    @Test
    void registeringOnATensorThatNeedsNoGradFails() {
        Tensor t = Tensor.ones(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.registerHook(g -> g));
        assertEquals("registerHook: cannot register a hook on a tensor that doesn't require gradient", e.getMessage());
        Tensor y = Tensor.ones(2).requiresGrad_().mul(2f);
        e = assertThrows(IllegalStateException.class, () -> y.registerPostAccumulateGradHook(p -> null));
        assertTrue(e.getMessage().contains("only be registered on leaf tensors"));
        assertSame(y.gradFn(), y.gradFn());
    }
}
