package org.grad4j.core;

import java.util.Arrays;

/**
 * The backward node of an op of the catalogue: the op's backward rule (a lambda written beside its
 * forward), the tensors it saved, and its inputs' shapes. Gradients the rule returns in a broadcast
 * shape are summed back to the input's shape here, once for all ops.
 */
final class OpNode extends Node {

    /** A backward rule: gradients of the inputs from the gradient of the output (null where not needed). */
    @FunctionalInterface
    interface Rule {
        Tensor[] backward(Tensor grad, OpNode ctx);
    }

    /** A rule that gives inputs row-sparse gradients where it can: null to take the dense rule. */
    @FunctionalInterface
    interface SparseRule {
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
    boolean needs(int i) {
        return next[i] != null;
    }

    /** Whether input {@code i} is a leaf (its gradient goes straight into its grad()). */
    boolean feedsLeaf(int i) {
        return next[i] instanceof AccumulateGrad;
    }

    /** The {@code i}-th saved tensor, checked against later in-place changes and against release. */
    Tensor saved(int i) {
        return saved[i].unpack(this);
    }

    int[] inputShape(int i) {
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
                g = Shapes.sumToShape(g, inputShapes[i]);
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
}
