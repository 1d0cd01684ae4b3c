package org.grad4j.core;

import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Calls whose values, gradients, grad_fn names or errors were checked against PyTorch 2.x. */
class PyTorchParityTest {

    private static Tensor vec(float... v) {
        return Tensor.of(v, v.length);
    }

    private static Tensor leaf(float... v) {
        return vec(v).requiresGrad_();
    }

    // ---- fixed mismatches --------------------------------------------------------------------------

    @Test
    void sumAndMeanOverAnEmptyDimListReduceEverything() {
        // torch.sum(x, dim=[]) / x.mean(dim=[]) reduce over all dims (not none)
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad_();
        Tensor s = x.sum(new int[0], false);
        assertShape(s);
        assertValues(s, 21);
        assertEquals("SumBackward1", s.gradFn().name());
        Tensor m = x.mean(new int[0], true);
        assertShape(m, 1, 1);
        assertValues(m, 3.5f);
        assertEquals("MeanBackward1", m.gradFn().name());
        m.sum().backward();
        assertValues(x.grad(), 1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f);
    }

    @Test
    void arangeCountsLikePythonDoubles() {
        // torch.arange(1, 1.3, 0.1) -> tensor([1.0000, 1.1000, 1.2000, 1.3000]): (1.3-1)/0.1 = 3.0000000000000004
        Tensor a = Tensor.arange(1f, 1.3f, 0.1f);
        assertShape(a, 4);
        assertValues(a, 1f, 1.1f, 1.2f, 1.3f);
        // torch.arange(0, 1, 0.1)[9].item() == 0.8999999761581421 (float32 of 0.9), bit for bit
        assertEquals(0.9f, Tensor.arange(0f, 1f, 0.1f).toFloatArray()[9]);
        assertShape(Tensor.arange(0f, 0.3f, 0.1f), 3);
    }

    @Test
    void linspaceInFloat() {
        assertValues(Tensor.linspace(0f, 1f, 11), 0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1f);
        float[] l = Tensor.linspace(-1f, 1f, 100).toFloatArray();
        assertEquals(-1f, l[0]);
        assertEquals(1f, l[99]);
        assertEquals(-0.97979796f, l[1], 1e-7f);
    }

    @Test
    void batchedMatmulIsAnUnsafeView() {
        // (2,2,2) @ (2,3): PyTorch folds to mm, then _unsafe_view -> UnsafeViewBackward0
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2).requiresGrad_();
        Tensor w = Tensor.of(new float[] {1, 0, 1, 0, 1, 1}, 2, 3).requiresGrad_();
        Tensor r = a.matmul(w);
        assertShape(r, 2, 2, 3);
        assertEquals("UnsafeViewBackward0", r.gradFn().name());
        assertValues(r, 1, 2, 3, 3, 4, 7, 5, 6, 11, 7, 8, 15);
        r.sum().backward();
        assertValues(a.grad(), 2, 2, 2, 2, 2, 2, 2, 2);
        assertValues(w.grad(), 16, 16, 16, 20, 20, 20);

        // (2,2,2) @ (2,): mv, then _unsafe_view
        Tensor v = leaf(1, 2);
        Tensor rv = a.matmul(v);
        assertShape(rv, 2, 2);
        assertEquals("UnsafeViewBackward0", rv.gradFn().name());
        assertValues(rv, 5, 11, 17, 23);
        rv.sum().backward();
        assertValues(v.grad(), 16, 20);

        // (2,) @ (2,2,2) -> (2,2), and (2,2,2) @ (2,2,2)
        Tensor b = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2).requiresGrad_();
        Tensor lv = leaf(1, 2).matmul(b);
        assertShape(lv, 2, 2);
        assertValues(lv, 7, 10, 19, 22);
        assertEquals("UnsafeViewBackward0", lv.gradFn().name());
        Tensor bb = a.matmul(b);
        assertShape(bb, 2, 2, 2);
        assertValues(bb, 7, 10, 15, 22, 67, 78, 91, 106);
        assertEquals("UnsafeViewBackward0", bb.gradFn().name());
    }

    // ---- behaviour already matching PyTorch, pinned ------------------------------------------------

    @Test
    void gradientsAtKinks() {
        Tensor x = leaf(0f, -1f, 2f);
        x.abs().sum().backward();
        assertValues(x.grad(), 0, -1, 1); // abs'(0) = 0
        Tensor y = leaf(0f, -1f, 2f);
        y.relu().sum().backward();
        assertValues(y.grad(), 0, 0, 1); // relu'(0) = 0
        Tensor c = leaf(0f, 1f, 0.5f, -1f, 2f);
        c.clamp(0f, 1f).sum().backward();
        assertValues(c.grad(), 1, 1, 1, 0, 0); // bounds inclusive
        Tensor s = leaf(0f, 4f);
        s.sqrt().sum().backward();
        assertEquals(Float.POSITIVE_INFINITY, s.grad().toFloatArray()[0]);
        assertValues(s.grad().get(1), 0.25f);
        Tensor p = leaf(0f);
        Tensor p0 = p.pow(0f);
        assertValues(p0, 1); // 0 ** 0 = 1
        p0.sum().backward();
        assertValues(p.grad(), 0);
        assertValues(vec(-2f).pow(3f), -8f);
    }

    @Test
    void maxTies() {
        Tensor x = leaf(1, 3, 3, 2);
        x.max().backward();
        assertValues(x.grad(), 0, 0.5f, 0.5f, 0); // max(): evenly split
        Tensor y = Tensor.of(new float[] {1, 3, 3, 2, 5, 5}, 2, 3).requiresGrad_();
        Tensor.ValuesIndices r = y.max(-1, true);
        assertShape(r.indices(), 2, 1);
        assertValues(r.indices(), 1, 1); // first maximal index
        assertEquals("MaxBackward0", r.values().gradFn().name());
        r.values().sum().backward();
        assertValues(y.grad(), 0, 1, 0, 0, 1, 0);
    }

    @Test
    void softmaxWithMinusInfinity() {
        float ninf = Float.NEGATIVE_INFINITY;
        assertValues(vec(ninf, 0f, 0f).softmax(0), 0f, 0.5f, 0.5f);
        Tensor ls = vec(ninf, 0f, 0f).logSoftmax(0);
        assertEquals(ninf, ls.toFloatArray()[0]);
        assertValues(ls.get(1), -0.6931472f);
    }

    @Test
    void viewsAndJoins() {
        assertThrows(IllegalArgumentException.class, () -> vec(1, 2, 3).slice(0, 0, 3, -1)); // negative step
        assertValues(vec(1, 2, 3).slice(0, 1, 100), 2, 3); // out of range clamps
        assertShape(vec(1, 2, 3).slice(0, 2, 1), 0);
        assertThrows(
                IllegalStateException.class,
                () -> Tensor.ones(1, 3).expand(2, 3).add_(1f));
        Tensor c = Torch.cat(0, leaf(1, 2));
        assertEquals("CatBackward0", c.gradFn().name());
        Tensor st = Torch.stack(-1, vec(1, 2), vec(3, 4));
        assertShape(st, 2, 2);
        assertValues(st, 1, 3, 2, 4);
        assertEquals(1f, Tensor.ones(1, 1, 1).item());
        Tensor x = leaf(1, 2);
        x.retainGrad(); // no-op on a leaf
        Tensor y = x.add(1f).sum();
        y.backward();
        y.backward(); // AddBackward0/SumBackward0 save nothing: a second backward is allowed
        assertValues(x.grad(), 2, 2);
    }
}
