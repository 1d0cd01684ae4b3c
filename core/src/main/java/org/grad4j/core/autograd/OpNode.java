package org.grad4j.core.autograd;

import java.util.Arrays;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;

/**
 * The backward node of an op of the catalogue: the op's backward rule (a lambda written beside its
 * forward), the tensors it saved, and its inputs' shapes. Gradients the rule returns in a broadcast
 * shape are summed back to the input's shape here, once for all ops.
 */
public final class OpNode extends Node {

    /** A backward rule: gradients of the inputs from the gradient of the output (null where not needed). */
    @FunctionalInterface
    public interface Rule {
        Tensor[] backward(Tensor grad, OpNode ctx);
    }

    /** A rule that gives inputs row-sparse gradients where it can: null to take the dense rule. */
    @FunctionalInterface
    public interface SparseRule {
        SparseGrad[] backward(Tensor grad, OpNode ctx);
    }

    private final String name;
    private final Rule rule;
    private final SparseRule sparseRule;
    private final int[][] inputShapes;
    private final SavedTensor[] saved;

    OpNode(String name, Rule rule, SparseRule sparseRule, Node[] next, int[][] inputShapes, SavedTensor[] saved) {
        super(next);
        this.name = name;
        this.rule = rule;
        this.sparseRule = sparseRule;
        this.inputShapes = inputShapes;
        this.saved = saved;
    }

    @Override
    public String name() {
        return name;
    }

    /** Whether input {@code i}'s gradient is needed (the rule may skip computing the others). */
    public boolean needs(int i) {
        return next[i] != null;
    }

    /** Whether input {@code i} is a leaf (its gradient goes straight into its grad()). */
    public boolean feedsLeaf(int i) {
        return next[i] instanceof AccumulateGrad;
    }

    /** The {@code i}-th saved tensor, checked against later in-place changes and against release. */
    public Tensor saved(int i) {
        return saved[i].unpack(name);
    }

    public int[] inputShape(int i) {
        return inputShapes[i];
    }

    @Override
    Tensor[] apply(Tensor grad) {
        Tensor[] grads = rule.backward(grad, this);
        for (int i = 0; i < grads.length; i++) {
            Tensor g = grads[i];
            if (g == null || next[i] == null) {
                grads[i] = null;
                continue;
            }
            if (!Arrays.equals(g.shape(), inputShapes[i])) {
                g = sumToShape(g, inputShapes[i]);
                if (!Arrays.equals(g.shape(), inputShapes[i])) {
                    throw new IllegalStateException("Function " + name + " returned an invalid gradient at index " + i
                            + " - got " + Arrays.toString(grads[i].shape()) + " but expected shape compatible with "
                            + Arrays.toString(inputShapes[i]));
                }
                grads[i] = g;
            }
        }
        return grads;
    }

    @Override
    SparseGrad[] applySparse(Tensor grad) {
        return sparseRule == null ? null : sparseRule.backward(grad, this);
    }

    @Override
    void forEachSaved(java.util.function.Consumer<SavedTensor> sink) {
        for (SavedTensor s : saved) if (s != null) sink.accept(s);
    }

    @Override
    void release() {
        for (SavedTensor s : saved) if (s != null) s.release();
    }

    /** Sums {@code g} over the dimensions that broadcasting added or expanded from size 1. */
    private static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = TensorInternals.shape(g);
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        if (lead < 0) return g; // cannot be reduced: the caller reports the mismatch
        int[] dims = new int[gs.length];
        int nd = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims[nd++] = i;
        }
        Tensor s = nd == 0 ? g : g.sum(Arrays.copyOf(dims, nd), true);
        return lead == 0 ? s : s.view(shape);
    }
}
