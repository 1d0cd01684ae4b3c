package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import java.util.List;
import org.grad4j.core.GradMode;
import org.grad4j.core.NodeHook;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorHook;

/**
 * Runs a node's hooks during backward, in PyTorch 2.x's order: the hooks of the tensor the node made,
 * retain_grad (which sees their result), the node's pre-hooks, the node, its post-hooks. A hook may
 * keep what it is given (or hand it to another thread), so the engine stops owning those buffers:
 * they are never recycled. Hook lists are snapshots (copy-on-write): a hook may remove itself.
 */
final class HookRunner {
    private HookRunner() {}

    /** The gradient arriving at {@code node} after its tensor's hooks, retain_grad (when {@code retain}) and its pre-hooks. */
    static Tensor beforeNode(Node node, Tensor g, Recycler rec, boolean retain) {
        g = run(node, node.tensorPreHooks, g, rec);
        Tensor retained = node.retainsGradOf;
        if (retained != null && retain) retainGrad(retained, g);
        return run(node, node.preHooks, g, rec);
    }

    private static Tensor run(Node node, List<TensorHook> hooks, Tensor g, Recycler rec) {
        if (hooks == null || hooks.isEmpty()) return g;
        for (TensorHook h : hooks) {
            if (rec != null) rec.disown(g);
            Tensor r = h.apply(g);
            if (r != null && !Arrays.equals(shape(r), shape(g))) {
                // caught here: further down it would fail far from its cause, or broadcast silently
                throw new IllegalStateException("hook registered on "
                        + (node instanceof AccumulateGrad ? "a leaf" : "the tensor made by " + node.name())
                        + " has changed the size of the gradient: it returned shape " + Arrays.toString(shape(r))
                        + " for a gradient of shape " + Arrays.toString(shape(g)) + "; a hook must return a "
                        + "gradient of the same shape (or null to keep it)");
            }
            if (r != null) g = r;
        }
        if (rec != null) rec.disown(g);
        return g;
    }

    /** Accumulates into a non-leaf's retained grad, under its lock (as a leaf's; see AccumulateGrad). */
    private static void retainGrad(Tensor t, Tensor g) {
        AutogradMeta m = AutogradMeta.of(t);
        synchronized (t) {
            if (m.grad == null) {
                // a copy of its own, as for leaves: g may be shared with other inputs or a stride-0 view
                m.grad = GradMode.isEnabled() ? g.clone() : g.detach().clone();
            } else {
                m.grad = m.grad.add(g);
            }
        }
    }

    /**
     * Post-hooks see the gradients the node computed (one per input, null where none) and the gradient
     * it received, and may replace the former.
     */
    static Tensor[] afterNode(Node node, List<NodeHook> hooks, Tensor[] gradInputs, Tensor gradOutput, Recycler rec) {
        Tensor[] outs = gradInputs;
        if (hooks.isEmpty()) return outs;
        for (NodeHook h : hooks) {
            if (rec != null) {
                rec.disown(gradOutput);
                for (Tensor t : outs) if (t != null) rec.disown(t);
            }
            Tensor[] r = h.apply(outs.clone(), new Tensor[] {gradOutput});
            if (r == null) continue;
            if (r.length != outs.length) {
                throw new IllegalArgumentException(
                        "hook registered on " + node.name() + " returned " + r.length + " gradients, but the node has "
                                + outs.length + " inputs; return one per input (null where none)");
            }
            for (int i = 0; i < r.length; i++) {
                if (r[i] != null && outs[i] != null && !Arrays.equals(r[i].shape(), outs[i].shape())) {
                    throw new IllegalArgumentException("hook registered on " + node.name()
                            + " changed the shape of gradient "
                            + i + " from " + Arrays.toString(outs[i].shape()) + " to " + Arrays.toString(r[i].shape())
                            + "; a replacement gradient must keep the shape");
                }
            }
            outs = r;
        }
        if (rec != null) for (Tensor t : outs) if (t != null) rec.disown(t);
        return outs;
    }
}
