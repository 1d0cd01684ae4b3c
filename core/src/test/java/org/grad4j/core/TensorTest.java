package org.grad4j.core;

import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Tensor basics: factories, views and strides, indexing, reductions with indices. */
class TensorTest {
    // ---- factories -----------------------------------------------------------------------------

    @Test
    void zerosOnesFull() {
        Tensor z = Tensor.zeros(2, 3);
        assertShape(z, 2, 3);
        assertValues(z, 0, 0, 0, 0, 0, 0);
        assertEquals(DType.FLOAT32, z.dtype());
        assertFalse(z.requiresGrad());
        assertTrue(z.isLeaf());
        assertValues(Tensor.ones(3), 1, 1, 1);
        assertValues(Tensor.full(2.5f, 2, 2), 2.5f, 2.5f, 2.5f, 2.5f);
        assertValues(Tensor.zerosLike(Tensor.ones(2)), 0, 0);
        assertValues(Tensor.onesLike(Tensor.zeros(1, 2)), 1, 1);
        assertShape(Tensor.zeros(0), 0);
        assertEquals(0, Tensor.zeros(2, 0).numel());
        assertValues(Tensor.eye(2), 1, 0, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
    }

    @Test
    void ofTensorScalar() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertShape(t, 2, 3);
        assertEquals(6f, t.get(1, 2).item());
        assertValues(Tensor.tensor(1, 2, 3), 1, 2, 3);
        assertShape(Tensor.tensor(1, 2, 3), 3);
        Tensor m = Tensor.tensor(new float[][] {{1, 2}, {3, 4}, {5, 6}});
        assertShape(m, 3, 2);
        assertValues(m, 1, 2, 3, 4, 5, 6);
        Tensor s = Tensor.scalar(3.5f);
        assertEquals(0, s.dim());
        assertShape(s);
        assertEquals(1, s.numel());
        assertEquals(3.5f, s.item());
        // the data is copied
        float[] data = {1, 2};
        Tensor c = Tensor.of(data, 2);
        data[0] = 9;
        assertValues(c, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.tensor(new float[][] {{1, 2}, {3}}));
    }

