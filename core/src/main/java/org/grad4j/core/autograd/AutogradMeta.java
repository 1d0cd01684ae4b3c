package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.base;
import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.RemovableHandle;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorHook;
import org.grad4j.core.TensorInternals;

/**
 * A tensor's autograd state (PyTorch's {@code AutogradMeta}): whether it requires grad, the node that
 * made it, the gradient accumulated into it, and for a view made in grad mode, how its history
 * follows its base. A tensor gets one the first time it takes part in autograd (requiresGrad_, a
 * recorded op, a view made in grad mode, setGrad); the tensors that never do carry none. Only
 * autograd code writes it (ops do so through {@link Recorder}); the public static methods here are
 * the bodies of Tensor's autograd methods.
 *
 * <p>Threads: a leaf's gradient is read and written under the tensor's monitor (see AccumulateGrad);
 * the other fields are written by the thread that owns the tensor, as PyTorch's are.
 */
public final class AutogradMeta {
    /** Re-derives a view's history once its base has a new one (supplied by the view ops, like PyTorch's view_fn). */
    @FunctionalInterface
    public interface ViewRebase {
        void rebase(Tensor view, Node baseNode);
    }

    boolean requiresGrad;
    /** The node that made the tensor, null for a leaf; for a view possibly stale (see {@link #gradFn(Tensor)}). */
    Node gradFn;

    Tensor grad;
    /** A row-sparse accumulated gradient (sparse embedding); when set, {@link #grad} is null. */
    SparseGrad sparseGrad;
    /** A leaf's AccumulateGrad, made once: threads recording ops on a shared leaf must get the same node. */
    private volatile AccumulateGrad accumulator;
    /** For a view made with grad mode on: how its history is re-derived; null for any other tensor. */
    ViewRebase viewRebase;
    /** For such a view: its base's grad node when this view's history was last set. */
    Node viewBaseNode;

    AutogradMeta() {}

    /** The state of {@code t}, or null when it never took part in autograd. */
    static AutogradMeta get(Tensor t) {
        return (AutogradMeta) TensorInternals.autograd(t);
    }

    /** The state of {@code t}, made if it has none (under its monitor: setGrad may race a reader). */
    static AutogradMeta of(Tensor t) {
        AutogradMeta m = get(t);
        if (m != null) return m;
        synchronized (t) {
            if (get(t) == null) TensorInternals.setAutograd(t, new AutogradMeta());
            return get(t);
        }
    }

    public static boolean requiresGrad(Tensor t) {
        AutogradMeta m = get(t);
        return m != null && m.requiresGrad;
    }

    /** The stored grad_fn, without re-deriving a view's (for checks that must not record anything). */
    public static Node storedGradFn(Tensor t) {
        AutogradMeta m = get(t);
        return m == null ? null : m.gradFn;
    }

    public static boolean isTrackedView(Tensor t) {
        AutogradMeta m = get(t);
        return m != null && m.viewRebase != null;
    }

    // ---- the bodies of Tensor's autograd methods ---------------------------------------------

    public static Tensor requiresGrad_(Tensor t, boolean requires) {
        Node fn = gradFn(t);
        if (fn != null) {
            // as in PyTorch, asking a non-leaf (which requires grad already) to require grad is a no-op
            if (requires) return t;
            throw new IllegalStateException(
                    "requiresGrad_: you can only change requires_grad flags of leaf variables; this "
                            + "tensor (shape " + Arrays.toString(shape(t)) + ") is the output of " + fn.name()
                            + ". If you want "
                            + "to use a computed variable in a subgraph that doesn't require differentiation use detach()");
        }
        if (requires && !t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(
                    "requiresGrad_: only Tensors of floating point dtype can require gradients, got " + t.dtype()
                            + " (shape " + Arrays.toString(shape(t))
                            + "); create it as float32, e.g. Tensor.of(values, shape)");
        }
        if (requires || get(t) != null) of(t).requiresGrad = requires;
        return t;
    }

