package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.op;

import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.Case;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of in-place ops and indexed assignment recorded in a graph, to first and second order.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradcheckInPlaceTest {
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
}
