package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.op;
import static org.grad4j.core.GradcheckTables.s;

import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.Case;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of the elementwise ops, to first and second order, and of pow at a 0 base.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradcheckElementwiseTest {
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
                // transformer activations
                op("erf", xs -> xs[0].erf(), r.randn(3, 4)),
                op("erf 0-d", xs -> Torch.erf(xs[0]), r.scalar()),
                op("silu", xs -> F.silu(xs[0]), r.randn(3, 4)),
                op("silu non-contiguous t()", xs -> F.silu(xs[0].t()), r.randn(4, 3)),
                op("gelu exact", xs -> F.gelu(xs[0]), r.randn(3, 4)),
                op("gelu tanh", xs -> F.gelu(xs[0], "tanh"), r.randn(3, 4)),
                op("gelu tanh non-contiguous permute", xs -> F.gelu(xs[0].permute(2, 0, 1), "tanh"), r.randn(2, 3, 4)),
                op("softplus", xs -> F.softplus(xs[0]), r.randn(3, 4)),
                op(
                        "softplus beta 2, threshold 1 (both sides of it)",
                        xs -> F.softplus(xs[0], 2f, 1f),
                        r.avoiding(new float[] {0.5f}, 0.1f, 3, 4)),
                op("softplus beta -0.5", xs -> F.softplus(xs[0], -0.5f, 20f), r.randn(7)),
                op("leakyRelu", xs -> F.leakyRelu(xs[0]), r.away(0.1f, 3, 4)),
                op("leakyRelu slope 0.2, 0-d", xs -> F.leakyRelu(xs[0], 0.2f), r.away(0.1f)),
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
                // masked_fill
                op("masked_fill", xs -> xs[0].maskedFill(c34, -2f), r.randn(3, 4)),
                op("masked_fill mask [3,1] broadcast", xs -> xs[0].maskedFill(c31, 3f), r.randn(3, 4)),
                op("masked_fill input [4] broadcast to mask [3,4]", xs -> xs[0].maskedFill(c34, 0f), r.randn(4)),
                // tril / triu
                op("tril", xs -> xs[0].tril(), r.randn(3, 4)),
                op("tril diagonal -1 batched", xs -> xs[0].tril(-1), r.randn(2, 3, 4)),
                op("triu diagonal 1 non-contiguous t()", xs -> xs[0].t().triu(1), r.randn(4, 3)),
                op("triu diagonal -2 batched", xs -> xs[0].triu(-2), r.randn(2, 4, 3)),
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
}
