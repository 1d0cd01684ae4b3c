package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.shape;

import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;

/**
 * The one way ops attach nodes to the graph. When grad mode is on and an input requires grad, the
 * output gets a backward node holding the rule, the edges to the inputs' nodes and the saved tensors
 * ({@link #record}); an in-place op gives a tensor a new history ({@link #rebaseHistory}); a view made
 * in grad mode is tracked so that its history can follow its base ({@link #trackView},
 * {@link #rebaseView}); a write through a view becomes the base's history
 * ({@link #rebaseHistoryThroughView}). Nothing else creates nodes or sets a tensor's history.
 */
public final class Recorder {
    private Recorder() {}

    public static boolean needsGrad(Tensor a) {
        return AutogradMeta.requiresGrad(a) && GradMode.isEnabled();
    }

    public static boolean needsGrad(Tensor a, Tensor b) {
        return (AutogradMeta.requiresGrad(a) || AutogradMeta.requiresGrad(b)) && GradMode.isEnabled();
    }

    public static boolean needsGrad(Tensor[] inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && AutogradMeta.requiresGrad(t)) return true;
        return false;
    }

    /** Records {@code out = name(inputs)} with {@code rule}; {@code saved} may include {@code out} itself. */
    public static Tensor record(Tensor out, String name, Tensor[] inputs, Tensor[] saved, OpNode.Rule rule) {
        return record(out, name, inputs, saved, rule, null);
    }

    /** The same, with a rule that may give inputs row-sparse gradients instead (null for none). */
    public static Tensor record(
            Tensor out, String name, Tensor[] inputs, Tensor[] saved, OpNode.Rule rule, OpNode.SparseRule sparseRule) {
        if (!needsGrad(inputs)) return out;
        Node[] next = new Node[inputs.length];
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) continue;
            next[i] = AutogradMeta.gradEdge(inputs[i]);
            shapes[i] = shape(inputs[i]);
        }
        SavedTensor[] s = new SavedTensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            Tensor t = saved[i];
            if (t == null) continue; // not needed for the gradients this graph asks for
            Node producer = AutogradMeta.storedGradFn(t);
            String what = t == out ? "output 0 of " + name : producer == null ? null : "output 0 of " + producer.name();
            s[i] = ActivationCheckpoint.save(t, what); // a handle inside a checkpointed region
        }
        AutogradMeta m = freshMeta(out); // out is the op's own fresh tensor: no other thread sees it yet
        m.gradFn = new OpNode(name, rule, sparseRule, next, shapes, s);
        m.requiresGrad = true;
        return out;
    }

    public static Tensor record(Tensor out, String name, Tensor input, OpNode.Rule rule, Tensor... saved) {
        return record(out, name, new Tensor[] {input}, saved, rule);
    }

    public static Tensor record(Tensor out, String name, Tensor a, Tensor b, OpNode.Rule rule, Tensor... saved) {
        return record(out, name, new Tensor[] {a, b}, saved, rule);
    }

    /**
     * After an in-place op: {@code t}'s history is now {@code fn} (PyTorch's rebase_history). A retained
     * grad follows the newest version, as in PyTorch 2.x: the old node stops filling it, or the
     * gradients of both versions would be summed into {@code t.grad()}.
     */
    public static void rebaseHistory(Tensor t, Node fn) {
        AutogradMeta m = AutogradMeta.of(t);
        Node old = m.gradFn;
        m.gradFn = fn;
        m.requiresGrad = true;
        if (old != null && old.retainsGradOf == t) {
            old.retainsGradOf = null;
            fn.retainsGradOf = t;
        }
    }

    /**
     * A view made in grad mode: its in-place writes can be recorded on its base, and once the base has
     * a new history, {@code rebase} re-derives the view's from it (see AutogradMeta.gradFn).
     */
    public static void trackView(Tensor view, Tensor root, AutogradMeta.ViewRebase rebase) {
        AutogradMeta m = freshMeta(view); // a fresh view: no other thread sees it yet
        m.viewRebase = rebase;
        m.viewBaseNode = root.requiresGrad() ? AutogradMeta.gradEdge(root) : null;
    }

    /** A view's history re-derived from its base's node: {@code name} with {@code rule}, one edge to {@code baseNode}. */
    public static void rebaseView(Tensor view, Node baseNode, String name, int[] baseShape, OpNode.Rule rule) {
        Node fn = new OpNode(name, rule, null, new Node[] {baseNode}, new int[][] {baseShape}, new SavedTensor[0]);
        rebaseHistory(view, fn);
        AutogradMeta.get(view).viewBaseNode = baseNode;
    }

    /**
     * After an in-place op wrote through a view of {@code base}: the base's history becomes a
     * {@link CopySlices} around the op's node {@code fn}; returns it (the view's history is re-derived
     * from it). {@code slices} says where the view lies in the base.
     */
    public static Node rebaseHistoryThroughView(Tensor base, Node fn, CopySlices.Slices slices) {
        Node cs = new CopySlices(AutogradMeta.gradEdge(base), shape(base), slices, fn);
        rebaseHistory(base, cs);
        return cs;
    }

    /** The autograd state of a tensor no other thread sees yet, made without a lock. */
    private static AutogradMeta freshMeta(Tensor t) {
        AutogradMeta m = AutogradMeta.get(t);
        if (m == null) TensorInternals.setAutograd(t, m = new AutogradMeta());
        return m;
    }
}
