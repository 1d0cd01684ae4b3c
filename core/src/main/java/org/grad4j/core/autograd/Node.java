package org.grad4j.core.autograd;

import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.grad4j.core.NodeHook;
import org.grad4j.core.RemovableHandle;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorHook;

/**
 * A backward node of the autograd graph (PyTorch's {@code grad_fn}): it maps the gradient of the one
 * tensor it produced to gradients of its inputs, which flow on along {@link #nextFunctions()}.
 * Its {@link #name()} is PyTorch's ({@code MulBackward0}, {@code AccumulateGrad}, ...).
 */
public abstract class Node {
    private static final AtomicLong NEXT_SEQUENCE_NR = new AtomicLong();

    /** Later nodes run first when several are ready, as in PyTorch. */
    final long sequenceNr;
    /** One entry per input: the node that receives that input's gradient, or null when none is needed. */
    final Node[] next;
    // Hook lists are copy-on-write and volatile: a backward on one thread iterates a snapshot while
    // another thread registers or removes hooks on the same (retained) graph.
    /** Hooks registered on the tensor this node produced ({@code Tensor.registerHook}); they run first. */
    volatile List<TensorHook> tensorPreHooks;
    /** Hooks registered on the node ({@link #registerPrehook}); they run after the tensor hooks and retainGrad. */
    volatile List<TensorHook> preHooks;
    /** Hooks registered on the node ({@link #registerHook}); they run after it, and may replace its gradients. */
    volatile List<NodeHook> postHooks;
    /** The non-leaf tensor whose {@code grad} this node fills ({@code retainGrad()}). */
    volatile Tensor retainsGradOf;
    /** Where the forward op was created, recorded in anomaly mode only. */
    final Throwable creationTrace;
    /** In anomaly mode, for a node made during a backward (createGraph): the node whose backward made it. */
    final Node anomalyParent;

    /** The node whose backward runs on this thread, in anomaly mode: nodes made meanwhile name it as their parent. */
    private static final ThreadLocal<Node[]> RUNNING = ThreadLocal.withInitial(() -> new Node[1]);

    Node(Node[] next) {
        this(next, NEXT_SEQUENCE_NR.getAndIncrement());
    }

    Node(Node[] next, long sequenceNr) {
        this.next = next;
        this.sequenceNr = sequenceNr;
        boolean anomaly = AnomalyMode.isEnabled();
        this.creationTrace = anomaly ? creationTrace() : null;
        this.anomalyParent = anomaly ? RUNNING.get()[0] : null;
    }

    /**
     * The caller's stack without the library's own frames on top, so it starts at the user's line.
     * Frames are told apart by where their class was loaded from, not by package: user code (tests
     * included) may live in org.grad4j.core too.
     */
    private static Throwable creationTrace() {
        CodeSource library = Node.class.getProtectionDomain().getCodeSource();
        StackTraceElement[] frames = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(s -> s.dropWhile(f -> Objects.equals(
                                f.getDeclaringClass().getProtectionDomain().getCodeSource(), library))
                        .map(StackWalker.StackFrame::toStackTraceElement)
                        .toArray(StackTraceElement[]::new));
        Throwable t = new Throwable("forward op created here");
        t.setStackTrace(frames);
        return t;
    }

    /** PyTorch's name for this node, e.g. {@code AddBackward0}. */
    public abstract String name();

    /** Gradients for each entry of {@link #next}, from the gradient of this node's output. */
    abstract Tensor[] apply(Tensor grad);

    /** {@link #apply} with this node recorded as the one running on this thread (anomaly mode). */
    final Tensor[] applyAsRunning(Tensor grad) {
        Node[] cell = RUNNING.get();
        Node previous = cell[0];
        cell[0] = this;
        try {
            return apply(grad);
        } finally {
            cell[0] = previous;
        }
    }

    /**
     * For a node that can give an input a row-sparse gradient (a sparse embedding): the gradients, a
     * {@link SparseGrad} where it does so; null to take the dense path, {@link #apply}.
     */
    SparseGrad[] applySparse(Tensor grad) {
        return null;
    }

    /** The tensors this node's backward keeps (its saved tensors, or for a checkpointed region, its inputs). */
    void forEachSaved(java.util.function.Consumer<SavedTensor> sink) {}

    /** Frees what backward saved; a later {@link #apply} fails if it needs it. */
    void release() {}

    /** The nodes that receive this node's gradients (null entries omitted), like {@code next_functions}. */
    public List<Node> nextFunctions() {
        List<Node> out = new ArrayList<>();
        for (Node n : next) if (n != null) out.add(n);
        return Collections.unmodifiableList(out);
    }

    /**
     * Registers a hook called with the gradient of this node's output before the node runs (after the
     * output tensor's own hooks and retainGrad); it may return a replacement (PyTorch's {@code register_prehook}).
     */
    public RemovableHandle registerPrehook(TensorHook hook) {
        synchronized (this) {
            if (preHooks == null) preHooks = new CopyOnWriteArrayList<>();
        }
        return add(preHooks, hook);
    }

    /**
     * Registers a hook called after this node ran, with the gradients it computed for its inputs and
     * the gradient it received; it may return replacements (PyTorch's {@code register_hook} on a node).
     */
    public RemovableHandle registerHook(NodeHook hook) {
        synchronized (this) {
            if (postHooks == null) postHooks = new CopyOnWriteArrayList<>();
        }
        return add(postHooks, hook);
    }

    /** A hook of the tensor this node produced ({@code Tensor.registerHook}). */
    RemovableHandle registerTensorPreHook(TensorHook hook) {
        synchronized (this) {
            if (tensorPreHooks == null) tensorPreHooks = new CopyOnWriteArrayList<>();
        }
        return add(tensorPreHooks, hook);
    }

    /**
     * Adds {@code hook}; its handle removes this registration (the last one of that same object).
     * Adding and removing hold the list's monitor, so a removal's index stays valid.
     */
    static <H> RemovableHandle add(List<H> hooks, H hook) {
        synchronized (hooks) {
            hooks.add(hook);
        }
        return new RemovableHandle(() -> {
            synchronized (hooks) {
                for (int i = hooks.size() - 1; i >= 0; i--) {
                    if (hooks.get(i) == hook) {
                        hooks.remove(i);
                        return;
                    }
                }
            }
        });
    }

    boolean hasHooks() {
        List<?> a = tensorPreHooks, b = preHooks, c = postHooks;
        return (a != null && !a.isEmpty()) || (b != null && !b.isEmpty()) || (c != null && !c.isEmpty());
    }

    /** The forward op's creation trace, when it was recorded in anomaly mode; else null. */
    public StackTraceElement[] creationStackTrace() {
        return creationTrace == null ? null : creationTrace.getStackTrace();
    }

    @Override
    public String toString() {
        return "<" + name() + ">";
    }
}
