package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.grad4j.core.tools.AutogradFunctional;
import org.junit.jupiter.api.Test;

/** vjp, jvp, jacobian, hessian, hvp, vhp against closed forms and finite differences. */
class AutogradFunctionalTest {
    private final Generator gen = new Generator(31);

    /** (f(x + εv) - f(x - εv)) / 2ε, in float64 sums over float32 evaluations. */
    private static float[] directional(Function<Tensor[], Tensor> f, Tensor[] x, Tensor[] v, float eps) {
        Tensor[] p = new Tensor[x.length], m = new Tensor[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = x[i].add(v[i].mul(eps));
            m[i] = x[i].sub(v[i].mul(eps));
        }
        float[] fp = f.apply(p).toFloatArray(), fm = f.apply(m).toFloatArray(), out = new float[fp.length];
        for (int i = 0; i < fp.length; i++) out[i] = (float) (((double) fp[i] - fm[i]) / (2.0 * eps));
        return out;
    }

    @Test
    void vjpIsVTransposeJ() {
        Tensor x = Tensor.randn(gen, 3, 2), a = Tensor.randn(gen, 3, 2), v = Tensor.randn(gen, 3, 2);
        AutogradFunctional.Result r = AutogradFunctional.vjp(xs -> xs[0].pow(2f).mul(a), new Tensor[] {x}, v);
        assertClose(r.output(), x.pow(2f).mul(a).toFloatArray(), 1e-6f);
        assertClose(r.product(), x.mul(2f).mul(a).mul(v).toFloatArray(), 1e-5f);
        assertFalse(r.product().requiresGrad());
        assertNull(x.grad()); // the inputs are not touched
        // a one-element output needs no v; an unused input gets zeros
        Tensor y = Tensor.randn(gen, 2);
        AutogradFunctional.Result s = AutogradFunctional.vjp(xs -> xs[0].sum(), new Tensor[] {x, y}, null);
        assertValues(s.products()[1], 0, 0);
    }

    @Test
    void jvpIsJTimesVByTheDoubleVjpTrick() {
        Tensor x = Tensor.randn(gen, 4), y = Tensor.randn(gen, 4), vx = Tensor.randn(gen, 4), vy = Tensor.randn(gen, 4);
        Function<Tensor[], Tensor> f = xs -> xs[0].mul(xs[1]).tanh().add(xs[0].pow(3f));
        AutogradFunctional.Result r = AutogradFunctional.jvp(f, new Tensor[] {x, y}, new Tensor[] {vx, vy});
        // closed form: (1 - tanh²(xy)) (y vx + x vy) + 3x² vx
        Tensor t = x.mul(y).tanh();
        Tensor expected = t.mul(t)
                .rsub(1f)
                .mul(y.mul(vx).add(x.mul(vy)))
                .add(x.pow(2f).mul(3f).mul(vx));
        assertClose(r.product(), expected.toFloatArray(), 1e-5f);
        assertClose(r.product(), directional(f, new Tensor[] {x, y}, new Tensor[] {vx, vy}, 1e-2f), 2e-3f);
        // a linear function: J v is the function of v
        Tensor a = Tensor.randn(gen, 3, 4);
        assertClose(
                AutogradFunctional.jvp(xs -> a.matmul(xs[0]), new Tensor[] {x}, new Tensor[] {vx})
                        .product(),
                a.matmul(vx).toFloatArray(),
                1e-5f);
        // a function that does not depend on its input: zeros
        assertValues(
                AutogradFunctional.jvp(xs -> Tensor.ones(2), new Tensor[] {x}, new Tensor[] {vx})
                        .product(),
                0,
                0);
    }

