package org.grad4j.core;

import org.grad4j.kernels.Layout;

/**
 * The history of a base tensor after an in-place op wrote through one of its views
 * ({@code b[0, 0] = v}). The base's gradient passes through unchanged outside the view; inside it,
 * the in-place op's own backward ({@code fn}) decides what flows to the view's old value and to the
 * op's other inputs.
 */
final class CopySlices extends Node {
    private final int[] baseShape;
    private final int[] viewShape;
    private final int[] positions; // row-major positions of the view's elements within the base
    private final Node fn;

    CopySlices(Node baseEdge, int[] baseShape, int[] viewShape, int[] positions, Node fn) {
        super(edges(baseEdge, fn));
        this.baseShape = baseShape;
        this.viewShape = viewShape;
        this.positions = positions;
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
        Tensor inView = Indexing.indexSelect(flat, 0, positions).view(viewShape);
        Tensor[] res = fn.apply(inView);
        // outside the view the gradient passes through; inside, it is what fn gives the view's old value
        float[] keep = new float[Layout.numel(baseShape)];
        java.util.Arrays.fill(keep, 1f);
        for (int p : positions) keep[p] = 0f;
        Tensor result = flat.mul(flat.newOf(keep, keep.length));
        if (res[0] != null) result = Indexing.indexAdd(result, 0, positions, res[0].reshape(-1));
        Tensor[] out = new Tensor[next.length];
        out[0] = next[0] == null ? null : result.view(baseShape);
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
