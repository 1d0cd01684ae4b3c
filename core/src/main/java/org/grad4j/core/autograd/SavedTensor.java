package org.grad4j.core.autograd;

import org.grad4j.core.Tensor;

/**
 * A tensor that a backward rule needs, saved at forward time together with its version, so an
 * in-place change made since is caught instead of giving a silently wrong gradient.
 */
final class SavedTensor {
    /** Where a saved tensor comes from when it is not held: a checkpointed region, which recomputes it. */
    interface Source {
        /** Tensor {@code index} of the source, for the backward of node {@code owner} (named in errors). */
        Tensor get(int index, String owner);

        /** Handle {@code index} was released (its node ran without retainGraph). */
        void released(int index);

        /** The tensors the source holds now (for memory accounting). */
        void forEachHeld(java.util.function.Consumer<Tensor> sink);
    }

    private Tensor tensor;
    private final int version;
    private final String producer; // "output 0 of XBackward0", or null for a leaf / untracked tensor
    /** Inside a checkpointed region: the region that recomputes this tensor, and its position there. */
    private Source frame;

    private final int index;

    SavedTensor(Tensor tensor, String producer) {
        this.tensor = tensor;
        this.version = tensor.version();
        this.producer = producer;
        this.index = -1;
    }

    /** A handle into a checkpointed region: holds no tensor until backward recomputes it. */
    SavedTensor(Source frame, int index, String producer) {
        this.frame = frame;
        this.index = index;
        this.version = 0;
        this.producer = producer;
    }

    /** The tensor held now, if any (for memory accounting; a handle reports what its region holds). */
    void forEachHeld(java.util.function.Consumer<Tensor> sink) {
        if (frame != null) frame.forEachHeld(sink);
        else if (tensor != null) sink.accept(tensor);
    }

    /** The saved tensor, for the backward of the node named {@code owner}. */
    Tensor unpack(String owner) {
        if (index >= 0) {
            if (frame == null) return unpackFreed(owner);
            return frame.get(index, owner);
        }
        Tensor t = tensor;
        if (t == null) return unpackFreed(owner);
        if (t.version() != version) {
            throw new IllegalStateException(
                    "one of the variables needed for gradient computation has been modified by an "
                            + "inplace operation: [" + t.dtype() + " " + java.util.Arrays.toString(t.shape()) + "]"
                            + (producer == null ? "" : ", which is " + producer + ",")
                            + " is at version " + t.version() + "; expected version " + version + " instead. "
                            + owner + " needs its value as it was in forward: use an out-of-place op (x = x.add(y) "
                            + "instead of x.add_(y)) or modify a clone().");
        }
        return t;
    }

    private Tensor unpackFreed(String owner) {
        throw new IllegalStateException("Trying to backward through the graph a second time (or directly access saved "
                + "tensors after they have already been freed): " + owner + " needs a tensor that the first "
                + "backward freed. Saved intermediate values of the graph are freed when you call backward() or "
                + "Autograd.grad(). Specify retainGraph=true on the first call if you need to backward through the "
                + "graph a second time or to access saved tensors after calling backward.");
    }

    void release() {
        tensor = null;
        Source f = frame;
        if (f != null) {
            f.released(index);
            frame = null;
        }
    }
}
