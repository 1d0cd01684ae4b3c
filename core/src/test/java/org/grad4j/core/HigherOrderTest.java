package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.stream.Stream;
import org.grad4j.core.tools.AutogradFunctional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradients of gradients: SPEC example L, the second derivative of every elementwise op against its
 * closed form, mixed partials of the binary ops, and Hessian-vector products of small network losses
 * against finite differences of the gradient.
 */
class HigherOrderTest {

    @Test
    void specExampleL() {
        Tensor x = Tensor.scalar(3).requiresGrad_();
        Tensor y = x.pow(3);
        Tensor g = Autograd.grad(y, x, true);
        assertValues(g, 27);
        assertNotNull(g.gradFn());
        assertEquals("MulBackward0", g.gradFn().name()); // 3x² * 1, recorded
        assertValues(Autograd.grad(g, x), 18);
        // the same through backward(createGraph): x.grad() is itself differentiable
        Tensor x2 = Tensor.scalar(3).requiresGrad_();
        x2.pow(3).backward(null, false, true);
        Tensor gx = x2.grad();
        assertTrue(gx.requiresGrad());
        x2.setGrad(null);
        gx.backward();
        assertValues(x2.grad(), 18);
        // third order: d³/dx³ x³ = 6
        Tensor x3 = Tensor.scalar(3).requiresGrad_();
        Tensor d1 = Autograd.grad(x3.pow(3), x3, true), d2 = Autograd.grad(d1, x3, true);
        assertValues(Autograd.grad(d2, x3), 6);
    }

    // =============================================================================================
    // f''(x) of every elementwise op, from its closed form
    // =============================================================================================

    /** f''(x_i) by two backward passes; a first derivative that does not depend on x gives 0. */
    private static Tensor secondDerivative(Function<Tensor, Tensor> f, Tensor x) {
        Tensor g = Autograd.grad(f.apply(x).sum(), x, true);
        if (!g.requiresGrad()) return Tensor.zeros(x.shape());
        Tensor h = Autograd.grad(new Tensor[] {g.sum()}, new Tensor[] {x}, null, false, false, true)[0];
        return h == null ? Tensor.zeros(x.shape()) : h;
    }

