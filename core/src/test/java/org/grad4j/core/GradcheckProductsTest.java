package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.op;

import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.Case;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of the matrix and vector products, to first and second order.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradcheckProductsTest {
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
                        "baddbmm input [2,3,5]",
                        xs -> Torch.baddbmm(xs[0], xs[1], xs[2]),
                        r.randn(2, 3, 5),
                        r.randn(2, 3, 4),
                        r.randn(2, 4, 5)),
                op(
                        "baddbmm input [5] broadcast, beta 0.5, alpha -2",
                        xs -> xs[0].baddbmm(xs[1], xs[2], 0.5f, -2f),
                        r.randn(5),
                        r.randn(2, 3, 4),
                        r.randn(2, 4, 5)),
                op(
                        "baddbmm input [3,1] beta 0, non-contiguous batch1",
                        xs -> xs[0].baddbmm(xs[1].transpose(1, 2), xs[2], 0f, 1f),
                        r.randn(3, 1),
                        r.randn(2, 4, 3),
                        r.randn(2, 4, 2)),
                op(
                        "F.linear 2-d with bias",
                        xs -> F.linear(xs[0], xs[1], xs[2]),
                        r.randn(3, 4),
                        r.randn(2, 4),
                        r.randn(2)),
                op(
                        "F.linear 3-d with bias",
                        xs -> F.linear(xs[0], xs[1], xs[2]),
                        r.randn(2, 3, 4),
                        r.randn(5, 4),
                        r.randn(5)),
                op(
                        "F.linear 3-d non-contiguous, no bias",
                        xs -> F.linear(xs[0].transpose(0, 1), xs[1]),
                        r.randn(3, 2, 4),
                        r.randn(2, 4)),
                op(
                        "F.linear 1-d with bias",
                        xs -> F.linear(xs[0], xs[1], xs[2]),
                        r.randn(4),
                        r.randn(3, 4),
                        r.randn(3)),
                op(
                        "addmm non-contiguous (Linear layer)",
                        xs -> Torch.addmm(xs[0], xs[1], xs[2].t()),
                        r.randn(5),
                        r.randn(3, 7),
                        r.randn(5, 7)));
    }

    // scaled_dot_product_attention: the kernel backward is checked by check, the tensor-op backward
    // (createGraph) by gradgradcheck; masks, causal, broadcast batch and dropout from a fixed seed
    static Stream<Case> attention() {
        In r = new In(45);
        Tensor bool = Tensor.of(new float[] {1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0}, 3, 5)
                .ne(0f);
        Tensor additive = Tensor.randn(new Generator(6), 2, 1, 1, 5);
        return Stream.of(
                op(
                        "sdpa",
                        xs -> F.scaledDotProductAttention(xs[0], xs[1], xs[2]),
                        r.randn(2, 3, 4),
                        r.randn(2, 5, 4),
                        r.randn(2, 5, 3)),
                op(
                        "sdpa BOOL mask with a fully masked row",
                        xs -> F.scaledDotProductAttention(xs[0], xs[1], xs[2], bool, 0, false, null, null),
                        r.randn(2, 3, 4),
                        r.randn(2, 5, 4),
                        r.randn(2, 5, 3)),
                op(
                        "sdpa float mask broadcast [2,1,1,5]",
                        xs -> F.scaledDotProductAttention(xs[0], xs[1], xs[2], additive, 0, false, null, null),
                        r.randn(2, 2, 3, 4),
                        r.randn(2, 2, 5, 4),
                        r.randn(1, 5, 3)),
                op(
                        "sdpa float mask requiring grad",
                        xs -> F.scaledDotProductAttention(xs[0], xs[1], xs[2], xs[3], 0, false, null, null),
                        r.randn(3, 2),
                        r.randn(4, 2),
                        r.randn(4, 3),
                        r.randn(3, 4)),
                op(
                        "sdpa causal, L > S, scale",
                        xs -> F.scaledDotProductAttention(xs[0], xs[1], xs[2], null, 0, true, 0.7, null),
                        r.randn(2, 5, 3),
                        r.randn(2, 4, 3),
                        r.randn(2, 4, 2)),
                op(
                        "sdpa broadcast batch, non-contiguous",
                        xs -> F.scaledDotProductAttention(xs[0].transpose(1, 2), xs[1], xs[2]),
                        r.randn(2, 3, 1, 4),
                        r.randn(4, 4),
                        r.randn(1, 3, 4, 2)),
                op(
                        "sdpa dropout 0.3 (Generator(7) each call)",
                        xs -> F.scaledDotProductAttention(
                                xs[0], xs[1], xs[2], null, 0.3, false, null, new Generator(7)),
                        r.randn(2, 3, 4),
                        r.randn(2, 5, 4),
                        r.randn(2, 5, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attention")
    void attention(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("products")
    void product(Case c) {
        GradCheck.check(c.fn(), c.inputs());
        GradCheck.gradgradcheck(c.fn(), c.inputs());
    }
}
