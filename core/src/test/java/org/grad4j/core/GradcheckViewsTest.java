package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.op;
import static org.grad4j.core.GradcheckTables.s;

import java.util.List;
import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.Case;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of views, indexing, cat and stack, copies, and of leaves that are strided views themselves.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradcheckViewsTest {
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
                // gather / scatter / scatter_add (indices: GatherScatterTest.index)
                op("gather(1, ...)", xs -> xs[0].gather(1, ix(new int[] {3, 2}, 0, 2, 1, 1, 2, 0)), r.randn(3, 3)),
                op(
                        "gather(0, ...) index smaller than self",
                        xs -> Torch.gather(xs[0], 0, ix(new int[] {2, 2, 1}, 2, 0, 1, 1)),
                        r.randn(3, 4, 2)),
                op(
                        "gather(-1, ...) non-contiguous",
                        xs -> xs[0].t().gather(-1, ix(new int[] {2, 4}, 0, 2, 2, 1, 1, 1, 0, 0)),
                        r.randn(3, 2)),
                op("gather of 0-d", xs -> xs[0].gather(0, Tensor.indices(0).view()), r.scalar()),
                op(
                        "scatterAdd and scatter of 0-d",
                        xs -> xs[0].scatterAdd(0, Tensor.indices(0).view(), xs[1])
                                .add(xs[0].scatter(0, Tensor.indices(0).view(), xs[1])),
                        r.scalar(),
                        r.scalar()),
                op(
                        "scatter(1, ..., src) src larger than the index",
                        xs -> xs[0].scatter(1, ix(new int[] {2, 2}, 2, 0, 1, 3), xs[1]),
                        r.randn(3, 4),
                        r.randn(2, 3)),
                op(
                        "scatter(0, ..., value)",
                        xs -> xs[0].scatter(0, ix(new int[] {1, 3}, 2, 0, 1), 0.5f),
                        r.randn(3, 3)),
                op(
                        "scatterAdd(0, ...) repeated indices",
                        xs -> Torch.scatterAdd(xs[0], 0, ix(new int[] {3, 2}, 1, 0, 1, 0, 1, 2), xs[1]),
                        r.randn(3, 2),
                        r.randn(4, 2)),
                op(
                        "scatterAdd(-1, ...) non-contiguous",
                        xs -> xs[0].t().scatterAdd(-1, ix(new int[] {2, 2}, 2, 2, 0, 1), xs[1].t()),
                        r.randn(3, 2),
                        r.randn(2, 2)),
                op(
                        "scatter_ in place",
                        xs -> xs[0].mul(1f).scatter_(1, ix(new int[] {2, 1}, 1, 0), xs[1]),
                        r.randn(2, 3),
                        r.randn(2, 1)),
                op(
                        "scatterAdd_ in place",
                        xs -> xs[0].mul(1f).scatterAdd_(0, ix(new int[] {2, 3}, 1, 1, 0, 1, 0, 0), xs[1]),
                        r.randn(2, 3),
                        r.randn(2, 3)),
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

    private static Tensor ix(int[] shape, int... values) {
        return GatherScatterTest.index(shape, values);
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
}