    static Stream<Arguments> unary() {
        float[] any = {-1.7f, -0.6f, 0.3f, 1.1f, 2.2f}, pos = {0.4f, 0.9f, 1.3f, 2.5f, 3.1f};
        return Stream.of(
                arguments("neg", (Function<Tensor, Tensor>) Tensor::neg, (DoubleUnaryOperator) x -> 0, any),
                arguments("exp", (Function<Tensor, Tensor>) Tensor::exp, (DoubleUnaryOperator) Math::exp, any),
                arguments("log", (Function<Tensor, Tensor>) Tensor::log, (DoubleUnaryOperator) x -> -1 / (x * x), pos),
                arguments(
                        "sqrt",
                        (Function<Tensor, Tensor>) Tensor::sqrt,
                        (DoubleUnaryOperator) x -> -0.25 * Math.pow(x, -1.5),
                        pos),
                arguments("abs", (Function<Tensor, Tensor>) Tensor::abs, (DoubleUnaryOperator) x -> 0, any),
                arguments("sign", (Function<Tensor, Tensor>) Tensor::sign, (DoubleUnaryOperator) x -> 0, any),
                arguments(
                        "tanh",
                        (Function<Tensor, Tensor>) Tensor::tanh,
                        (DoubleUnaryOperator) x -> {
                            double t = Math.tanh(x);
                            return -2 * t * (1 - t * t);
                        },
                        any),
                arguments(
                        "sigmoid",
                        (Function<Tensor, Tensor>) Tensor::sigmoid,
                        (DoubleUnaryOperator) x -> {
                            double s = 1 / (1 + Math.exp(-x));
                            return s * (1 - s) * (1 - 2 * s);
                        },
                        any),
                arguments("relu", (Function<Tensor, Tensor>) Tensor::relu, (DoubleUnaryOperator) x -> 0, any),
                arguments(
                        "reciprocal",
                        (Function<Tensor, Tensor>) Tensor::reciprocal,
                        (DoubleUnaryOperator) x -> 2 / (x * x * x),
                        any),
                arguments("pow 3", (Function<Tensor, Tensor>) t -> t.pow(3f), (DoubleUnaryOperator) x -> 6 * x, any),
                arguments(
                        "pow -2",
                        (Function<Tensor, Tensor>) t -> t.pow(-2f),
                        (DoubleUnaryOperator) x -> 6 / (x * x * x * x),
                        any),
                arguments(
                        "pow 2.5",
                        (Function<Tensor, Tensor>) t -> t.pow(2.5f),
                        (DoubleUnaryOperator) x -> 3.75 * Math.sqrt(x),
                        pos),
                arguments(
                        "pow base 1.7",
                        (Function<Tensor, Tensor>) t -> Torch.pow(1.7f, t),
                        (DoubleUnaryOperator) x -> Math.pow(Math.log(1.7), 2) * Math.pow(1.7, x),
                        any),
                arguments("clamp", (Function<Tensor, Tensor>) t -> t.clamp(-1f, 1f), (DoubleUnaryOperator) x -> 0, any),
                arguments("add scalar", (Function<Tensor, Tensor>) t -> t.add(2f), (DoubleUnaryOperator) x -> 0, any),
                arguments("mul scalar", (Function<Tensor, Tensor>) t -> t.mul(3f), (DoubleUnaryOperator) x -> 0, any),
                arguments("div scalar", (Function<Tensor, Tensor>) t -> t.div(3f), (DoubleUnaryOperator) x -> 0, any),
                arguments("rsub", (Function<Tensor, Tensor>) t -> t.rsub(3f), (DoubleUnaryOperator) x -> 0, any),
                arguments("x * x", (Function<Tensor, Tensor>) t -> t.mul(t), (DoubleUnaryOperator) x -> 2, any),
                arguments(
                        "x / (x + 3)",
                        (Function<Tensor, Tensor>) t -> t.div(t.add(3f)),
                        (DoubleUnaryOperator) x -> -6 / Math.pow(x + 3, 3),
                        any),
                arguments(
                        "x ^ x",
                        (Function<Tensor, Tensor>) t -> t.pow(t),
                        (DoubleUnaryOperator) x -> Math.pow(x, x) * (Math.pow(Math.log(x) + 1, 2) + 1 / x),
                        pos),
                arguments(
                        "maximum(x, 0.5)",
                        (Function<Tensor, Tensor>) t -> t.maximum(Tensor.scalar(0.5f)),
                        (DoubleUnaryOperator) x -> 0,
                        any),
                arguments(
                        "softmax (1-element rows): constant 1",
                        (Function<Tensor, Tensor>) t -> t.unsqueeze(1).softmax(1),
                        (DoubleUnaryOperator) x -> 0,
                        any),
                arguments(
                        "where(x > 0, x², x³)",
                        (Function<Tensor, Tensor>) t -> Torch.where(t.gt(0f), t.pow(2f), t.pow(3f)),
                        (DoubleUnaryOperator) x -> x > 0 ? 2 : 6 * x,
                        any));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unary")
    void secondDerivativeOfElementwiseOp(String name, Function<Tensor, Tensor> f, DoubleUnaryOperator f2, float[] at) {
        Tensor x = Tensor.tensor(at).requiresGrad_();
        float[] expected = new float[at.length];
        for (int i = 0; i < at.length; i++) expected[i] = (float) f2.applyAsDouble(at[i]);
        assertClose(secondDerivative(f, x), expected, 1e-4f);
    }

    @Test
    void mixedPartialsOfBinaryOps() {
        float av = 1.3f, bv = 0.7f;
        // {f, d²f/da², d²f/db², d²f/da db}
        record Row(String name, java.util.function.BinaryOperator<Tensor> f, double aa, double bb, double ab) {}
        double lnA = Math.log(av);
        Row[] rows = {
            new Row("add", Tensor::add, 0, 0, 0),
            new Row("sub", Tensor::sub, 0, 0, 0),
            new Row("mul", Tensor::mul, 0, 0, 1),
            new Row("div", Tensor::div, 0, 2 * av / Math.pow(bv, 3), -1 / (bv * bv)),
            new Row(
                    "pow",
                    Tensor::pow,
                    bv * (bv - 1) * Math.pow(av, bv - 2),
                    Math.pow(av, bv) * lnA * lnA,
                    Math.pow(av, bv - 1) * (1 + bv * lnA)),
            new Row("maximum", Tensor::maximum, 0, 0, 0),
            new Row("minimum", Tensor::minimum, 0, 0, 0),
            new Row("a*b + a/b", (p, q) -> p.mul(q).add(p.div(q)), 0, 2 * av / Math.pow(bv, 3), 1 - 1 / (bv * bv))
        };
        for (Row r : rows) {
            Tensor a = Tensor.scalar(av).requiresGrad_(), b = Tensor.scalar(bv).requiresGrad_();
            Tensor[] g = Autograd.grad(new Tensor[] {r.f().apply(a, b)}, new Tensor[] {a, b}, null, true, true, false);
            double[] got = new double[3];
            Tensor[][] pairs = {{g[0], a}, {g[1], b}, {g[0], b}};
            for (int k = 0; k < 3; k++) {
                Tensor gi = pairs[k][0];
                Tensor h = gi.requiresGrad()
                        ? Autograd.grad(new Tensor[] {gi}, new Tensor[] {pairs[k][1]}, null, true, false, true)[0]
                        : null;
                got[k] = h == null ? 0 : h.item();
            }
            assertEquals(r.aa(), got[0], 1e-4 * Math.max(1, Math.abs(r.aa())), r.name() + " d²/da²");
            assertEquals(r.bb(), got[1], 1e-4 * Math.max(1, Math.abs(r.bb())), r.name() + " d²/db²");
            assertEquals(r.ab(), got[2], 1e-4 * Math.max(1, Math.abs(r.ab())), r.name() + " d²/da db");
        }
    }

    // =============================================================================================
    // Hessian-vector products of network losses against finite differences of the gradient
    // =============================================================================================

    private static final Generator GEN = new Generator(77);

    /** Linear(3,4) → tanh → Linear(4,3) → cross entropy over 5 samples; params w1, b1, w2, b2. */
    private static Tensor mlpLoss(Tensor[] p, Tensor x, Tensor target) {
        Tensor h = Torch.addmm(p[1], x, p[0].t()).tanh();
        return F.crossEntropy(Torch.addmm(p[3], h, p[2].t()), target);
    }

    private static Tensor[] gradient(Function<Tensor[], Tensor> loss, Tensor[] params, boolean createGraph) {
        return Autograd.grad(new Tensor[] {loss.apply(params)}, params, null, createGraph, createGraph, false);
    }

    static Stream<Arguments> losses() {
        Tensor x = Tensor.randn(GEN, 5, 3), target = Tensor.indices(0, 2, 1, 1, 0), y = Tensor.randn(GEN, 5, 3);
        Tensor img = Tensor.randn(GEN, 2, 1, 5, 5), imgTarget = Tensor.indices(1, 0);
        return Stream.of(
                arguments(
                        "MLP tanh + cross entropy",
                        (Function<Tensor[], Tensor>) p -> mlpLoss(p, x, target),
                        new int[][] {{4, 3}, {4}, {3, 4}, {3}}),
                arguments(
                        "MLP sigmoid + layer norm + mse",
                        (Function<Tensor[], Tensor>) p -> F.mseLoss(
                                F.layerNorm(Torch.addmm(p[1], x, p[0].t()).sigmoid(), new int[] {4})
                                        .matmul(p[2].t())
                                        .add(p[3]),
                                y),
                        new int[][] {{4, 3}, {4}, {3, 4}, {3}}),
                arguments(
                        "conv + tanh + avg pool + linear + cross entropy",
                        (Function<Tensor[], Tensor>) p -> {
                            Tensor h = F.avgPool2d(
                                            F.conv2d(img, p[0], p[1], 1, 1).tanh(), 2)
                                    .flatten(1, -1);
                            return F.crossEntropy(h.matmul(p[2].t()), imgTarget);
                        },
                        new int[][] {{2, 1, 3, 3}, {2}, {2, 8}}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void hessianVectorProductEqualsFiniteDifferencesOfTheGradient(
            String name, Function<Tensor[], Tensor> loss, int[][] shapes) {
        Tensor[] params = new Tensor[shapes.length], v = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            params[i] = Tensor.randn(GEN, shapes[i]).mul(0.7f).detach().requiresGrad_();
            v[i] = Tensor.randn(GEN, shapes[i]);
        }
        // H v = d/dθ (g(θ) · v), with g recorded (createGraph)
        Tensor[] g = gradient(loss, params, true);
        Tensor dot = null;
        for (int i = 0; i < g.length; i++) {
            Tensor t = g[i].mul(v[i]).sum();
            dot = dot == null ? t : dot.add(t);
        }
        Tensor[] hv = Autograd.grad(new Tensor[] {dot}, params, null, false, false, false);

        // (g(θ + εv) - g(θ - εv)) / 2ε
        float eps = 5e-3f;
        Tensor[] plus = new Tensor[params.length], minus = new Tensor[params.length];
        for (int i = 0; i < params.length; i++) {
            plus[i] = params[i].detach().add(v[i].mul(eps)).requiresGrad_();
            minus[i] = params[i].detach().sub(v[i].mul(eps)).requiresGrad_();
        }
        Tensor[] gp = gradient(loss, plus, false), gm = gradient(loss, minus, false);
        for (int i = 0; i < params.length; i++) {
            float[] fd = gp[i].sub(gm[i]).div(2 * eps).toFloatArray(), an = hv[i].toFloatArray();
            double scale = 0;
            for (float f : fd) scale = Math.max(scale, Math.abs(f));
            for (int j = 0; j < fd.length; j++) {
                assertEquals(fd[j], an[j], 2e-3 + 2e-2 * scale, name + ": H v of param " + i + " element " + j);
            }
        }
        // the same product from the functional API
        Tensor[] hvp = AutogradFunctional.hvp(loss, params, v).products();
        for (int i = 0; i < params.length; i++) assertClose(hvp[i], hv[i].toFloatArray(), 1e-5f);
    }

    @Test
    void gradWithoutCreateGraphIsNotDifferentiableAndUnusedInputsAreReported() {
        Tensor x = Tensor.scalar(2).requiresGrad_(), unused = Tensor.scalar(1).requiresGrad_();
        Tensor g = Autograd.grad(x.pow(3), x);
        assertNull(g.gradFn());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Autograd.grad(x.pow(2), x, unused));
        assertTrue(e.getMessage().contains("Set allowUnused=true"), e.getMessage());
        Tensor[] r = Autograd.grad(new Tensor[] {x.pow(2)}, new Tensor[] {x, unused}, null, false, false, true);
        assertValues(r[0], 4);
        assertNull(r[1]);
    }
}
