package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.Layout;

/**
 * embedding: rows of a weight [V, D] picked by an index tensor of any shape, giving [*, D]. Its node
 * ({@code EmbeddingBackward0}) scatters the gradient back onto the picked rows: densely (an
 * index_add into zeros, differentiable again), or, with {@code sparse}, as a {@link SparseGrad} holding
 * only the picked rows, when the weight is a leaf and the backward is not recorded (createGraph asks
 * for a dense, differentiable gradient, as does a weight computed from other tensors).
 */
public final class Embeddings {
    private Embeddings() {}

    public static Tensor embedding(Tensor weight, Tensor indices, int paddingIdx, boolean sparse) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException(
                    "embedding: expected a 2-d weight [numEmbeddings, embeddingDim], got shape "
                            + Arrays.toString(shape(weight)));
        }
        checkSameDevice(indices, weight); // F.embedding(indices, weight): named in argument order
        int v = shape(weight)[0], d = shape(weight)[1];
        Indexing.checkIndexDType("embedding", "indices", indices);
        int pad = paddingIdx;
        if (pad != NO_PADDING) {
            if (pad < -v || pad >= v) {
                throw new IllegalArgumentException(
                        "embedding: paddingIdx " + paddingIdx + " must be within numEmbeddings (" + v + ")");
            }
            if (pad < 0) pad += v;
        }
        int[] idx = Indexing.indexValues("embedding", "indices", indices);
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= v) {
                throw new IndexOutOfBoundsException(
                        "embedding: index " + idx[i] + " (at position " + i + ") is out of range "
                                + "for a weight of " + v + " rows (shape " + Arrays.toString(shape(weight))
                                + "); indices must be in [0, "
                                + v + ")");
            }
        }
        int[] outShape = Arrays.copyOf(shape(indices), indices.dim() + 1);
        outShape[indices.dim()] = d;
        Layout.numel("embedding", outShape);
        Tensor wc = contiguousUntracked(weight);
        Tensor out = newUninitialized(weight, outShape, DType.FLOAT32);
        backend(weight).indexSelect(buffer(wc), 1, v, d, idx, buffer(out));
        if (!Recorder.needsGrad(weight)) return out;
        int[] kept = keptPositions(idx, pad), rows = new int[kept.length];
        for (int i = 0; i < kept.length; i++) rows[i] = idx[kept[i]];
        boolean allKept = kept.length == idx.length;
        // the padding row gets no gradient; repeated indices add up
        return Recorder.record(
                out,
                "EmbeddingBackward0",
                new Tensor[] {weight},
                new Tensor[0],
                (g, ctx) -> new Tensor[] {
                    Indexing.indexAdd(
                            newEmpty(weight, new int[] {v, d}, DType.FLOAT32), 0, rows, picked(g, d, kept, allKept))
                },
                !sparse
                        ? null
                        : (g, ctx) -> GradMode.isEnabled() || !ctx.feedsLeaf(0)
                                ? null
                                : new SparseGrad[] {
                                    new SparseGrad(
                                            new int[] {v, d},
                                            rows,
                                            picked(g, d, kept, allKept).contiguous())
                                });
    }

    /** The gradient's rows of the kept (not padding) positions, [kept, d]. */
    private static Tensor picked(Tensor grad, int d, int[] kept, boolean allKept) {
        Tensor g2 = grad.reshape(-1, d);
        return allKept ? g2 : Indexing.indexSelect(g2, 0, kept);
    }

    /** No padding row (PyTorch's {@code padding_idx=None}). */
    public static final int NO_PADDING = Integer.MIN_VALUE;

    private static int[] keptPositions(int[] idx, int pad) {
        int n = 0;
        int[] p = new int[idx.length];
        for (int i = 0; i < idx.length; i++) if (idx[i] != pad) p[n++] = i;
        return Arrays.copyOf(p, n);
    }
}