    @Test
    void arangeLikePyTorch() {
        assertValues(Tensor.arange(5), 0, 1, 2, 3, 4);
        assertValues(Tensor.arange(0, 1, 0.25f), 0, 0.25f, 0.5f, 0.75f);
        assertValues(Tensor.arange(1, 2.5f, 0.5f), 1, 1.5f, 2);
        assertValues(Tensor.arange(3, 0, -1), 3, 2, 1);
        assertShape(Tensor.arange(0, 1, 0.1f), 10);
        assertShape(Tensor.arange(2, 2, 1), 0);
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0));
    }

    @Test
    void linspaceLikePyTorch() {
        assertValues(Tensor.linspace(-1, 1, 5), -1, -0.5f, 0, 0.5f, 1);
        assertValues(Tensor.linspace(0, 1, 3), 0, 0.5f, 1);
        assertValues(Tensor.linspace(3, 10, 2), 3, 10);
        // one step is the start, as in PyTorch
        assertValues(Tensor.linspace(2, 5, 1), 2);
        assertShape(Tensor.linspace(0, 1, 0), 0);
        Tensor l = Tensor.linspace(-1, 1, 100);
        assertEquals(-1f, l.get(0).item());
        assertEquals(1f, l.get(99).item());
        // symmetric, and exactly the endpoints
        float[] v = l.toFloatArray();
        for (int i = 0; i < 100; i++) assertEquals(-v[i], v[99 - i], 1e-7f, "element " + i);
    }

    @Test
    void randReproducibleWithTheSameSeed() {
        float[] a = Tensor.rand(new Generator(42), 3, 4).toFloatArray();
        float[] b = Tensor.rand(new Generator(42), 3, 4).toFloatArray();
        float[] c = Tensor.rand(new Generator(43), 3, 4).toFloatArray();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        for (float f : a) assertTrue(f >= 0 && f < 1, "rand in [0, 1): " + f);

        float[] n1 = Tensor.randn(new Generator(7), 1000).toFloatArray();
        float[] n2 = Tensor.randn(new Generator(7), 1000).toFloatArray();
        assertArrayEquals(n1, n2);
        double mean = 0;
        for (float f : n1) mean += f;
        assertEquals(0, mean / 1000, 0.15);

        // the same through the default generator and manualSeed, and a generator continues its stream
        Torch.manualSeed(5);
        float[] d1 = Tensor.randn(2, 2).toFloatArray();
        Torch.manualSeed(5);
        float[] d2 = Tensor.randn(2, 2).toFloatArray();
        assertArrayEquals(d1, d2);
        Generator g = new Generator(1);
        assertFalse(Arrays.equals(
                Tensor.rand(g, 4).toFloatArray(), Tensor.rand(g, 4).toFloatArray()));
    }

    // ---- views share storage -------------------------------------------------------------------

    @Test
    void writesThroughViewsAreVisibleInTheBase() {
        Tensor x = Tensor.zeros(2, 3);
        Tensor v = x.view(6);
        assertTrue(v.isView());
        v.select(0, 4).fill_(1); // x[1, 1]
        assertValues(x, 0, 0, 0, 0, 1, 0);
        assertEquals(1, x.version());
        assertEquals(1, v.version());

        Tensor t = x.t(); // [3, 2]
        t.set(5f, 0, 1); // x[1, 0]
        assertValues(x, 0, 0, 0, 5, 1, 0);
        assertEquals(2, x.version());

        x.slice(1, 1, 3).mul_(2); // x[:, 1:3] *= 2
        assertValues(x, 0, 0, 0, 5, 2, 0);
        x.select(0, 0).add_(1); // x[0] += 1
        assertValues(x, 1, 1, 1, 5, 2, 0);
        assertEquals(4, x.version());
        assertEquals(4, t.version());

        // expand: a write to the base is seen through the expanded view, and a size-1 expand is writable
        Tensor b = Tensor.zeros(1, 3);
        Tensor e = b.expand(4, 3);
        b.fill_(2);
        assertValues(e, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
        Tensor y = Tensor.zeros(3);
        y.expand(1, 3).fill_(7);
        assertValues(y, 7, 7, 7);
        assertEquals(1, y.version());

        // and the other way: writes to the base are seen by the views
        x.fill_(3);
        assertValues(t, 3, 3, 3, 3, 3, 3);
        assertValues(v, 3, 3, 3, 3, 3, 3);
    }

    @Test
    void stridesAndContiguity() {
        Tensor x = Tensor.arange(6).view(2, 3);
        assertArrayEquals(new int[] {3, 1}, x.strides());
        assertTrue(x.isContiguous());
        Tensor t = x.t();
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new int[] {1, 3}, t.strides());
        assertFalse(t.isContiguous());
        assertValues(t, 0, 3, 1, 4, 2, 5);

        assertThrows(IllegalArgumentException.class, () -> t.view(6));
        Tensor r = t.reshape(6); // copies
        assertValues(r, 0, 3, 1, 4, 2, 5);
        r.fill_(-1);
        assertValues(x, 0, 1, 2, 3, 4, 5);

        Tensor c = t.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(new int[] {2, 1}, c.strides());
        assertValues(c, 0, 3, 1, 4, 2, 5);
        assertTrue(x.contiguous() == x);

        // reshape of a contiguous tensor is a view
        Tensor rv = x.reshape(3, 2);
        rv.select(0, 0).fill_(9);
        assertValues(x, 9, 9, 2, 3, 4, 5);

        Tensor s = x.slice(1, 0, 3, 2); // x[:, ::2]
        assertArrayEquals(new int[] {3, 2}, s.strides());
        assertEquals(0, s.storageOffset());
        assertEquals(4, x.select(0, 1).select(0, 1).storageOffset());
        assertFalse(s.isContiguous());
        Tensor p = Tensor.zeros(2, 3, 4).permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertArrayEquals(new int[] {1, 12, 4}, p.strides());
        assertArrayEquals(new int[] {0, 1}, Tensor.zeros(1, 3).expand(4, 3).strides());
    }

    @Test
    void squeezeUnsqueezeFlattenPermute() {
        Tensor x = Tensor.zeros(2, 1, 3, 1);
        assertShape(x.squeeze(), 2, 3);
        assertShape(x.squeeze(1), 2, 3, 1);
        assertShape(x.squeeze(0), 2, 1, 3, 1);
        assertShape(x.squeeze(-1), 2, 1, 3);
        assertShape(x.unsqueeze(0), 1, 2, 1, 3, 1);
        assertShape(x.unsqueeze(-1), 2, 1, 3, 1, 1);
        assertShape(x.unsqueeze(2), 2, 1, 1, 3, 1);
        assertShape(x.flatten(), 6);
        assertShape(x.flatten(1, 2), 2, 3, 1);
        assertShape(x.flatten(0, -2), 6, 1);
        assertShape(Tensor.scalar(1).flatten(), 1);
        assertShape(x.permute(3, 2, 1, 0), 1, 3, 1, 2);
        assertShape(x.permute(-1, 0, 2, 1), 1, 2, 3, 1);
        assertShape(Tensor.zeros(2, 3, 4).transpose(0, 2), 4, 3, 2);
        assertShape(Tensor.zeros(2, 3).view(-1, 2), 3, 2);
        assertShape(Tensor.zeros(3).unsqueeze(1).expand(3, 4), 3, 4);
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1, 2));

        Tensor m = Tensor.arange(6).view(2, 3);
        assertValues(m.permute(1, 0), 0, 3, 1, 4, 2, 5);
        assertValues(m.unsqueeze(1).squeeze(1), 0, 1, 2, 3, 4, 5);
    }

    // ---- indexing ------------------------------------------------------------------------------

    @Test
    void getWithIntegersAndSlices() {
        Tensor x = Tensor.arange(12).view(3, 4);
        assertValues(x.get(0), 0, 1, 2, 3);
        assertValues(x.get(-1), 8, 9, 10, 11);
        assertEquals(7f, x.get(1, 3).item());
        assertEquals(3f, x.get(0, -1).item());
        assertShape(x.get(1, 3));

        assertValues(x.get(Slice.all(), 1), 1, 5, 9);
        assertValues(x.get(Slice.all(), Slice.of(0, 4, 2)), 0, 2, 4, 6, 8, 10);
        assertValues(x.get(1, Slice.of(1, 4, 2)), 5, 7);
        assertValues(x.get(Slice.from(1), 0), 4, 8);
        assertValues(x.get(Slice.to(-1), 0), 0, 4);
        assertValues(x.get(Slice.from(-1)), 8, 9, 10, 11);
        assertShape(x.get(Slice.from(-1)), 1, 4);
        assertValues(x.get(Slice.of(-2, 100), -1), 7, 11); // out-of-range slice bounds clamp, as in Python
        assertShape(x.get(Slice.of(2, 1)), 0, 4);
        assertValues(x.get(Slice.all(), Slice.of(1, 3)).get(1), 5, 6);
        assertValues(x.get(Tensor.indices(2, 0)), 8, 9, 10, 11, 0, 1, 2, 3);
        assertValues(x.get(Slice.all(), Tensor.indices(-1)), 3, 7, 11);
        assertValues(x.indexSelect(1, Tensor.indices(3, 0)), 3, 0, 7, 4, 11, 8);

        // set writes through the same indices
        Tensor y = Tensor.zeros(2, 3);
        y.set(Tensor.tensor(1, 2), Slice.all(), 2);
        y.set(5f, 0, Slice.to(2));
        assertValues(y, 5, 5, 1, 0, 0, 2);
    }

    @Test
    void maxMinAlongADimWithIndices() {
        Tensor t = Tensor.tensor(new float[][] {{1, 3, 3}, {2, 2, 0}});
        Tensor.ValuesIndices mx = t.max(1);
        assertValues(mx.values(), 3, 2);
        assertValues(mx.indices(), 1, 0); // the first index on ties
        assertEquals(DType.INT64, mx.indices().dtype());
        Tensor.ValuesIndices mn = t.min(1);
        assertValues(mn.values(), 1, 0);
        assertValues(mn.indices(), 0, 2);
        Tensor.ValuesIndices m0 = t.max(0);
        assertValues(m0.values(), 2, 3, 3);
        assertValues(m0.indices(), 1, 0, 0);
        Tensor.ValuesIndices mk = t.min(0, true);
        assertShape(mk.values(), 1, 3);
        assertValues(mk.values(), 1, 2, 0);
        assertValues(mk.indices(), 0, 1, 1);
        assertValues(t.argmax(-1), 1, 0);
        assertValues(t.argmin(0), 0, 1, 1);
        assertEquals(3f, t.max().item());
        assertEquals(0f, t.min().item());
        assertEquals("tensor([1, 0])", mx.indices().toString());
    }

    @Test
    void comparisonsGiveBoolTensors() {
        Tensor a = Tensor.tensor(1, 2, 3);
        Tensor gt = a.gt(1.5f);
        assertEquals(DType.BOOL, gt.dtype());
        assertValues(gt, 0, 1, 1);
        assertEquals("tensor([False,  True,  True])", gt.toString());
        assertEquals(
                "tensor([ True, False, False])", a.eq(Tensor.tensor(1, 5, 4)).toString());
        assertValues(a.le(2), 1, 1, 0);
        assertValues(a.ne(2), 1, 0, 1);
        assertValues(a.lt(Tensor.tensor(3)), 1, 1, 0);
        assertValues(a.ge(3), 0, 0, 1);
        assertEquals(
                "tensor([[ True, False],\n        [False,  True]])",
                Tensor.eye(2).eq(1).toString());
        assertFalse(gt.requiresGrad());
        assertFalse(Tensor.ones(2).requiresGrad_().gt(0).requiresGrad());
    }
}
