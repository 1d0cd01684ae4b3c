package org.grad4j.core;

/**
 * A tensor that a backward rule needs, saved at forward time together with its version, so an
 * in-place change made since is caught instead of giving a silently wrong gradient.
 */
final class SavedTensor {
    private Tensor tensor;
    private final int version;
    private final String producer; // "output 0 of XBackward0", or null for a leaf / untracked tensor

    SavedTensor(Tensor tensor, String producer) {
        this.tensor = tensor;
        this.version = tensor.version.value;
        this.producer = producer;
    }

    Tensor unpack(Node owner) {
        Tensor t = tensor;
        if (t == null) {
            throw new IllegalStateException("Trying to backward through the graph a second time (or directly access saved "
                    + "tensors after they have already been freed): " + owner.name() + " needs a tensor that the first "
                    + "backward freed. Saved intermediate values of the graph are freed when you call backward() or "
                    + "Autograd.grad(). Specify retainGraph=true on the first call if you need to backward through the "
                    + "graph a second time or to access saved tensors after calling backward.");
        }
        if (t.version.value != version) {
            throw new IllegalStateException("one of the variables needed for gradient computation has been modified by an "
                    + "inplace operation: [" + t.dtype() + " " + Node.shapeString(t.shape()) + "]"
                    + (producer == null ? "" : ", which is " + producer + ",")
                    + " is at version " + t.version.value + "; expected version " + version + " instead. "
                    + owner.name() + " needs its value as it was in forward: use an out-of-place op (x = x.add(y) "
                    + "instead of x.add_(y)) or modify a clone().");
        }
        return t;
    }

    void release() {
        tensor = null;
    }
}
