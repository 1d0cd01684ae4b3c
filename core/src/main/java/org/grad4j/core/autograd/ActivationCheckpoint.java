package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.Buffer;

/**
 * Activation checkpointing, as {@code torch.utils.checkpoint.checkpoint(fn, *inputs, use_reentrant=False)}:
 * trade compute for memory. The function's graph is recorded as usual (so its nodes, hooks,
 * parameters captured by {@code fn}, {@code Autograd.grad} and createGraph all behave as without
 * checkpointing), but none of the tensors its backward rules would save is kept: the region keeps
 * only its inputs. The first time backward needs one of those tensors, {@code fn} is run again on the
 * saved inputs and the recomputed tensors are used instead (they are dropped with the graph).
 *
 * <p>{@code fn} must do the same ops when run again: no branches on data that changes, and random
 * ops (dropout) drawing the same numbers, e.g. from a {@code Generator} created inside {@code fn}.
 * Side effects run twice (batchNorm's running statistics are updated again, as in PyTorch). A
 * checkpoint inside a checkpointed function is part of the outer region.
 */
public final class ActivationCheckpoint {
    private ActivationCheckpoint() {}

    /** The region whose forward is running on this thread (its saved tensors become handles). */
    private static final ThreadLocal<Frame> ACTIVE = new ThreadLocal<>();
    /** The region being recomputed on this thread (its saved tensors are collected in order). */
    private static final ThreadLocal<Frame> RECOMPUTING = new ThreadLocal<>();

    /** Runs {@code fn(inputs)} keeping only the inputs for backward; see the class comment. */
    public static Tensor checkpoint(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        if (!GradMode.isEnabled() || ACTIVE.get() != null || RECOMPUTING.get() != null) return fn.apply(inputs);
        Frame frame = new Frame(fn, inputs);
        ACTIVE.set(frame);
        Tensor out;
        try {
            out = fn.apply(inputs);
        } finally {
            ACTIVE.remove();
        }
        if (out == null)
            throw new IllegalArgumentException("checkpoint: the function returned null instead of a Tensor");
        frame.sealed();
        return out;
    }

    /** Called by the recorder for every tensor an op saves: a handle inside a region, the tensor itself otherwise. */
    static SavedTensor save(Tensor t, String producer) {
        Frame recomputing = RECOMPUTING.get();
        if (recomputing != null) recomputing.collected.add(t);
        Frame active = ACTIVE.get();
        return active == null ? new SavedTensor(t, producer) : active.handle(t, producer);
    }

    /**
     * One checkpointed region: the function, its inputs, and (after a backward asked) the recomputed
     * saved tensors. Its methods hold its monitor: backward passes on several threads may reach the
     * region at once (one retained graph), and must neither mix two recomputations nor release twice.
     */
    static final class Frame implements SavedTensor.Source {
        private final Function<Tensor[], Tensor> fn;
        private final SavedTensor[] inputs;
        private final boolean[] inputRequiresGrad;
        private final List<int[]> shapes = new ArrayList<>();
        private List<Tensor> recomputed;
        private boolean recomputedWithGraph;
        private List<Tensor> collected;
        private int live; // handles not yet released
        private final java.util.BitSet releasedHandles = new java.util.BitSet();
        private boolean sealed;

        Frame(Function<Tensor[], Tensor> fn, Tensor[] inputs) {
            this.fn = fn;
            this.inputs = new SavedTensor[inputs.length];
            this.inputRequiresGrad = new boolean[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                this.inputs[i] = new SavedTensor(inputs[i], "input " + i + " of a checkpointed function");
                this.inputRequiresGrad[i] = inputs[i].requiresGrad();
            }
        }

        synchronized SavedTensor handle(Tensor t, String producer) {
            shapes.add(shape(t).clone());
            live++;
            return new SavedTensor(this, shapes.size() - 1, producer);
        }

        synchronized void sealed() {
            sealed = true;
            if (live == 0) releaseAll(); // nothing to recompute: do not keep the inputs
        }

        /** The {@code k}-th saved tensor, recomputing the region on first use. */
        @Override
        public synchronized Tensor get(int k, String owner) {
            // a createGraph backward needs recomputed values with a graph, even after a plain one (retainGraph)
            if (recomputed == null || (GradMode.isEnabled() && !recomputedWithGraph)) recompute(owner);
            return recomputed.get(k);
        }

        private void recompute(String owner) {
            Tensor[] xs = new Tensor[inputs.length];
            for (int i = 0; i < xs.length; i++) xs[i] = inputs[i].unpack(owner); // checks in-place changes since
            // Under createGraph the recomputed tensors must be functions of the real inputs (a rule's
            // saved values are differentiated again); otherwise detached copies keep the recomputation local.
            boolean createGraph = GradMode.isEnabled();
            Tensor[] args = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                args[i] = createGraph ? xs[i] : xs[i].detach();
                if (!createGraph && inputRequiresGrad[i]) args[i].requiresGrad_();
            }
            collected = new ArrayList<>(shapes.size());
            Frame previous = RECOMPUTING.get();
            RECOMPUTING.set(this);
            // the recomputed tensors outlive the running backward's node: its recycler must not own them
            Consumer<Buffer> outer = Recycler.enter(null);
            try (var s = GradMode.enableGrad()) {
                var _ = fn.apply(args); // run for the tensors it saves, not for its result
            } finally {
                Recycler.exit(outer);
                RECOMPUTING.set(previous);
            }
            List<Tensor> got = collected;
            collected = null;
            if (got.size() != shapes.size()) {
                throw new IllegalStateException("checkpoint: recomputing the checkpointed function (for " + owner
                        + ") saved " + got.size() + " tensors for backward, but its forward saved " + shapes.size()
                        + ": the function must run the same ops when called again (no branches on changing data)");
            }
            for (int k = 0; k < got.size(); k++) {
                if (!Arrays.equals(got.get(k).shape(), shapes.get(k))) {
                    throw new IllegalStateException("checkpoint: recomputed tensor " + k + " has shape "
                            + Arrays.toString(got.get(k).shape()) + " but the forward saved one of shape "
                            + Arrays.toString(shapes.get(k))
                            + ": the function must run the same ops when called again");
                }
            }
            recomputed = got;
            recomputedWithGraph = createGraph;
        }

        /**
         * Handle {@code index} was released (its node ran without retainGraph): drop everything once
         * all are. Counted once per handle: two threads may run the same node of a shared graph.
         */
        @Override
        public synchronized void released(int index) {
            if (releasedHandles.get(index)) return;
            releasedHandles.set(index);
            if (--live == 0 && sealed) releaseAll();
        }

        private void releaseAll() {
            recomputed = null;
            for (SavedTensor s : inputs) s.release();
        }

        /** The tensors this region holds now (for memory accounting). */
        @Override
        public synchronized void forEachHeld(java.util.function.Consumer<Tensor> sink) {
            for (SavedTensor s : inputs) s.forEachHeld(sink);
            if (recomputed != null) recomputed.forEach(sink);
        }
    }
}
