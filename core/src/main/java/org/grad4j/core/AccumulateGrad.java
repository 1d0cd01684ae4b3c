package org.grad4j.core;

import java.util.ArrayList;
import java.util.List;

/** The node that adds a leaf's incoming gradient into its {@code grad()}. */
final class AccumulateGrad extends Node {
    final Tensor variable;
    List<TensorHook> postAccumulateHooks;

    AccumulateGrad(Tensor variable) {
        super(new Node[0], Long.MAX_VALUE); // runs as soon as it is ready, as in PyTorch
        this.variable = variable;
    }

    @Override
    public String name() {
        return "AccumulateGrad";
    }

    @Override
    Tensor[] apply(Tensor grad) {
        Devices.checkSame(variable, grad); // a hook may have moved it
        if (variable.sparseGrad != null) variable.grad(); // a dense gradient arrives: the sparse one becomes dense
        Tensor old = variable.grad;
        if (old == null) {
            // A fresh, contiguous copy: the incoming tensor may be shared (AddBackward0 hands one
            // gradient to both inputs) or a broadcast view; under createGraph a recorded clone keeps
            // its history (PyTorch clones in both cases).
            variable.grad = GradMode.isEnabled() ? grad.clone() : grad.detach().clone();
        } else if (!GradMode.isEnabled() && !old.requiresGrad()) {
            old.add_(grad);
        } else {
            variable.grad = old.add(grad);
        }
        if (postAccumulateHooks != null) {
            for (TensorHook h : List.copyOf(postAccumulateHooks)) h.apply(variable);
        }
        return new Tensor[0];
    }

    /** Adds a row-sparse gradient: kept sparse unless the leaf already has a dense gradient. */
    void accumulateSparse(SparseGrad sg) {
        if (variable.grad != null) {
            Tensor dense = sg.toDense();
            if (!variable.grad.requiresGrad()) variable.grad.add_(dense);
            else variable.grad = variable.grad.add(dense);
        } else {
            variable.sparseGrad = variable.sparseGrad == null ? sg : variable.sparseGrad.add(sg);
        }
        if (postAccumulateHooks != null) {
            for (TensorHook h : List.copyOf(postAccumulateHooks)) h.apply(variable);
        }
    }

    /** Whether {@link #takeOwned} may keep {@code grad} itself as the first gradient. */
    boolean canTake(Tensor grad) {
        return variable.grad == null && variable.sparseGrad == null && grad.offset == 0 && grad.isContiguous()
                && grad.buffer.size() == grad.numel() && java.util.Arrays.equals(grad.shape, variable.shape)
                && !GradMode.isEnabled();
    }

    /** The first gradient, kept without a copy: the engine owns it and nothing else refers to it. */
    void takeOwned(Tensor grad) {
        Devices.checkSame(variable, grad);
        variable.grad = grad.detach();
        if (postAccumulateHooks != null) {
            for (TensorHook h : List.copyOf(postAccumulateHooks)) h.apply(variable);
        }
    }

    RemovableHandle registerPostAccumulateHook(TensorHook hook) {
        if (postAccumulateHooks == null) postAccumulateHooks = new ArrayList<>(1);
        postAccumulateHooks.add(hook);
        return new RemovableHandle(() -> postAccumulateHooks.remove(hook));
    }
}
