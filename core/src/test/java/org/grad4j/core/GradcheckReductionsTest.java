package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.dims;
import static org.grad4j.core.GradcheckTables.op;

import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.Case;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of the reductions and of softmax / log_softmax, to first and second order.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradcheckReductionsTest {
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
                op("logsumexp dim 1", xs -> xs[0].logsumexp(1), r.randn(3, 4)),
                op("logsumexp dim 0 keepdim", xs -> xs[0].logsumexp(0, true), r.randn(3, 4)),
                op("logsumexp dims {0,2}", xs -> xs[0].logsumexp(dims(0, 2), false), r.randn(2, 3, 4)),
                op("logsumexp dims {-1,0} keepdim", xs -> xs[0].logsumexp(dims(-1, 0), true), r.randn(2, 3, 4)),
                op("logsumexp non-contiguous t()", xs -> xs[0].t().logsumexp(-1), r.randn(4, 3)),
                op("var", xs -> xs[0].var(), r.randn(3, 4)),
                op("var dim 1", xs -> xs[0].var(1), r.randn(3, 4)),
                op("var dims {0,2} correction 0 keepdim", xs -> xs[0].var(dims(0, 2), 0f, true), r.randn(2, 3, 4)),
                op(
                        "var dim -1 correction 2 non-contiguous t()",
                        xs -> xs[0].t().var(dims(-1), 2f, false),
                        r.randn(4, 3)),
                op("std", xs -> xs[0].std(), r.randn(3, 4)),
                op("std dim 0", xs -> xs[0].std(0), r.randn(3, 4)),
                op("std dims {-1,0} correction 0 keepdim", xs -> xs[0].std(dims(-1, 0), 0f, true), r.randn(2, 3, 4)),
                op("cumsum dim 0", xs -> xs[0].cumsum(0), r.randn(3, 4)),
                op("cumsum dim -1 of [2,3,4]", xs -> Torch.cumsum(xs[0], -1), r.randn(2, 3, 4)),
                op("cumsum dim 1 non-contiguous", xs -> xs[0].permute(2, 0, 1).cumsum(1), r.randn(2, 3, 4)),
                op("cumsum of 0-d", xs -> xs[0].cumsum(0), r.scalar()),
                op("topk 2", xs -> xs[0].topk(2).values(), r.distinct1(3, 5)),
                op("topk 2 smallest dim 0", xs -> xs[0].topk(2, 0, false, true).values(), r.distinct1(4, 3)),
                op(
                        "topk non-contiguous",
                        xs -> Torch.topk(xs[0].t(), 3, 1, true, false).values(),
                        r.distinct1(5, 2)),
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
}
