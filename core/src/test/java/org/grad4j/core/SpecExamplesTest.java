package org.grad4j.core;

import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The acceptance examples A–N of SPEC.md §2, with their exact numbers. */
class SpecExamplesTest {

    @Test
    void a_scalarRootMean() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        Tensor y = x.add(2);
        Tensor z = y.mul(y).mul(3);
        Tensor out = z.mean();
        assertEquals("AddBackward0", y.gradFn().name());
        assertNull(x.gradFn());
        assertTrue(x.isLeaf());
        assertValues(z, 27, 27, 27, 27);
        assertValues(out, 27);
        out.backward();
        assertValues(x.grad(), 4.5f, 4.5f, 4.5f, 4.5f);
        assertEquals("tensor(27., grad_fn=<MeanBackward0>)", out.toString());
    }

    @Test
    void b_accumulationAndZeroing() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        Tensor y = x.add(2);
        y.mul(y).mul(3).mean().backward();
        x.sum().backward();
        assertValues(x.grad(), 5.5f, 5.5f, 5.5f, 5.5f);
        x.grad().zero_();
        x.sum().backward();
        assertValues(x.grad(), 1, 1, 1, 1);
    }

    @Test
    void c_nonScalarRootNeedsAGradient() {
        Tensor x = Tensor.tensor(1, 2, 3, 4).requiresGrad_();
        Tensor y = x.mul(2);
        Tensor z = y.view(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, z::backward);
        assertTrue(e.getMessage().contains("scalar outputs"), e.getMessage());
        z.backward(Tensor.tensor(new float[][] {{1, 0.1f}, {0.01f, 0.001f}}));
        assertValues(x.grad(), 2, 0.2f, 0.02f, 0.002f);
    }

    @Test
    void d_noGradScope() {
        Tensor x = Tensor.scalar(1).requiresGrad_();
        Tensor y1 = x.pow(2);
        Tensor y2;
        try (var s = GradMode.noGrad()) {
            y2 = x.pow(3);
        }
        Tensor y3 = y1.add(y2);
        assertTrue(y1.requiresGrad());
        assertFalse(y2.requiresGrad());
        assertTrue(y3.requiresGrad());
        y3.backward();
        assertValues(x.grad(), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y2::backward);
        assertTrue(e.getMessage().contains("does not require grad and does not have a grad_fn"), e.getMessage());
    }

    @Test
    void e_untrackedData() {
        Tensor x = Tensor.ones(1).requiresGrad_();
        Tensor y = x.mul(2);
        x.data().mul_(100);
        y.backward();
        assertValues(x, 100);
        assertValues(x.grad(), 2);
    }

    @Test
    void f_meanOfAnAffineChain() {
        Tensor a = Tensor.tensor(2, 3).requiresGrad_();
        Tensor out = a.add(3).mul(3).mean();
        assertValues(out, 16.5f);
        out.backward();
        assertValues(a.grad(), 1.5f, 1.5f);
    }

    @Test
    void g_indexedAssignmentIsRecorded() {
        Tensor a = Tensor.tensor(new float[][] {{2, 4}}).requiresGrad_();
        Tensor b = Tensor.zeros(1, 2);
        b.set(a.get(0, 0).pow(2).add(a.get(0, 1)), 0, 0);
        b.set(a.get(0, 1).pow(3).add(a.get(0, 0)), 0, 1);
        Tensor out = b.mul(2);
        out.backward(Tensor.tensor(new float[][] {{1, 2}}));
        assertValues(out, 16, 132);
        assertValues(a.grad(), 12, 194);
        assertEquals("CopySlices", b.gradFn().name());
    }

    @Test
    void h_matrixProduct() {
        Tensor a = Tensor.tensor(new float[][] {{2, 3}, {1, 2}}).requiresGrad_();
        Tensor w = Tensor.ones(2, 1).requiresGrad_();
        Tensor out = Torch.mm(a, w);
        out.backward(Tensor.tensor(new float[][] {{1}, {1}}));
        assertValues(out, 5, 3);
        assertValues(w.grad(), 3, 5);
        assertValues(a.grad(), 1, 1, 1, 1);
        assertEquals("MmBackward0", out.gradFn().name());
    }

    @Test
    void i_leavesAndNonLeaves() {
        Tensor x = Tensor.tensor(2);
        Tensor w = Tensor.tensor(0.7f).requiresGrad_();
        Tensor b = Tensor.tensor(-1.3f).requiresGrad_();
        Tensor y = w.mul(x);
        Tensor z = y.add(b);
        assertFalse(x.requiresGrad());
        assertTrue(w.requiresGrad() && b.requiresGrad() && y.requiresGrad() && z.requiresGrad());
        assertTrue(x.isLeaf() && w.isLeaf() && b.isLeaf());
        assertFalse(y.isLeaf() || z.isLeaf());
        assertEquals("MulBackward0", y.gradFn().name());
        assertEquals("AddBackward0", z.gradFn().name());
        z.backward();
        assertValues(w.grad(), 2);
        assertValues(b.grad(), 1);
        assertNull(x.grad());
        assertNull(y.grad());
        assertNull(z.grad());
    }

    @Test
    void j_retainGrad() {
        Tensor x = Tensor.tensor(1).requiresGrad_();
        Tensor w = Tensor.tensor(2).requiresGrad_();
        Tensor y = x.mul(w);
        Tensor z = y.mul(2);
        Tensor l = z.pow(2);
        y.retainGrad();
        l.backward();
        assertValues(w.grad(), 16);
        assertValues(y.grad(), 16);
        assertNull(z.grad());
        assertTrue(y.retainsGrad());
    }

    @Test
    void k_retainGraph() {
        Tensor x = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor l = x.mul(x).sum();
        l.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, l::backward);
        assertTrue(e.getMessage().contains("backward through the graph a second time"), e.getMessage());
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());

        Tensor x2 = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor l2 = x2.mul(x2).sum();
        l2.backward(null, true);
        assertValues(x2.grad(), 2, 4, 6);
        l2.backward();
        assertValues(x2.grad(), 4, 8, 12);
    }

    @Test
    void l_gradientsOfGradients() {
        Tensor x = Tensor.scalar(3).requiresGrad_();
        Tensor y = x.pow(3);
        Tensor g = Autograd.grad(y, x, true);
        assertValues(g, 27);
        assertNotNull(g.gradFn());
        Tensor g2 = Autograd.grad(g, x);
        assertValues(g2, 18);
    }

    @Test
    void m_smallNetwork() {
        Generator gen = new Generator(7);
        Tensor w1 = Tensor.randn(gen, 2, 3).requiresGrad_();
        Tensor b1 = Tensor.randn(gen, 2).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 1, 2).requiresGrad_();
        Tensor b2 = Tensor.randn(gen, 1).requiresGrad_();
        Tensor input = Tensor.randn(gen, 1, 3);
        java.util.function.Function<Tensor[], Tensor> net =
                p -> Torch.addmm(p[3], Torch.addmm(p[1], input, p[0].t()).tanh(), p[2].t());
        Tensor output = net.apply(new Tensor[] {w1, b1, w2, b2});
        assertShape(output, 1, 1);
        output.backward();
        for (Tensor p : new Tensor[] {w1, b1, w2, b2}) assertNotNull(p.grad());
        assertNull(input.grad());
        Tensor[] ps = {w1, b1, w2, b2};
        for (int i = 0; i < ps.length; i++) {
            float[] fd = finiteDifferences(net, ps, i);
            Asserts.assertClose(ps[i].grad(), fd, 1e-3f);
        }
    }

    private static float[] finiteDifferences(java.util.function.Function<Tensor[], Tensor> f, Tensor[] ps, int which) {
        Tensor raw = ps[which].data();
        float[] base = raw.toFloatArray(), out = new float[base.length];
        double eps = 1e-2;
        try (var s = GradMode.noGrad()) {
            for (int j = 0; j < base.length; j++) {
                float[] p = base.clone();
                p[j] = (float) (base[j] + eps);
                raw.copy_(Tensor.of(p, ps[which].shape()));
                double plus = f.apply(ps).item();
                p[j] = (float) (base[j] - eps);
                raw.copy_(Tensor.of(p, ps[which].shape()));
                double minus = f.apply(ps).item();
                out[j] = (float) ((plus - minus) / (2 * eps));
            }
            raw.copy_(Tensor.of(base, ps[which].shape()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 42, 2024, 123456789})
    void n_regressionLoop(long seed) {
        float[] wb = Regression.run(seed, 800, 0.001f);
        assertTrue(Math.abs(wb[0] - 3) < 0.1, "w = " + wb[0]);
        assertTrue(Math.abs(wb[1] - 2.1) < 0.05, "b = " + wb[1]);
    }
}
