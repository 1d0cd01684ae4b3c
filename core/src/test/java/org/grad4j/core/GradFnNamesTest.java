package org.grad4j.core;

import static org.grad4j.core.GradcheckTables.dims;
import static org.grad4j.core.GradcheckTables.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.grad4j.core.GradcheckTables.In;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The grad_fn names the ops record: PyTorch's.
 *
 * <p>Rows and inputs: {@link GradcheckTables}.
 */
class GradFnNamesTest {
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
                arguments("GatherBackward0", a.gather(1, Tensor.indices(0, 3).view(2, 1))),
                arguments("ScatterBackward0", a.scatter(1, Tensor.indices(0, 3).view(2, 1), b)),
                arguments("ScatterBackward1", a.scatter(1, Tensor.indices(0, 3).view(2, 1), 2f)),
                arguments(
                        "ScatterAddBackward0",
                        a.scatterAdd(1, Tensor.indices(0, 3).view(2, 1), b)),
                arguments(
                        "ScatterBackward0",
                        a.mul(1f).scatter_(1, Tensor.indices(0, 3).view(2, 1), b)),
                arguments(
                        "ScatterAddBackward0",
                        a.mul(1f).scatterAdd_(1, Tensor.indices(0, 3).view(2, 1), b)),
                arguments("CumsumBackward0", a.cumsum(1)),
                arguments("TopkBackward0", a.topk(2).values()),
                arguments("BaddbmmBackward0", x3.baddbmm(x3, y3.narrow(2, 0, 4))),
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
}