    /**
     * The node that made {@code t}. After an in-place write through another view (or to the base), the
     * base has a new history; a view's grad_fn is then re-derived from it (PyTorch regenerates it as
     * AsStridedBackward0).
     */
    public static Node gradFn(Tensor t) {
        AutogradMeta m = get(t);
        if (m == null) return null;
        if (m.viewRebase != null && requiresGrad(base(t))) {
            Node now = gradEdge(base(t));
            if (now != m.viewBaseNode) m.viewRebase.rebase(t, now);
        }
        return m.gradFn;
    }

    /** Where {@code t}'s gradient goes: its gradFn, its AccumulateGrad node (leaf), or null. */
    public static Node gradEdge(Tensor t) {
        AutogradMeta m = get(t);
        if (m == null || !m.requiresGrad) return null;
        Node fn = gradFn(t);
        if (fn != null) return fn;
        AccumulateGrad a = m.accumulator;
        return a != null ? a : m.accumulator(t);
    }

    private synchronized AccumulateGrad accumulator(Tensor t) {
        if (accumulator == null) accumulator = new AccumulateGrad(t);
        return accumulator;
    }

    /** The accumulated gradient; one that arrived row-sparse is made dense here, once, and stays dense. */
    public static Tensor grad(Tensor t) {
        AutogradMeta m = get(t);
        if (m == null) return null;
        if (m.sparseGrad != null) {
            synchronized (t) { // the lock that a backward on another thread takes to accumulate
                if (m.sparseGrad != null) {
                    m.grad = m.sparseGrad.toDense();
                    m.sparseGrad = null;
                }
            }
        }
        return m.grad;
    }

    public static SparseGrad sparseGrad(Tensor t) {
        AutogradMeta m = get(t);
        return m == null ? null : m.sparseGrad;
    }

    public static void setGrad(Tensor t, Tensor g) {
        if (g != null && !Arrays.equals(shape(g), shape(t))) {
            throw new IllegalArgumentException("setGrad: assigned grad has shape " + Arrays.toString(shape(g))
                    + " but the tensor has shape " + Arrays.toString(shape(t)));
        }
        if (g != null && backend(g) != backend(t) && !g.device().equals(t.device())) {
            throw new IllegalArgumentException("setGrad: assigned grad is on device " + g.device()
                    + " but the tensor is on " + t.device() + "; move it first, e.g. setGrad(g.to(t.device()))");
        }
        if (g == null && get(t) == null) return; // nothing to clear
        AutogradMeta m = of(t);
        synchronized (t) { // never in the middle of a backward's accumulation on another thread
            m.grad = g;
            m.sparseGrad = null;
        }
    }

    public static void retainGrad(Tensor t) {
        if (!requiresGrad(t)) {
            throw new IllegalStateException("retainGrad: can't retain_grad on Tensor that has requires_grad=False");
        }
        Node fn = gradFn(t);
        if (fn != null) fn.retainsGradOf = t;
    }

    public static boolean retainsGrad(Tensor t) {
        Node fn = gradFn(t);
        return fn != null && fn.retainsGradOf == t;
    }

    public static RemovableHandle registerHook(Tensor t, TensorHook hook) {
        if (!requiresGrad(t)) {
            throw new IllegalStateException(
                    "registerHook: cannot register a hook on a tensor that doesn't require gradient");
        }
        return gradEdge(t).registerTensorPreHook(hook);
    }

    public static RemovableHandle registerPostAccumulateGradHook(Tensor t, TensorHook hook) {
        if (gradFn(t) != null || !requiresGrad(t)) {
            throw new IllegalStateException("registerPostAccumulateGradHook: post accumulate grad hooks can only be "
                    + "registered on leaf tensors that require grad");
        }
        return ((AccumulateGrad) gradEdge(t)).registerPostAccumulateHook(hook);
    }
}
