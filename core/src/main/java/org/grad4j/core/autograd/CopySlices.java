package org.grad4j.core.autograd;

import org.grad4j.core.Tensor;

/**
 * The history of a base tensor after an in-place op wrote through one of its views
 * ({@code b[0, 0] = v}). The base's gradient passes through unchanged outside the view; inside it,
 * the in-place op's own backward ({@code fn}) decides what flows to the view's old value and to the
 * op's other inputs. Where the view lies in its base is the in-place op's knowledge ({@link Slices}).
 */
public final class CopySlices extends Node {
    /** The view's elements within its base's flattened gradient. */
    public interface Slices {
        /** The elements the view covers, in the view's shape. */
        Tensor select(Tensor flatGrad);

        /** {@code flatGrad} with the view's elements replaced by {@code viewGrad} (zeros when null). */
        Tensor replace(Tensor flatGrad, Tensor viewGrad);
    }

    private final int[] baseShape;
    private final Slices slices;
    private final Node fn;

    CopySlices(Node baseEdge, int[] baseShape, Slices slices, Node fn) {
        super(edges(baseEdge, fn));
        this.baseShape = baseShape;
        this.slices = slices;
        this.fn = fn;
    }

    private static Node[] edges(Node baseEdge, Node fn) {
        Node[] e = new Node[fn.next.length];
        e[0] = baseEdge;
        System.arraycopy(fn.next, 1, e, 1, fn.next.length - 1);
        return e;
    }

    @Override
    public String name() {
        return "CopySlices";
    }

    @Override
    Tensor[] apply(Tensor grad) {
        Tensor flat = grad.reshape(-1);
        Tensor[] res = fn.apply(slices.select(flat));
        Tensor[] out = new Tensor[next.length];
        // outside the view the gradient passes through; inside, it is what fn gives the view's old value
        out[0] = next[0] == null ? null : slices.replace(flat, res[0]).view(baseShape);
        for (int i = 1; i < out.length; i++) out[i] = res[i];
        return out;
    }

    @Override
    void forEachSaved(java.util.function.Consumer<SavedTensor> sink) {
        fn.forEachSaved(sink);
    }

    @Override
    void release() {
        fn.release();
    }
}