    @Test
    void jacobianOfLinearAndElementwiseFunctions() {
        Tensor a = Tensor.randn(gen, 3, 4), x = Tensor.randn(gen, 4);
        Tensor j = AutogradFunctional.jacobian(t -> a.matmul(t), x);
        assertShape(j, 3, 4);
        assertClose(j, a.toFloatArray(), 1e-6f);
        Tensor jt = AutogradFunctional.jacobian(Tensor::tanh, x);
        float[] xv = x.toFloatArray(), expected = new float[16];
        for (int i = 0; i < 4; i++) expected[i * 5] = (float) (1 - Math.pow(Math.tanh(xv[i]), 2));
        assertClose(jt, expected, 1e-5f);
        // several inputs of several dims: out.shape ++ input.shape
        Tensor m = Tensor.randn(gen, 2, 3), v = Tensor.randn(gen, 3);
        Tensor[] js = AutogradFunctional.jacobian(xs -> xs[0].mv(xs[1]), new Tensor[] {m, v}, false);
        assertShape(js[0], 2, 2, 3);
        assertShape(js[1], 2, 3);
        float[] vv = v.toFloatArray(), e0 = new float[12];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) e0[(i * 2 + i) * 3 + k] = vv[k];
        assertClose(js[0], e0, 1e-6f);
        assertClose(js[1], m.toFloatArray(), 1e-6f);
    }

    @Test
    void jacobianMatchesFiniteDifferencesColumnByColumn() {
        Tensor x = Tensor.randn(gen, 2, 3);
        Function<Tensor[], Tensor> f = xs -> F.layerNorm(xs[0], new int[] {3}).mul(xs[0].sigmoid());
        Tensor j = AutogradFunctional.jacobian(f, new Tensor[] {x}, false)[0];
        assertShape(j, 2, 3, 2, 3);
        Tensor jm = j.reshape(6, 6);
        for (int c = 0; c < 6; c++) {
            float[] e = new float[6];
            e[c] = 1;
            float[] col = directional(f, new Tensor[] {x}, new Tensor[] {Tensor.of(e, 2, 3)}, 1e-2f);
            assertClose(jm.select(1, c), col, 5e-3f);
        }
    }

    @Test
    void hessianOfClosedForms() {
        Tensor x = Tensor.tensor(0.5f, -1f, 2f);
        assertClose(
                AutogradFunctional.hessian(t -> t.pow(3f).sum(), x), new float[] {3, 0, 0, 0, -6, 0, 0, 0, 12}, 1e-5f);
        // x^T A x has Hessian A + A^T
        Tensor a = Tensor.randn(gen, 3, 3);
        Tensor h = AutogradFunctional.hessian(t -> t.dot(a.mv(t)), x);
        assertClose(h, a.add(a.t()).toFloatArray(), 1e-5f);
        // blocks of f(a, b) = sum(a*b) + sum(a²): [[2I, I], [I, 0]]
        Tensor p = Tensor.randn(gen, 2), q = Tensor.randn(gen, 2);
        Tensor[][] blocks = AutogradFunctional.hessian(
                xs -> xs[0].mul(xs[1]).sum().add(xs[0].pow(2f).sum()), new Tensor[] {p, q}, false);
        assertValues(blocks[0][0], 2, 0, 0, 2);
        assertValues(blocks[0][1], 1, 0, 0, 1);
        assertValues(blocks[1][0], 1, 0, 0, 1);
        assertValues(blocks[1][1], 0, 0, 0, 0);
    }

    @Test
    void hessianOfAnMlpLossMatchesFiniteDifferencesAndHvpVhpAgree() {
        Tensor input = Tensor.randn(gen, 4, 3), target = Tensor.indices(1, 0, 1, 1);
        Tensor w2 = Tensor.randn(gen, 2, 2);
        // the first layer's weight as the variable: a 6×6 Hessian
        Function<Tensor[], Tensor> loss =
                ps -> F.crossEntropy(input.matmul(ps[0].t()).tanh().matmul(w2.t()), target);
        Tensor w = Tensor.randn(gen, 2, 3);
        Tensor h = AutogradFunctional.hessian(loss, new Tensor[] {w}, false)[0][0].reshape(6, 6);
        Function<Tensor[], Tensor> grad = ps -> {
            Tensor p = ps[0].detach().requiresGrad_();
            return Autograd.grad(loss.apply(new Tensor[] {p}), p);
        };
        for (int c = 0; c < 6; c++) {
            float[] e = new float[6];
            e[c] = 1;
            float[] col = directional(grad, new Tensor[] {w}, new Tensor[] {Tensor.of(e, 2, 3)}, 5e-3f);
            float[] an = h.select(1, c).toFloatArray();
            for (int r = 0; r < 6; r++) assertEquals(col[r], an[r], 3e-3, "H[" + r + "][" + c + "]");
        }
        assertClose(h, h.t().toFloatArray(), 1e-5f); // symmetric
        Tensor v = Tensor.randn(gen, 2, 3);
        Tensor hv = h.mv(v.reshape(6));
        assertClose(
                AutogradFunctional.hvp(loss, new Tensor[] {w}, new Tensor[] {v}).product(), hv.toFloatArray(), 1e-4f);
        assertClose(
                AutogradFunctional.vhp(loss, new Tensor[] {w}, new Tensor[] {v}).product(), hv.toFloatArray(), 1e-4f);
    }

    @Test
    void createGraphKeepsResultsDifferentiableInTheOriginalInputs() {
        Tensor x = Tensor.tensor(1f, 2f, 3f).requiresGrad_();
        Tensor j = AutogradFunctional.jacobian(xs -> xs[0].pow(3f), new Tensor[] {x}, true)[0]; // diag(3x²)
        assertTrue(j.requiresGrad());
        j.sum().backward(); // d/dx sum(3x²) = 6x
        assertValues(x.grad(), 6, 12, 18);
        Tensor y = Tensor.tensor(0.5f, -1f).requiresGrad_();
        Tensor jv = AutogradFunctional.jvp(xs -> xs[0].exp(), new Tensor[] {y}, new Tensor[] {Tensor.ones(2)}, true)
                .product();
        Tensor g = Autograd.grad(jv.sum(), y);
        assertClose(g, new float[] {(float) Math.exp(0.5), (float) Math.exp(-1)}, 1e-6f);
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.randn(gen, 3);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> AutogradFunctional.hessian(t -> t.mul(2f), x));
        assertEquals(
                "hessian: the function should return a Tensor with a single element, but it returned shape [3]",
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> AutogradFunctional.vjp(xs -> xs[0].mul(2f), new Tensor[] {x}, Tensor.ones(2)));
        assertEquals(
                "vjp: the vector v has shape [2] but the function's output has shape [3]; they must match",
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> AutogradFunctional.jvp(xs -> xs[0], new Tensor[] {x}, new Tensor[] {Tensor.ones(4)}));
        assertTrue(
                e.getMessage().contains("jvp: the vector v[0] has shape [4] but input 0 has shape [3]"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> AutogradFunctional.vjp(xs -> xs[0], new Tensor[] {x}, null));
        assertTrue(e.getMessage().contains("can only be omitted when the function returns a single element"));
    }
}
