package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;

import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;

/**
 * The k largest (or smallest) elements along a dimension with their INT64 positions. Results always
 * come sorted (PyTorch leaves the order unspecified for {@code sorted=false}); equal values come in
 * the order of their positions, where PyTorch's CPU order among ties follows its partial sort and is
 * not specified. NaN counts as larger than every number, as in PyTorch.
 */
public final class TopK {
    private TopK() {}

    public static Tensor.ValuesIndices topk(Tensor x, int k, int dimIn, boolean largest, boolean sorted) {
        int dim = Shapes.wrapDim("topk", dimIn, x.dim());
        int[] s = x.dim() == 0 ? new int[] {1} : shape(x);
        int size = s[dim];
        if (k < 0 || k > size) {
            throw new IllegalArgumentException("topk(): selected index k out of range: k = " + k + " but dimension "
                    + dim + " of the tensor of shape " + java.util.Arrays.toString(shape(x)) + " has size " + size);
        }
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("topk(): \"topk_cpu\" not implemented for 'Bool'");
        }
        int[] outShape = shape(x).clone();
        if (x.dim() > 0) outShape[dim] = k;
        else k = 1; // a 0-d result holds one element: PyTorch's topk(0) of a 0-d tensor gives it too
        Tensor values = newUninitialized(x, outShape, x.dtype());
        Tensor indices = newUninitialized(x, outShape, DType.INT64);
        if (values.numel() > 0) {
            backend(x)
                    .topk(
                            buffer(contiguousUntracked(x)),
                            Scatter.outer(s, dim),
                            size,
                            Scatter.inner(s, dim),
                            k,
                            largest,
                            buffer(values),
                            buffer(indices));
        }
        int[] in = shape(x);
        Tensor v = Recorder.record(
                values, "TopkBackward0", new Tensor[] {x}, new Tensor[] {indices}, (g, ctx) -> new Tensor[] {
                    Scatter.scatter("scatter", newEmpty(g, in, DType.FLOAT32), dim, ctx.saved(0), g, 0f, false, false)
                });
        return new Tensor.ValuesIndices(v, indices);
    }
}
