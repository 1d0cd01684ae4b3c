package org.grad4j.core;

/**
 * Records an op in the graph: when grad mode is on and an input requires grad, the output gets a
 * backward node holding the rule, the edges to the inputs' nodes and the saved tensors.
 */
final class Recorder {
    private Recorder() {}

    static boolean needsGrad(Tensor a) {
        return a.requiresGrad && GradMode.isEnabled();
    }

    static boolean needsGrad(Tensor a, Tensor b) {
        return (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled();
    }

    static boolean needsGrad(Tensor[] inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad) return true;
        return false;
    }

    /** Records {@code out = name(inputs)} with {@code rule}; {@code saved} may include {@code out} itself. */
    static Tensor record(Tensor out, String name, Tensor[] inputs, Tensor[] saved, OpNode.Rule rule) {
        if (!needsGrad(inputs)) return out;
        Node[] next = new Node[inputs.length];
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) continue;
            next[i] = inputs[i].gradEdge();
            shapes[i] = inputs[i].shape;
        }
        SavedTensor[] s = new SavedTensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            Tensor t = saved[i];
            if (t == null) continue; // not needed for the gradients this graph asks for
            String producer = t == out ? "output 0 of " + name : t.gradFn == null ? null : "output 0 of " + t.gradFn.name();
            s[i] = Checkpoint.save(t, producer); // a handle inside a checkpointed region
        }
        out.gradFn = new OpNode(name, rule, next, shapes, s);
        out.requiresGrad = true;
        return out;
    }

    static Tensor record(Tensor out, String name, Tensor input, OpNode.Rule rule, Tensor... saved) {
        return record(out, name, new Tensor[] {input}, saved, rule);
    }

    static Tensor record(Tensor out, String name, Tensor a, Tensor b, OpNode.Rule rule, Tensor... saved) {
        return record(out, name, new Tensor[] {a, b}, saved, rule);
    }
}
