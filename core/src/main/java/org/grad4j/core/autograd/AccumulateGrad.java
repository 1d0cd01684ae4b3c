package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.shape;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.grad4j.core.GradMode;
import org.grad4j.core.RemovableHandle;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorHook;

/**
 * The node that adds a leaf's incoming gradient into its {@code grad()}.
 *
 * <p>Backward passes on several threads may reach the same leaf (graphs sharing a parameter, or one
 * retained graph). Every read-modify-write of the leaf's {@code grad}/{@code sparseGrad} therefore
 * holds the leaf tensor's monitor, as PyTorch locks its AccumulateGrad node; the leaf's
 * post-accumulate hooks run under it too, so they never run concurrently for one leaf. Uncontended,
 * the lock costs a few nanoseconds per leaf per backward.
 */
final class AccumulateGrad extends Node {
    private static final Tensor[] NONE = new Tensor[0];

    final Tensor variable;
    /** The leaf's autograd state, where its gradient is kept (it has one: it requires grad). */
    private final AutogradMeta meta;

    volatile List<TensorHook> postAccumulateHooks;

    AccumulateGrad(Tensor variable) {
        super(new Node[0], Long.MAX_VALUE); // runs as soon as it is ready, as in PyTorch
        this.variable = variable;
        this.meta = AutogradMeta.of(variable);
    }

    @Override
    public String name() {
        return "AccumulateGrad";
    }

    @Override
    Tensor[] apply(Tensor grad) {
        checkSameDevice(variable, grad); // a hook may have moved it
        synchronized (variable) {
            if (meta.sparseGrad != null) variable.grad(); // a dense gradient arrives: the sparse one becomes dense
            Tensor old = meta.grad;
            if (old == null) {
                // A fresh, contiguous copy: the incoming tensor may be shared (AddBackward0 hands one
                // gradient to both inputs) or a broadcast view; under createGraph a recorded clone keeps
                // its history (PyTorch clones in both cases).
                meta.grad = GradMode.isEnabled() ? grad.clone() : grad.detach().clone();
            } else if (!GradMode.isEnabled() && !old.requiresGrad()) {
                old.add_(grad);
            } else {
                meta.grad = old.add(grad);
            }
            runPostAccumulateHooks();
        }
        return NONE;
    }

    /** Adds a row-sparse gradient: kept sparse unless the leaf already has a dense gradient. */
    void accumulateSparse(SparseGrad sg) {
        synchronized (variable) {
            if (meta.grad != null) {
                Tensor dense = sg.toDense();
                if (!meta.grad.requiresGrad()) meta.grad.add_(dense);
                else meta.grad = meta.grad.add(dense);
            } else {
                meta.sparseGrad = meta.sparseGrad == null ? sg : meta.sparseGrad.add(sg);
            }
            runPostAccumulateHooks();
        }
    }

    /**
     * Whether {@link #takeOwned} may keep {@code grad} itself as the first gradient: the leaf has none
     * (read without the lock: a quick no once it has one) and {@code grad} has its exact layout.
     */
    boolean canTake(Tensor grad) {
        return meta.grad == null
                && meta.sparseGrad == null
                && grad.storageOffset() == 0
                && grad.isContiguous()
                && buffer(grad).size() == grad.numel()
                && java.util.Arrays.equals(shape(grad), shape(variable))
                && !GradMode.isEnabled();
    }

    /**
     * Keeps {@code grad} itself, without a copy, as the leaf's first gradient if the leaf still has
     * none; returns whether it did. The caller (the engine) checked {@link #canTake}, owns {@code grad}
     * and nothing else refers to it. Checked again under the leaf's lock: another thread's backward may
     * have given the leaf its first gradient since.
     */
    boolean takeOwned(Tensor grad) {
        checkSameDevice(variable, grad);
        synchronized (variable) {
            if (meta.grad != null || meta.sparseGrad != null) return false;
            meta.grad = grad.detach();
            runPostAccumulateHooks();
        }
        return true;
    }

    private void runPostAccumulateHooks() {
        List<TensorHook> hooks = postAccumulateHooks;
        if (hooks != null) for (TensorHook h : hooks) h.apply(variable); // a snapshot: hooks may remove themselves
    }

    RemovableHandle registerPostAccumulateHook(TensorHook hook) {
        synchronized (this) {
            if (postAccumulateHooks == null) postAccumulateHooks = new CopyOnWriteArrayList<>();
        }
        return add(postAccumulateHooks, hook);
    }
}
