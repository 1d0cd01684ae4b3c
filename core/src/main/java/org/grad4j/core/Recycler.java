package org.grad4j.core;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
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
    private static final ThreadLocal<Recycler> CURRENT = new ThreadLocal<>();

    private final Set<Buffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Buffer, int[]> pending = new IdentityHashMap<>();

    /** Makes {@code r} (possibly null) this thread's recycler; returns the previous one, for {@link #exit}. */
    static Recycler enter(Recycler r) {
        Recycler previous = CURRENT.get();
        CURRENT.set(r);
        return previous;
    }

    static void exit(Recycler previous) {
        CURRENT.set(previous);
    }

    /** Called for every buffer a tensor allocates: owned when a recycling backward runs on this thread. */
    static void allocated(Buffer b) {
        Recycler r = CURRENT.get();
        if (r != null) r.owned.add(b);
    }

    /** A gradient waits in the engine's input buffers. */
    void hold(Tensor t) {
        if (t != null) pending.computeIfAbsent(t.buffer, k -> new int[1])[0]++;
    }

    void drop(Tensor t) {
        if (t == null) return;
        int[] c = pending.get(t.buffer);
        if (c != null && --c[0] == 0) pending.remove(t.buffer);
    }

    /** Owned, and no pending gradient shares its buffer. */
    boolean exclusive(Tensor t) {
        return owned.contains(t.buffer) && !pending.containsKey(t.buffer);
    }

    /** Gives the buffer of a dead gradient back to its backend (when exclusive and not among {@code live}). */
    void release(Tensor t, Tensor[] live) {
        if (t == null || !exclusive(t)) return;
        for (Tensor o : live) if (o != null && o.buffer == t.buffer) return;
        owned.remove(t.buffer);
        t.buffer.backend().release(t.buffer);
    }

    /** The buffer now belongs to someone else (a leaf's grad). */
    void disown(Tensor t) {
        owned.remove(t.buffer);
    }
}
