package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.buffer;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.kernels.Buffer;

/**
 * Gradient buffers the engine owns during one backward pass: those allocated on the engine's thread
 * while it runs. Such a buffer is handed back to its backend once no pending gradient refers to it,
 * or becomes a leaf's {@code grad()} without a copy. Only used when nothing can keep gradients alive
 * behind the engine's back: no retainGraph, no createGraph, no functional grad, no hooks on the node;
 * and a buffer shown to any hook is disowned (the hook may keep it, or hand it to another thread).
 * Each backward pass has its own recycler, on its own thread. {@code -Dgrad4j.recycle=false} turns it off.
 */
final class Recycler {
    static final boolean ENABLED = !"false".equals(System.getProperty("grad4j.recycle"));

    private final Set<Buffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Buffer, int[]> pending = new IdentityHashMap<>();
    /** Sees every buffer a tensor allocates on this thread while the pass runs: those are owned. */
    private final Consumer<Buffer> allocations = owned::add;

    /** Makes {@code r} (possibly null) this thread's recycler; returns what to hand back to {@link #exit}. */
    static Consumer<Buffer> enter(Recycler r) {
        return TensorInternals.observeAllocations(r == null ? null : r.allocations);
    }

    static void exit(Consumer<Buffer> previous) {
        TensorInternals.observeAllocations(previous);
    }

    /** A gradient waits in the engine's input buffers. */
    void hold(Tensor t) {
        if (t != null) pending.computeIfAbsent(buffer(t), k -> new int[1])[0]++;
    }

    void drop(Tensor t) {
        if (t == null) return;
        int[] c = pending.get(buffer(t));
        if (c != null && --c[0] == 0) pending.remove(buffer(t));
    }

    /** Owned, and no pending gradient shares its buffer. */
    boolean exclusive(Tensor t) {
        return owned.contains(buffer(t)) && !pending.containsKey(buffer(t));
    }

    /** Gives the buffer of a dead gradient back to its backend (when exclusive and not among {@code live}). */
    void release(Tensor t, Tensor[] live) {
        if (t == null || !exclusive(t)) return;
        for (Tensor o : live) if (o != null && buffer(o) == buffer(t)) return;
        owned.remove(buffer(t));
        buffer(t).backend().release(buffer(t));
    }

    /** The buffer now belongs to someone else (a leaf's grad). */
    void disown(Tensor t) {
        owned.remove(buffer(t));
    }
}
