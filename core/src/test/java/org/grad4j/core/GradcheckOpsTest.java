package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks ({@link GradCheck}) of the backward rule of every op of the catalogue,
 * one row per op and case: broadcast, non-contiguous (the view is made inside the checked function),
 * odd sizes and 0-d inputs, leaves that are themselves strided. Every row is also checked to second
 * order ({@link GradCheck#gradgradcheck}): directly where the first derivative depends on the inputs
 * (elementwise ops, products, softmax, in-place chains), through the square of the output where the op
 * is linear (views, reductions), so that the backward rules are shown to be differentiable themselves.
 *
 * <p>Inputs are drawn from fixed seeds and kept away from the points where an op is not
 * differentiable (relu and abs at 0, clamp bounds, ties of max/min), farther than the
 * finite-difference step.
 */
class GradcheckOpsTest {

    /** One row of a table: a function of leaf tensors and the leaves it is checked at. */
    record Case(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case op(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return new Case(name, fn, inputs);
    }

    /** Seeded leaves (requiresGrad) of the kinds the rows need. */
    private static final class In {
        private final Generator gen;

        In(long seed) {
            gen = new Generator(seed);
        }

        private static Tensor leaf(float[] v, int... shape) {
            return Tensor.of(v, shape).requiresGrad_();
        }

        private float[] normal(int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = gen.nextNormal();
            return v;
        }

        private static int numel(int... shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** Standard normal. */
        Tensor randn(int... shape) {
            return leaf(normal(numel(shape)), shape);
        }

        /** A 0-d standard normal. */
        Tensor scalar() {
            return randn();
        }

        /** Uniform in [0.5, 2): for log, sqrt, fractional powers and the base of pow. */
        Tensor pos(int... shape) {
            float[] v = new float[numel(shape)];
            for (int i = 0; i < v.length; i++) v[i] = 0.5f + 1.5f * gen.nextUniform();
            return leaf(v, shape);
        }

        /** Normal values pushed away from 0: |x| >= min (for abs, relu, reciprocal, divisors). */
        Tensor away(float min, int... shape) {
            return avoiding(new float[] {0f}, min, shape);
        }

        /** Normal values at least {@code gap} away from each of {@code kinks}. */
        Tensor avoiding(float[] kinks, float gap, int... shape) {
            float[] v = normal(numel(shape));
            for (int i = 0; i < v.length; i++) {
                for (int pass = 0; pass < kinks.length + 1; pass++) {
                    for (float k : kinks) {
                        if (Math.abs(v[i] - k) < gap) v[i] = v[i] >= k ? k + gap : k - gap;
                    }
                }
            }
            return leaf(v, shape);
        }

        /**
         * Tensors whose elements, all together, are distinct multiples of 0.25 (shuffled): no ties
         * for max/min/maximum/minimum, even after a finite-difference step.
         */
        Tensor[] distinct(int[]... shapes) {
            int total = 0;
            for (int[] s : shapes) total += numel(s);
            int[] perm = new int[total];
            for (int i = 0; i < total; i++) perm[i] = i;
            for (int i = total - 1; i > 0; i--) {
                int j = gen.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            Tensor[] out = new Tensor[shapes.length];
            int at = 0;
            for (int k = 0; k < shapes.length; k++) {
                float[] v = new float[numel(shapes[k])];
                for (int i = 0; i < v.length; i++) v[i] = (perm[at++] - total / 2) * 0.25f;
                out[k] = leaf(v, shapes[k]);
            }
            return out;
        }

        /**
         * A leaf that is itself not contiguous and starts at a storage offset: the transpose of
         * rows 1.. of a larger tensor (the leaf has shape {@code [cols, rows]}).
         */
        Tensor strided(int rows, int cols) {
            Tensor t = Tensor.of(normal((rows + 1) * cols), rows + 1, cols)
                    .slice(0, 1, rows + 1)
                    .t()
                    .detach();
            return t.requiresGrad_();
        }

        Tensor distinct1(int... shape) {
            return distinct(shape)[0];
        }

        /** A constant boolean mask (requires no grad). */
        Tensor mask(int... shape) {
            return Tensor.of(normal(numel(shape)), shape).gt(0f);
        }
    }

    private static int[] s(int... shape) {
        return shape;
    }

    private static int[] dims(int... d) {
        return d;
    }

    // =============================================================================================
    // Elementwise ops: first and second derivatives
    // =============================================================================================

    static Stream<Case> elementwise() {
        In r = new In(11);
        Tensor[] mx = r.distinct(s(3, 4), s(3, 4));
        Tensor[] mb = r.distinct(s(3, 1), s(4));
        Tensor[] mn = r.distinct(s(4, 3), s(3, 4));
        Tensor[] m0 = r.distinct(s(), s(2, 3));
        Tensor c34 = r.mask(3, 4), c31 = r.mask(3, 1), c23 = r.mask(2, 3);
        Tensor k34 = Tensor.randn(new Generator(12), 3, 4); // a constant (requires no grad)
        return Stream.of(
                // add / sub / rsub
                op("add", xs -> xs[0].add(xs[1]), r.randn(3, 4), r.randn(3, 4)),
                op("add broadcast [3,1]+[4]", xs -> xs[0].add(xs[1]), r.randn(3, 1), r.randn(4)),
                op("add broadcast [2,1,5]+[3,1]", xs -> xs[0].add(xs[1]), r.randn(2, 1, 5), r.randn(3, 1)),
                op("add 0-d + [7]", xs -> xs[0].add(xs[1]), r.scalar(), r.randn(7)),
                op("add 0-d + 0-d", xs -> Torch.add(xs[0], xs[1]), r.scalar(), r.scalar()),
                op("add scalar", xs -> xs[0].add(1.5f), r.randn(17)),
                op("add alpha, broadcast [3,4]+0.5*[1,4]", xs -> xs[0].add(xs[1], 0.5f), r.randn(3, 4), r.randn(1, 4)),
                op("add non-contiguous t()", xs -> xs[0].t().add(xs[1]), r.randn(4, 3), r.randn(3, 4)),
                op("sub broadcast [3,4]-[4]", xs -> xs[0].sub(xs[1]), r.randn(3, 4), r.randn(4)),
                op(
                        "sub alpha -2.5, broadcast [3,1]-[1,4]",
                        xs -> xs[0].sub(xs[1], -2.5f),
                        r.randn(3, 1),
                        r.randn(1, 4)),
                op("sub scalar", xs -> xs[0].sub(0.75f), r.randn(2, 3)),
                op("sub 0-d - [1,7]", xs -> Torch.sub(xs[0], xs[1]), r.scalar(), r.randn(1, 7)),
                op("rsub", xs -> xs[0].rsub(2f), r.randn(2, 3)),
                // mul / div / neg
                op("mul", xs -> xs[0].mul(xs[1]), r.randn(3, 4), r.randn(3, 4)),
                op("mul broadcast [3,1]*[4]", xs -> xs[0].mul(xs[1]), r.randn(3, 1), r.randn(4)),
                op("mul 0-d * [2,3]", xs -> xs[0].mul(xs[1]), r.scalar(), r.randn(2, 3)),
                op("mul same input twice", xs -> xs[0].mul(xs[0]), r.randn(7)),
                op("mul scalar", xs -> xs[0].mul(-3f), r.randn(1, 7)),
                op(
                        "mul non-contiguous slice with step",
                        xs -> xs[0].slice(1, 0, 4, 2).mul(xs[1]),
                        r.randn(3, 4),
                        r.randn(3, 2)),
                op("mul expanded [3,1]->[3,4]", xs -> xs[0].expand(3, 4).mul(xs[1]), r.randn(3, 1), r.randn(3, 4)),
                op("div", xs -> xs[0].div(xs[1]), r.randn(3, 4), r.away(0.5f, 3, 4)),
                op("div broadcast [3,1]/[4]", xs -> xs[0].div(xs[1]), r.randn(3, 1), r.away(0.5f, 4)),
                op("div 0-d / [5]", xs -> Torch.div(xs[0], xs[1]), r.scalar(), r.away(0.5f, 5)),
                op("div [5] / 0-d", xs -> xs[0].div(xs[1]), r.randn(5), r.away(0.5f)),
                op("div same input twice", xs -> xs[0].div(xs[0].add(3f)), r.randn(7)),
                op("div scalar", xs -> xs[0].div(4f), r.randn(2, 3)),
                op("div non-contiguous t()", xs -> xs[0].t().div(xs[1].t()), r.randn(4, 3), r.away(0.5f, 4, 3)),
                op("neg", xs -> xs[0].neg(), r.randn(2, 3)),
                // pow
                op("pow 0", xs -> xs[0].pow(0f), r.randn(3, 4)),
                op("pow 1", xs -> xs[0].pow(1f), r.randn(3, 4)),
                op("pow 2", xs -> xs[0].pow(2f), r.randn(3, 4)),
                op("pow 0.5", xs -> xs[0].pow(0.5f), r.pos(3, 4)),
                op("pow -1", xs -> xs[0].pow(-1f), r.away(0.5f, 3, 4)),
                op("pow 3", xs -> xs[0].pow(3f), r.randn(3, 4)),
                op("pow 2.5 of 0-d", xs -> Torch.pow(xs[0], 2.5f), r.pos()),
                op("pow -1.5 non-contiguous t()", xs -> xs[0].t().pow(-1.5f), r.pos(4, 3)),
                op("pow tensor exponent", xs -> xs[0].pow(xs[1]), r.pos(3, 4), r.randn(3, 4)),
                op("pow tensor exponent broadcast [3,1]^[4]", xs -> Torch.pow(xs[0], xs[1]), r.pos(3, 1), r.randn(4)),
                op("pow tensor exponent 0-d", xs -> xs[0].pow(xs[1]), r.pos(7), r.scalar()),
                op("pow scalar base 2.5", xs -> Torch.pow(2.5f, xs[0]), r.randn(3, 4)),
                op("pow scalar base 0.5, 0-d", xs -> Torch.pow(0.5f, xs[0]), r.scalar()),
                // functions
                op("exp", xs -> xs[0].exp(), r.randn(3, 4)),
                op("exp 0-d", xs -> Torch.exp(xs[0]), r.scalar()),
                op("exp non-contiguous t()", xs -> xs[0].t().exp(), r.randn(4, 3)),
                op("log", xs -> xs[0].log(), r.pos(3, 4)),
                op("log non-contiguous slice", xs -> xs[0].slice(0, 1, 7, 2).log(), r.pos(7, 2)),
                op("sqrt", xs -> xs[0].sqrt(), r.pos(17)),
                op("abs", xs -> xs[0].abs(), r.away(0.1f, 3, 4)),
                op("tanh", xs -> xs[0].tanh(), r.randn(17)),
                op("tanh non-contiguous permute", xs -> Torch.tanh(xs[0].permute(2, 0, 1)), r.randn(2, 3, 4)),
                op("sigmoid", xs -> xs[0].sigmoid(), r.randn(3, 4)),
                op("sigmoid 0-d", xs -> Torch.sigmoid(xs[0]), r.scalar()),
                op("relu", xs -> xs[0].relu(), r.away(0.1f, 3, 4)),
                op("relu non-contiguous t()", xs -> Torch.relu(xs[0].t()), r.away(0.1f, 1, 7)),
                op("reciprocal", xs -> xs[0].reciprocal(), r.away(0.5f, 3, 4)),
                op(
                        "clamp [-0.5, 0.5]",
                        xs -> xs[0].clamp(-0.5f, 0.5f),
                        r.avoiding(new float[] {-0.5f, 0.5f}, 0.1f, 3, 4)),
                op(
                        "clamp [-0.5, 0.5] 0-d",
                        xs -> Torch.clamp(xs[0], -0.5f, 0.5f),
                        r.avoiding(new float[] {-0.5f, 0.5f}, 0.1f)),
                op("clampMin 0.2", xs -> xs[0].clampMin(0.2f), r.avoiding(new float[] {0.2f}, 0.1f, 17)),
                op("clampMax -0.3", xs -> xs[0].clampMax(-0.3f), r.avoiding(new float[] {-0.3f}, 0.1f, 2, 7)),
                op("maximum", xs -> xs[0].maximum(xs[1]), mx[0], mx[1]),
                op("minimum broadcast [3,1] vs [4]", xs -> xs[0].minimum(xs[1]), mb[0], mb[1]),
                op("maximum non-contiguous t()", xs -> xs[0].t().maximum(xs[1]), mn[0], mn[1]),
                op("maximum(x, x): a tie splits the gradient", xs -> xs[0].maximum(xs[0]), r.randn(7)),
                op("minimum 0-d vs [2,3]", xs -> xs[0].minimum(xs[1]), m0[0], m0[1]),
                // where
                op("where", xs -> Torch.where(c34, xs[0], xs[1]), r.randn(3, 4), r.randn(3, 4)),
                op(
                        "where broadcast cond [3,1], [3,4], [4]",
                        xs -> Torch.where(c31, xs[0], xs[1]),
                        r.randn(3, 4),
                        r.randn(4)),
                op("where with scalar other", xs -> Torch.where(c23, xs[0], 0.5f), r.randn(2, 3)),
                op("where with scalar self", xs -> Torch.where(c23.logicalAnd(c23), 2f, xs[0]), r.randn(2, 3)),
                op("where as leaky relu", xs -> Torch.where(xs[0].gt(0f), xs[0], xs[0].mul(0.1f)), r.away(0.1f, 7)),
                // one operand a constant: only the other's gradient is asked for
                op("mul by a constant tensor", xs -> xs[0].mul(k34), r.randn(3, 4)),
                op("div by a constant tensor", xs -> xs[0].div(k34.abs().add(0.5f)), r.randn(3, 4)),
                op("constant tensor / x", xs -> k34.div(xs[0]), r.away(0.5f, 3, 4)),
                op("pow with a constant exponent tensor", xs -> xs[0].pow(k34), r.pos(3, 4)),
                op("pow of a constant base tensor", xs -> k34.abs().add(0.5f).pow(xs[0]), r.randn(3, 4)),
                op("sub from a constant tensor", xs -> k34.sub(xs[0], 2f), r.randn(4)),
                op("maximum with a constant", xs -> xs[0].maximum(Tensor.zeros(4)), r.away(0.1f, 3, 4)),
                op("where with a constant other", xs -> Torch.where(c34, k34, xs[0]), r.randn(3, 4)),
                op("sign (zero gradient)", xs -> xs[0].sign().mul(xs[0]), r.away(0.1f, 7)),
                // compositions
                op(
                        "x*sigmoid(x)+tanh(x)/exp(x)",
                        xs -> xs[0].mul(xs[0].sigmoid()).add(xs[0].tanh().div(xs[0].exp())),
                        r.randn(7)),
                op("(a-b)^2 broadcast", xs -> xs[0].sub(xs[1]).pow(2f), r.randn(2, 1, 3), r.randn(4, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwise")
    void elementwise(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    /**
     * pow where the base is 0: the gradients are PyTorch's (0 where the exponent is 0, resp. where
     * the exponent of a 0 base is >= 0), not NaN. First order only: there PyTorch's second
     * derivatives are NaN too (0 times the infinite derivative of the masked-out branch).
     */
    static Stream<Case> powAtZeroBase() {
        In r = new In(13);
        return Stream.of(
                op(
                        "pow tensor exponent 0 at base 0",
                        xs -> xs[0].pow(Tensor.tensor(0f, 1f, 2f, 0f, 3f)),
                        In.leaf(new float[] {0f, 0f, 0f, 0.7f, 0f}, 5)),
                op("pow scalar base 0", xs -> Torch.pow(0f, xs[0]), r.pos(7)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("powAtZeroBase")
    void powAtZeroBase(Case c) {
        GradCheck.check(c.fn(), c.inputs());
    }

    // =============================================================================================
    // Reductions
    // =============================================================================================

    static Stream<Case> reductions() {
        In r = new In(22);
        return Stream.of(
                op("sum", xs -> xs[0].sum(), r.randn(3, 4)),
                op("sum 0-d", xs -> xs[0].sum(), r.scalar()),
                op("sum non-contiguous t()", xs -> xs[0].t().sum(), r.randn(4, 3)),
                op("sum dim 1", xs -> xs[0].sum(1), r.randn(3, 4)),
                op("sum dim 0 keepdim", xs -> xs[0].sum(0, true), r.randn(3, 4)),
                op("sum dim -1", xs -> xs[0].sum(-1), r.randn(2, 3, 4)),
                op("sum dims {0,2}", xs -> xs[0].sum(dims(0, 2), false), r.randn(2, 3, 4)),
                op("sum dims {-1,0} keepdim", xs -> xs[0].sum(dims(-1, 0), true), r.randn(2, 3, 4)),
                op("sum dim 0 of 0-d", xs -> xs[0].sum(0), r.scalar()),
                op("sum dims {0,2} of [1,7,1]", xs -> xs[0].sum(dims(0, 2), false), r.randn(1, 7, 1)),
                op(
                        "sum dim 1 non-contiguous permute",
                        xs -> xs[0].permute(2, 0, 1).sum(1),
                        r.randn(2, 3, 4)),
                op("mean", xs -> xs[0].mean(), r.randn(3, 4)),
                op("mean 0-d", xs -> xs[0].mean(), r.scalar()),
                op("mean of 17", xs -> xs[0].mean(), r.randn(17)),
                op("mean dim 1", xs -> xs[0].mean(1), r.randn(3, 4)),
                op("mean dim -2 keepdim", xs -> xs[0].mean(-2, true), r.randn(2, 3, 4)),
                op("mean dims {0,2}", xs -> xs[0].mean(dims(0, 2), false), r.randn(2, 3, 4)),
                op(
                        "mean dims {1,-1} keepdim non-contiguous",
                        xs -> xs[0].transpose(0, 2).mean(dims(1, -1), true),
                        r.randn(2, 3, 4)),
                op("max", xs -> xs[0].max(), r.distinct1(3, 4)),
                op("min", xs -> xs[0].min(), r.distinct1(3, 4)),
                op("max 0-d", xs -> xs[0].max(), r.scalar()),
                op("max non-contiguous t()", xs -> xs[0].t().max(), r.distinct1(4, 7)),
                op("max dim 1", xs -> xs[0].max(1).values(), r.distinct1(3, 4)),
                op("max dim -1 keepdim", xs -> xs[0].max(-1, true).values(), r.distinct1(2, 3, 4)),
                op("max dim 1 of [2,3,4]", xs -> xs[0].max(1).values(), r.distinct1(2, 3, 4)),
                op("min dim 0", xs -> xs[0].min(0).values(), r.distinct1(3, 4)),
                op("min dim 1 keepdim", xs -> xs[0].min(1, true).values(), r.distinct1(3, 4)),
                op("max dim 0 of 0-d", xs -> xs[0].max(0).values(), r.scalar()),
                op("max over a size-1 dim", xs -> xs[0].max(1).values(), r.randn(7, 1)),
                op("max dim 0 non-contiguous t()", xs -> xs[0].t().max(0).values(), r.distinct1(3, 5)),
                op(
                        "min dim -1 non-contiguous slice",
                        xs -> xs[0].slice(1, 0, 6, 2).min(-1).values(),
                        r.distinct1(3, 6)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reductions")
    void reduction(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(
                c.fn().andThen(y -> y.mul(y)), c.inputs()); // squared: the backward's input depends on x
    }

    /**
     * Second order: a reduction's backward (an expand of the incoming gradient) is differentiable
     * only where that gradient depends on the inputs, so each reduction is followed by a nonlinear op.
     */
    static Stream<Case> reductionsSecondOrder() {
        In r = new In(33);
        return Stream.of(
                op("sum, squared", xs -> xs[0].sum().pow(2f), r.randn(3, 4)),
                op("sum dim 1, tanh", xs -> xs[0].sum(1).tanh(), r.randn(3, 4)),
                op(
                        "sum dims {0,2} keepdim, times x",
                        xs -> xs[0].sum(dims(0, 2), true).mul(xs[0]),
                        r.randn(2, 3, 4)),
                op("sum dim -1 of x*y", xs -> xs[0].mul(xs[1]).sum(-1), r.randn(3, 4), r.randn(4)),
                op("mean, squared", xs -> xs[0].mean().pow(2f), r.randn(3, 4)),
                op("mean dim 0, exp", xs -> xs[0].mean(0).exp(), r.randn(3, 4)),
                op(
                        "mean dims {-1,1}, cubed",
                        xs -> xs[0].mean(dims(-1, 1), false).pow(3f),
                        r.randn(2, 3, 4)),
                op("max dim 1, squared", xs -> xs[0].max(1).values().pow(2f), r.distinct1(3, 4)),
                op("max, times x", xs -> xs[0].max().mul(xs[0]), r.distinct1(2, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reductionsSecondOrder")
    void reductionSecondOrder(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    // =============================================================================================
    // Products: first and second derivatives
    // =============================================================================================

    static Stream<Case> products() {
        In r = new In(44);
        Tensor constant = Tensor.randn(new Generator(5), 4, 2);
        return Stream.of(
                op("mm", xs -> xs[0].mm(xs[1]), r.randn(3, 4), r.randn(4, 2)),
                op("mm [1,7]x[7,1]", xs -> Torch.mm(xs[0], xs[1]), r.randn(1, 7), r.randn(7, 1)),
                op("mm non-contiguous t() x t()", xs -> xs[0].t().mm(xs[1].t()), r.randn(4, 3), r.randn(2, 4)),
                op("mm non-contiguous slice", xs -> xs[0].mm(xs[1].slice(1, 0, 5, 2)), r.randn(2, 3), r.randn(3, 5)),
                op("mm with a constant", xs -> xs[0].mm(constant), r.randn(3, 4)),
                op("mm constant @ x", xs -> constant.t().mm(xs[0]), r.randn(4, 3)),
                op("bmm", xs -> xs[0].bmm(xs[1]), r.randn(2, 3, 4), r.randn(2, 4, 5)),
                op(
                        "bmm non-contiguous transpose",
                        xs -> Torch.bmm(xs[0].transpose(1, 2), xs[1]),
                        r.randn(2, 4, 3),
                        r.randn(2, 4, 2)),
                op("mv", xs -> xs[0].mv(xs[1]), r.randn(3, 4), r.randn(4)),
                op("mv non-contiguous", xs -> Torch.mv(xs[0].t(), xs[1].slice(0, 0, 6, 2)), r.randn(3, 2), r.randn(6)),
                op("dot", xs -> xs[0].dot(xs[1]), r.randn(7), r.randn(7)),
                op("dot of [1]", xs -> Torch.dot(xs[0], xs[1]), r.randn(1), r.randn(1)),
                op(
                        "dot non-contiguous",
                        xs -> xs[0].slice(0, 1, 14, 2).dot(xs[1].select(1, 1)),
                        r.randn(14),
                        r.randn(7, 3)),
                op("matmul 1-d . 1-d", xs -> xs[0].matmul(xs[1]), r.randn(5), r.randn(5)),
                op("matmul 2-d . 1-d", xs -> xs[0].matmul(xs[1]), r.randn(3, 5), r.randn(5)),
                op("matmul 1-d . 2-d", xs -> xs[0].matmul(xs[1]), r.randn(3), r.randn(3, 5)),
                op("matmul 2-d . 2-d", xs -> xs[0].matmul(xs[1]), r.randn(3, 4), r.randn(4, 2)),
                op("matmul 3-d . 2-d", xs -> xs[0].matmul(xs[1]), r.randn(2, 3, 4), r.randn(4, 2)),
                op("matmul 3-d . 1-d", xs -> xs[0].matmul(xs[1]), r.randn(2, 3, 4), r.randn(4)),
                op("matmul 1-d . 3-d", xs -> xs[0].matmul(xs[1]), r.randn(3), r.randn(2, 3, 4)),
                op("matmul 2-d . 3-d", xs -> xs[0].matmul(xs[1]), r.randn(2, 3), r.randn(4, 3, 2)),
                op("matmul batched 3-d . 3-d", xs -> Torch.matmul(xs[0], xs[1]), r.randn(2, 3, 4), r.randn(2, 4, 2)),
                op(
                        "matmul broadcast batch [2,1,3,4].[5,4,2]",
                        xs -> xs[0].matmul(xs[1]),
                        r.randn(2, 1, 3, 4),
                        r.randn(5, 4, 2)),
                op(
                        "matmul broadcast batch [1,3,4].[2,4,2]",
                        xs -> xs[0].matmul(xs[1]),
                        r.randn(1, 3, 4),
                        r.randn(2, 4, 2)),
                op(
                        "matmul non-contiguous 3-d . 3-d",
                        xs -> xs[0].transpose(1, 2).matmul(xs[1].permute(2, 0, 1)),
                        r.randn(2, 4, 3),
                        r.randn(4, 2, 2)),
                op("addmm bias [2]", xs -> Torch.addmm(xs[0], xs[1], xs[2]), r.randn(2), r.randn(3, 4), r.randn(4, 2)),
                op(
                        "addmm bias [3,2], beta 0.5, alpha 2",
                        xs -> Torch.addmm(xs[0], xs[1], xs[2], 0.5f, 2f),
                        r.randn(3, 2),
                        r.randn(3, 4),
                        r.randn(4, 2)),
                op(
                        "addmm bias [3,1], beta -1, alpha 0.25",
                        xs -> Torch.addmm(xs[0], xs[1], xs[2], -1f, 0.25f),
                        r.randn(3, 1),
                        r.randn(3, 4),
                        r.randn(4, 2)),
                op("addmm 0-d bias", xs -> Torch.addmm(xs[0], xs[1], xs[2]), r.scalar(), r.randn(3, 4), r.randn(4, 2)),
                op(
                        "addmm with a constant bias and mat1",
                        xs -> Torch.addmm(constant.select(1, 0), constant, xs[0]),
                        r.randn(2, 4)),
                op(
                        "addmm non-contiguous (Linear layer)",
                        xs -> Torch.addmm(xs[0], xs[1], xs[2].t()),
                        r.randn(5),
                        r.randn(3, 7),
                        r.randn(5, 7)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("products")
    void product(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    // =============================================================================================
    // Views, indexing, cat and stack, copies
    // =============================================================================================

    static Stream<Case> views() {
        In r = new In(55);
        return Stream.of(
                // dimension order
                op("t", xs -> xs[0].t(), r.randn(3, 4)),
                op("t of 1-d", xs -> xs[0].t(), r.randn(7)),
                op("transpose(0, 2)", xs -> xs[0].transpose(0, 2), r.randn(2, 3, 4)),
                op("transpose(-1, -2)", xs -> xs[0].transpose(-1, -2), r.randn(2, 3, 4)),
                op("permute(2, 0, 1)", xs -> xs[0].permute(2, 0, 1), r.randn(2, 3, 4)),
                op(
                        "permute(-1, 0, 1) of a transpose",
                        xs -> xs[0].transpose(0, 1).permute(-1, 0, 1),
                        r.randn(2, 3, 4)),
                // reshaping
                op("view(6, 2)", xs -> xs[0].view(6, 2), r.randn(3, 4)),
                op("view(-1)", xs -> xs[0].view(-1), r.randn(2, 3, 4)),
                op("view 0-d as [1]", xs -> xs[0].view(1), r.scalar()),
                op("view [1] as 0-d", xs -> xs[0].view(), r.randn(1)),
                op("view of a slice", xs -> xs[0].slice(0, 1, 3).view(8), r.randn(3, 4)),
                op("view splitting a strided dim", xs -> xs[0].slice(1, 0, 6, 2).view(2, 2, 3), r.randn(4, 6)),
                op(
                        "view(-1) of a non-contiguous tensor with unit dims",
                        xs -> xs[0].t().unsqueeze(0).view(-1),
                        r.randn(1, 5)),
                op("reshape", xs -> xs[0].reshape(4, -1), r.randn(2, 3, 2)),
                op("reshape non-contiguous", xs -> xs[0].t().reshape(-1), r.randn(3, 4)),
                op("flatten", xs -> xs[0].flatten(), r.randn(2, 3, 4)),
                op("flatten(1, 2) non-contiguous", xs -> xs[0].permute(1, 0, 2).flatten(1, 2), r.randn(2, 3, 4)),
                op("flatten 0-d", xs -> xs[0].flatten(), r.scalar()),
                // broadcasting and unit dims
                op("expand [3,1] -> [2,3,4]", xs -> xs[0].expand(2, 3, 4), r.randn(3, 1)),
                op("expand(-1, 5)", xs -> xs[0].expand(-1, 5), r.randn(7, 1)),
                op("expand 0-d -> [2,3]", xs -> xs[0].expand(2, 3), r.scalar()),
                op("expand same shape", xs -> xs[0].expand(3, 4), r.randn(3, 4)),
                op("expandAs", xs -> xs[0].expandAs(xs[1]).mul(xs[1]), r.randn(1, 4), r.randn(3, 4)),
                op("expand non-contiguous", xs -> xs[0].t().expand(2, 4, 3), r.randn(3, 4)),
                op("squeeze()", xs -> xs[0].squeeze(), r.randn(1, 3, 1, 4)),
                op("squeeze(1)", xs -> xs[0].squeeze(1), r.randn(3, 1, 4)),
                op("squeeze(-1) of a non-unit dim", xs -> xs[0].squeeze(-1), r.randn(3, 4)),
                op("squeeze() to 0-d", xs -> xs[0].squeeze(), r.randn(1, 1)),
                op("unsqueeze(0)", xs -> xs[0].unsqueeze(0), r.randn(3, 4)),
                op("unsqueeze(-1)", xs -> xs[0].unsqueeze(-1), r.randn(3, 4)),
                op("unsqueeze(1) non-contiguous", xs -> xs[0].t().unsqueeze(1), r.randn(3, 4)),
                op("unsqueeze 0-d", xs -> xs[0].unsqueeze(0), r.scalar()),
                // select / slice / narrow / get
                op("select(1, 2)", xs -> xs[0].select(1, 2), r.randn(3, 4)),
                op("select(-1, -1)", xs -> xs[0].select(-1, -1), r.randn(2, 3, 4)),
                op("select to 0-d", xs -> xs[0].select(0, 5), r.randn(7)),
                op("select non-contiguous", xs -> xs[0].t().select(0, 1), r.randn(3, 4)),
                op("slice(1, 1, 4)", xs -> xs[0].slice(1, 1, 4), r.randn(3, 5)),
                op("slice with step 3 of 17", xs -> xs[0].slice(0, 0, 17, 3), r.randn(17)),
                op("slice with step 2 on dim 1", xs -> xs[0].slice(1, 1, 7, 2), r.randn(2, 7)),
                op("slice negative start", xs -> xs[0].slice(0, -3, 7), r.randn(7, 2)),
                op("slice end past the size", xs -> xs[0].slice(0, 1, 100), r.randn(4, 2)),
                op("slice non-contiguous", xs -> xs[0].t().slice(0, 1, 4, 2), r.randn(3, 4)),
                op("narrow(1, 1, 2)", xs -> xs[0].narrow(1, 1, 2), r.randn(3, 4)),
                op("narrow non-contiguous", xs -> xs[0].permute(2, 1, 0).narrow(0, 1, 3), r.randn(2, 3, 4)),
                op("get(0, 1:3)", xs -> xs[0].get(0, Slice.of(1, 3)), r.randn(3, 4)),
                op("get(:, 1)", xs -> xs[0].get(Slice.all(), 1), r.randn(3, 4)),
                op("get(0:5:2, 1:)", xs -> xs[0].get(Slice.of(0, 5, 2), Slice.from(1)), r.randn(5, 3)),
                op("get(:2, -1)", xs -> xs[0].get(Slice.to(2), -1), r.randn(3, 4)),
                op("get(1, 2) to 0-d", xs -> xs[0].get(1, 2), r.randn(3, 4)),
                op("get with an index tensor", xs -> xs[0].get(Slice.all(), Tensor.indices(3, 0, 3)), r.randn(2, 4)),
                // as_strided
                op("asStrided [2,2] strides [1,2] offset 1", xs -> xs[0].asStrided(s(2, 2), s(1, 2), 1), r.randn(3, 4)),
                op("asStrided overlapping [3,3] strides [1,1]", xs -> xs[0].asStrided(s(3, 3), s(1, 1), 0), r.randn(7)),
                op("asStrided to 0-d", xs -> xs[0].asStrided(s(), s(), 5), r.randn(2, 4)),
                // index_select / index_add
                op("indexSelect(0, [2,0,2])", xs -> xs[0].indexSelect(0, Tensor.indices(2, 0, 2)), r.randn(3, 4)),
                op(
                        "indexSelect(1, ...) non-contiguous",
                        xs -> Torch.indexSelect(xs[0].t(), 1, Tensor.indices(1, 1, 0)),
                        r.randn(3, 4)),
                op("indexSelect(-1, ...) of 17", xs -> xs[0].indexSelect(-1, Tensor.indices(16, 0, 7)), r.randn(17)),
                op(
                        "indexAdd(0, [1,0,1], source)",
                        xs -> xs[0].indexAdd(0, Tensor.indices(1, 0, 1), xs[1]),
                        r.randn(2, 4),
                        r.randn(3, 4)),
                op(
                        "indexAdd(1, ...) of computed tensors",
                        xs -> xs[0].mul(2f).indexAdd(1, Tensor.indices(2, 0), xs[1].exp()),
                        r.randn(3, 4),
                        r.randn(3, 2)),
                op(
                        "indexAdd into a constant",
                        xs -> Tensor.zeros(3, 4).indexAdd(-1, Tensor.indices(3, 3, 0), xs[0]),
                        r.randn(3, 3)),
                op(
                        "indexAdd of a constant source",
                        xs -> xs[0].indexAdd(0, Tensor.indices(1), Tensor.ones(1, 4)),
                        r.randn(3, 4)),
                // cat / stack
                op("cat dim 0", xs -> Torch.cat(0, xs[0], xs[1]), r.randn(2, 3), r.randn(4, 3)),
                op(
                        "cat dim 1 of three",
                        xs -> Torch.cat(List.of(xs[0], xs[1], xs[2]), 1),
                        r.randn(2, 1),
                        r.randn(2, 3),
                        r.randn(2, 2)),
                op("cat dim -1 non-contiguous", xs -> Torch.cat(-1, xs[0].t(), xs[1]), r.randn(4, 3), r.randn(3, 2)),
                op("cat with a constant", xs -> Torch.cat(0, xs[0], Tensor.ones(1, 3)), r.randn(2, 3)),
                op("cat same input twice", xs -> Torch.cat(0, xs[0], xs[0].mul(2f)), r.randn(7)),
                op("stack dim 0", xs -> Torch.stack(0, xs[0], xs[1]), r.randn(2, 3), r.randn(2, 3)),
                op(
                        "stack dim 1",
                        xs -> Torch.stack(List.of(xs[0], xs[1], xs[2]), 1),
                        r.randn(2, 3),
                        r.randn(2, 3),
                        r.randn(2, 3)),
                op(
                        "stack dim -1 non-contiguous",
                        xs -> Torch.stack(-1, xs[0].t(), xs[1]),
                        r.randn(3, 2),
                        r.randn(2, 3)),
                op("stack of 0-d", xs -> Torch.stack(0, xs[0], xs[1], xs[0]), r.scalar(), r.scalar()),
                // copies
                op("clone", xs -> xs[0].clone(), r.randn(3, 4)),
                op("clone non-contiguous", xs -> xs[0].t().clone(), r.randn(3, 4)),
                op(
                        "contiguous of a non-contiguous view",
                        xs -> xs[0].permute(2, 0, 1).contiguous(),
                        r.randn(2, 3, 4)),
                op("contiguous of a contiguous tensor", xs -> xs[0].mul(2f).contiguous(), r.randn(3, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("views")
    void view(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(
                c.fn().andThen(y -> y.mul(y)), c.inputs()); // squared: the backward's input depends on x
    }

    // =============================================================================================
    // Leaves that are themselves non-contiguous views of a storage (with an offset)
    // =============================================================================================

    static Stream<Case> stridedLeaves() {
        In r = new In(56);
        return Stream.of(
                op("exp", xs -> xs[0].exp(), r.strided(3, 4)),
                op("mul broadcast", xs -> xs[0].mul(xs[1]), r.strided(3, 4), r.strided(3, 1)),
                op("sum dim 0", xs -> xs[0].sum(0), r.strided(3, 4)),
                op("max dim 1", xs -> xs[0].max(1).values(), r.strided(5, 2)),
                op("mm", xs -> xs[0].mm(xs[1]), r.strided(3, 4), r.strided(2, 3)),
                op(
                        "matmul batched",
                        xs -> xs[0].unsqueeze(0).expand(2, 4, 3).matmul(xs[1].view(2, 3, 1)),
                        r.strided(3, 4),
                        r.randn(6)),
                op(
                        "mv and dot",
                        xs -> xs[0].mv(xs[1].select(0, 0).narrow(0, 0, 3)).dot(xs[1].select(0, 1)),
                        r.strided(3, 4),
                        r.strided(4, 2)),
                op("softmax", xs -> xs[0].softmax(1), r.strided(3, 4)),
                op("logSoftmax", xs -> xs[0].logSoftmax(0), r.strided(3, 4)),
                op("reshape", xs -> xs[0].reshape(12), r.strided(3, 4)),
                op("select and slice", xs -> xs[0].select(1, 1).slice(0, 0, 4, 3), r.strided(3, 4)),
                op("asStrided", xs -> xs[0].asStrided(s(2, 2), s(1, 4), 5), r.strided(3, 4)),
                op("indexSelect", xs -> xs[0].indexSelect(1, Tensor.indices(2, 0)), r.strided(3, 4)),
                op("indexAdd", xs -> xs[0].indexAdd(0, Tensor.indices(3, 1), xs[1]), r.strided(3, 4), r.strided(3, 2)),
                op(
                        "cat and stack",
                        xs -> Torch.stack(0, Torch.cat(1, xs[0], xs[1]), Torch.cat(1, xs[1], xs[0])),
                        r.strided(3, 4),
                        r.strided(3, 4)),
                op("where", xs -> Torch.where(xs[0].gt(0f), xs[0], xs[1]), r.strided(3, 4), r.strided(3, 4)),
                op(
                        "in-place on a computed copy",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            y.select(0, 1).mul_(xs[1].select(0, 0));
                            return y;
                        },
                        r.strided(3, 4),
                        r.strided(3, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stridedLeaves")
    void stridedLeaf(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn().andThen(y -> y.mul(y)), c.inputs());
    }

    // =============================================================================================
    // softmax / log_softmax: first and second derivatives
    // =============================================================================================

    static Stream<Case> softmaxes() {
        In r = new In(66);
        return Stream.of(
                op("softmax(0)", xs -> xs[0].softmax(0), r.randn(3, 4)),
                op("softmax(1)", xs -> xs[0].softmax(1), r.randn(3, 4)),
                op("softmax(-1) of [2,3,5]", xs -> Torch.softmax(xs[0], -1), r.randn(2, 3, 5)),
                op("softmax(1) of [2,3,5]", xs -> xs[0].softmax(1), r.randn(2, 3, 5)),
                op("softmax of 17", xs -> xs[0].softmax(0), r.randn(17)),
                op("softmax non-contiguous t()", xs -> xs[0].t().softmax(1), r.randn(3, 4)),
                op("softmax over a size-1 dim", xs -> xs[0].softmax(1), r.randn(3, 1)),
                op("softmax 0-d", xs -> xs[0].softmax(0), r.scalar()),
                op("softmax times x", xs -> xs[0].softmax(-1).mul(xs[0]), r.randn(2, 4)),
                op("logSoftmax(0)", xs -> xs[0].logSoftmax(0), r.randn(3, 4)),
                op("logSoftmax(1)", xs -> xs[0].logSoftmax(1), r.randn(3, 4)),
                op("logSoftmax(-1) of [2,3,5]", xs -> Torch.logSoftmax(xs[0], -1), r.randn(2, 3, 5)),
                op("logSoftmax(-2) of [2,3,5]", xs -> xs[0].logSoftmax(-2), r.randn(2, 3, 5)),
                op("logSoftmax of 17", xs -> xs[0].logSoftmax(0), r.randn(17)),
                op(
                        "logSoftmax non-contiguous permute",
                        xs -> xs[0].permute(2, 0, 1).logSoftmax(0),
                        r.randn(2, 3, 4)),
                op("logSoftmax 0-d", xs -> xs[0].logSoftmax(-1), r.scalar()),
                op("logSoftmax times x", xs -> xs[0].logSoftmax(1).mul(xs[0]), r.randn(2, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("softmaxes")
    void softmax(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    // =============================================================================================
    // In-place ops and indexed assignment recorded in a graph (inputs are leaves; the in-place ops
    // act on non-leaves made from them)
    // =============================================================================================

    static Stream<Case> inPlace() {
        In r = new In(77);
        return Stream.of(
                op(
                        "y = 2x; y += z; exp_; y *= w",
                        xs -> {
                            Tensor y = xs[0].mul(2f);
                            y.add_(xs[1]);
                            y.exp_();
                            y.mul_(xs[2]);
                            return y;
                        },
                        r.randn(3, 4),
                        r.randn(3, 4),
                        r.randn(3, 4)),
                op(
                        "sub_ alpha, div_, pow_ (broadcast operands)",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            y.sub_(xs[1], 0.5f);
                            y.div_(xs[2]);
                            y.pow_(2f);
                            return y;
                        },
                        r.randn(3, 4),
                        r.randn(4),
                        r.away(0.5f, 3, 1)),
                op(
                        "tanh_, sigmoid_, neg_, scalar add_/sub_/mul_/div_",
                        xs -> {
                            Tensor y = xs[0].add(0f);
                            y.tanh_();
                            y.sigmoid_();
                            y.neg_();
                            y.add_(0.5f).sub_(0.25f).mul_(3f).div_(2f);
                            return y;
                        },
                        r.randn(2, 3)),
                op(
                        "sqrt_, log_",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            y.sqrt_();
                            y.log_();
                            return y;
                        },
                        r.pos(7)),
                op(
                        "relu_, abs_, clamp_",
                        xs -> {
                            Tensor y = xs[0].sub(0f);
                            y.relu_();
                            Tensor w = xs[0].mul(2f);
                            w.abs_();
                            Tensor c = xs[0].mul(1f);
                            c.clamp_(-0.5f, 0.5f);
                            return y.add(w).add(c);
                        },
                        r.avoiding(new float[] {0f, -0.5f, 0.5f, -0.25f, 0.25f}, 0.1f, 3, 4)),
                op(
                        "copy_ into a non-leaf",
                        xs -> {
                            Tensor y = xs[0].mul(3f);
                            y.copy_(xs[1].tanh());
                            return y.mul(xs[0]);
                        },
                        r.randn(3, 4),
                        r.randn(4)),
                op(
                        "mul_ through a view select(0, 0)",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            y.select(0, 0).mul_(xs[1]);
                            return y;
                        },
                        r.randn(2, 3),
                        r.randn(3)),
                op(
                        "add_ through a transposed view",
                        xs -> {
                            Tensor y =
                                    xs[0].mul(xs[0]); // not exp: ExpBackward0 saves its output, which add_ would change
                            y.t().add_(xs[1]);
                            return y;
                        },
                        r.randn(3, 4),
                        r.randn(4, 3)),
                op(
                        "a view read after the base changed in place",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            Tensor v = y.slice(1, 0, 4, 2);
                            y.mul_(xs[1]);
                            return v.exp();
                        },
                        r.randn(3, 4),
                        r.randn(3, 4)),
                op(
                        "in-place through a view of a view",
                        xs -> {
                            Tensor y = xs[0].mul(2f);
                            y.select(1, 2).slice(0, 0, 3, 2).sigmoid_();
                            return y;
                        },
                        r.randn(3, 4)),
                op(
                        "in-place through two different views in turn",
                        xs -> {
                            Tensor y = xs[0].mul(1f);
                            y.select(0, 0).mul_(xs[1]);
                            y.select(0, 1).add_(xs[1].tanh());
                            return y;
                        },
                        r.randn(2, 3),
                        r.randn(3)),
                op(
                        "in-place through a view taken before another in-place",
                        xs -> {
                            Tensor y = xs[0].mul(2f);
                            Tensor v = y.t();
                            y.select(1, 0).mul_(xs[1]);
                            v.add_(xs[2]);
                            return y.mul(v.t());
                        },
                        r.randn(3, 2),
                        r.randn(3),
                        r.randn(2, 3)),
                op(
                        "add_ of a view of self",
                        xs -> {
                            Tensor y = xs[0].mul(xs[0]);
                            y.select(0, 0).add_(y.select(0, 1));
                            return y;
                        },
                        r.randn(2, 3)),
                op(
                        "b.set(value, 0, 1:3) on a non-leaf",
                        xs -> {
                            Tensor b = xs[0].mul(2f);
                            b.set(xs[1], 0, Slice.of(1, 3));
                            return b.tanh();
                        },
                        r.randn(2, 4),
                        r.randn(2)),
                op(
                        "b.set(value, :, 0:4:2) broadcast value",
                        xs -> {
                            Tensor b = xs[0].sigmoid().mul(2f);
                            b.set(xs[1].mul(xs[1]), Slice.all(), Slice.of(0, 4, 2));
                            return b;
                        },
                        r.randn(3, 4),
                        r.randn(1, 2)),
                op(
                        "b.set(float, 1, 0) on a non-leaf",
                        xs -> {
                            Tensor b = xs[0].mul(xs[0]);
                            b.set(3f, 1, 0);
                            return b.mul(xs[0]);
                        },
                        r.randn(2, 2)),
                op(
                        "b = zeros; b.set(f(a), ...) twice (spec G)",
                        xs -> {
                            Tensor a = xs[0];
                            Tensor b = Tensor.zeros(1, 2);
                            b.set(a.get(0, 0).pow(2f).add(a.get(0, 1)), 0, 0);
                            b.set(a.get(0, 1).pow(3f).add(a.get(0, 0)), 0, 1);
                            return b.mul(2f);
                        },
                        r.randn(1, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inPlace")
    void inPlace(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    // =============================================================================================
    // grad_fn names (PyTorch's)
    // =============================================================================================

    static Stream<Arguments> gradFnNames() {
        In r = new In(88);
        Tensor a = r.randn(3, 4), b = r.randn(3, 4), p = r.pos(3, 4), v = r.randn(4), m = r.randn(4, 2);
        Tensor x3 = r.randn(2, 3, 4), y3 = r.randn(2, 4, 5), c = r.randn(3, 1, 4), cond = r.mask(3, 4);
        return Stream.of(
                arguments("AddBackward0", a.add(b)),
                arguments("AddBackward0", a.add(1f)),
                arguments("SubBackward0", a.sub(b)),
                arguments("MulBackward0", a.mul(b)),
                arguments("MulBackward0", a.mul(2f)),
                arguments("DivBackward0", a.div(p)),
                arguments("DivBackward0", a.div(2f)),
                arguments("RsubBackward1", a.rsub(1f)),
                arguments("NegBackward0", a.neg()),
                arguments("PowBackward0", a.pow(2f)),
                arguments("PowBackward1", p.pow(a)),
                arguments("PowBackward2", Torch.pow(2f, a)),
                arguments("ExpBackward0", a.exp()),
                arguments("LogBackward0", p.log()),
                arguments("SqrtBackward0", p.sqrt()),
                arguments("AbsBackward0", a.abs()),
                arguments("TanhBackward0", a.tanh()),
                arguments("SigmoidBackward0", a.sigmoid()),
                arguments("ReluBackward0", a.relu()),
                arguments("ReciprocalBackward0", p.reciprocal()),
                arguments("ClampBackward1", a.clamp(-0.5f, 0.5f)),
                arguments("MaximumBackward0", a.maximum(b)),
                arguments("MinimumBackward0", a.minimum(b)),
                arguments("SumBackward0", a.sum()),
                arguments("SumBackward1", a.sum(1)),
                arguments("MeanBackward0", a.mean()),
                arguments("MeanBackward1", a.mean(dims(0, 1), true)),
                arguments("MaxBackward0", a.max(1).values()),
                arguments("MaxBackward1", a.max()),
                arguments("MinBackward0", a.min(0, true).values()),
                arguments("MinBackward1", a.min()),
                arguments("MmBackward0", a.mm(m)),
                arguments("MmBackward0", a.matmul(m)),
                arguments("BmmBackward0", x3.bmm(y3)),
                arguments("DotBackward0", v.dot(v)),
                arguments("MvBackward0", a.mv(v)),
                arguments("AddmmBackward0", Torch.addmm(v.narrow(0, 0, 2), a, m)),
                arguments("TBackward0", a.t()),
                arguments("TransposeBackward0", x3.transpose(0, 2)),
                arguments("PermuteBackward0", x3.permute(2, 0, 1)),
                arguments("ViewBackward0", a.view(12)),
                arguments("ViewBackward0", a.reshape(2, 6)),
                arguments("ExpandBackward0", c.expand(2, 3, 5, 4)),
                arguments("SqueezeBackward0", c.squeeze()),
                arguments("SqueezeBackward1", c.squeeze(1)),
                arguments("UnsqueezeBackward0", a.unsqueeze(0)),
                arguments("SelectBackward0", a.select(0, 1)),
                arguments("SliceBackward0", a.slice(1, 0, 4, 2)),
                arguments("SliceBackward0", a.narrow(0, 1, 2)),
                arguments("AsStridedBackward0", a.asStrided(s(2, 2), s(1, 2), 1)),
                arguments("IndexSelectBackward0", a.indexSelect(0, Tensor.indices(0, 2))),
                arguments("IndexAddBackward0", a.indexAdd(0, Tensor.indices(0), b.narrow(0, 0, 1))),
                arguments("CatBackward0", Torch.cat(0, a, b)),
                arguments("StackBackward0", Torch.stack(0, a, b)),
                arguments("SoftmaxBackward0", a.softmax(1)),
                arguments("LogSoftmaxBackward0", a.logSoftmax(1)),
                arguments("WhereBackward0", Torch.where(cond, a, b)),
                arguments("CloneBackward0", a.clone()),
                arguments("CloneBackward0", a.t().contiguous()),
                arguments("ClampMinBackward0", a.clampMin(0f)),
                arguments("ClampMaxBackward0", a.clampMax(0f)),
                arguments("AddBackward0", a.mul(1f).add_(b)),
                arguments("ExpBackward0", a.mul(1f).exp_()),
                arguments("CopySlices", a.mul(1f).set(v.narrow(0, 0, 2), 0, Slice.of(1, 3))),
                arguments("CopySlices", Tensor.zeros(2).set(a.get(0, 0), 1)),
                arguments("AsStridedBackward0", viewAfterInPlace(a, b)));
    }

    /** A view of y taken before an in-place write to y: PyTorch regenerates its grad_fn as AsStridedBackward0. */
    private static Tensor viewAfterInPlace(Tensor a, Tensor b) {
        Tensor y = a.mul(1f);
        Tensor v = y.t();
        y.add_(b);
        return v;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradFnNames")
    void gradFnName(String expected, Tensor result) {
        assertEquals(expected, result.gradFn().name());
    }

    // =============================================================================================
    // The checker itself
    // =============================================================================================

    @Test
    void checkerRejectsAWrongGradient() {
        Tensor x = new In(99).randn(3, 4);
        // x * detach(x): the analytic gradient misses half of the true one (2x)
        assertThrows(AssertionError.class, () -> GradCheck.check(xs -> xs[0].mul(xs[0].detach()), x));
        GradCheck.check(xs -> xs[0].mul(xs[0]), x);
    }

    @Test
    void gradgradcheckRejectsAWrongSecondDerivative() {
        Tensor x = new In(98).randn(3, 4);
        // z = x^2 whose incoming gradient is cut from the graph by a hook: the first derivative of
        // z * x is right, the second misses the terms through the detached gradient
        Function<Tensor[], Tensor> fn = xs -> {
            Tensor z = xs[0].pow(2f);
            if (z.requiresGrad()) z.registerHook(g -> g.detach());
            return z.mul(xs[0]);
        };
        GradCheck.check(fn, x);
        assertThrows(AssertionError.class, () -> GradCheck.gradgradcheck(fn, x));
    }
}
