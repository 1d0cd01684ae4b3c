package org.grad4j.core.autograd;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;

/**
 * One backward pass's bookkeeping, owned by the thread that runs it: how many edges still lead into
 * each node, the gradients waiting at each node (summed where paths meet; row-sparse ones kept apart
 * until a node needs them dense), the nodes ready to run, and the pass's {@link Recycler}.
 */
final class GraphTask {
    private final Map<Node, int[]> dependencies;
    private final Map<Node, Tensor> buffers = new IdentityHashMap<>();
    private final Map<Node, SparseGrad> sparseBuffers = new IdentityHashMap<>();
    /** Later nodes run first when several are ready, as in PyTorch. */
    private final PriorityQueue<Node> ready = new PriorityQueue<>((a, b) -> Long.compare(b.sequenceNr, a.sequenceNr));
    /** The pass's recycler, or null when it does not recycle. */
    final Recycler recycler;

    GraphTask(Map<Node, int[]> dependencies, Recycler recycler) {
        this.dependencies = dependencies;
        this.recycler = recycler;
    }

    /** A root's gradient, added to what waits at its node. */
    void addGradient(Node n, Tensor g) {
        Tensor prev = buffers.get(n);
        Tensor sum = prev == null ? g : prev.add(g);
        buffers.put(n, sum);
        if (recycler != null) {
            recycler.drop(prev);
            recycler.hold(sum);
        }
    }

    /** Queues a root that no other root's path leads into. */
    void readyIfFree(Node n) {
        int[] d = dependencies.get(n);
        if (d[0] == 0) {
            d[0] = -1; // queued
            ready.add(n);
        }
    }

    /** The next node to run, or null when the pass is done. */
    Node nextReady() {
        return ready.poll();
    }

    /** The summed dense gradient waiting at {@code node} (null if none came), taken out of the buffers. */
    Tensor takeGradient(Node node) {
        Tensor g = buffers.remove(node);
        if (recycler != null) recycler.drop(g);
        return g;
    }

    /** The row-sparse gradient waiting at {@code node}, or null. */
    SparseGrad takeSparseGradient(Node node) {
        return sparseBuffers.remove(node);
    }

    /**
     * Hands the gradients {@code node} computed to the nodes its edges lead to, and queues each one
     * whose last incoming edge this was. With {@code spent} (the gradient the node ran on, when the pass
     * may recycle it), the buffers that are now dead go back to their backend.
     */
    void passOn(Node node, Tensor[] outs, SparseGrad[] sparse, Tensor spent) {
        Tensor[] merged = null; // gradients summed into new ones: dead unless shared
        for (int i = 0; i < node.next.length; i++) {
            Node m = node.next[i];
            if (m == null) continue;
            if (outs[i] != null) {
                Tensor prev = buffers.get(m);
                Tensor sum = prev == null ? outs[i] : prev.add(outs[i]);
                buffers.put(m, sum);
                if (recycler != null) {
                    recycler.hold(sum);
                    if (prev != null) {
                        recycler.drop(prev);
                        if (merged == null) merged = new Tensor[2 * node.next.length];
                        merged[2 * i] = prev;
                        merged[2 * i + 1] = outs[i];
                    }
                }
            }
            if (sparse != null && sparse[i] != null) sparseBuffers.merge(m, sparse[i], SparseGrad::add);
            int[] d = dependencies.get(m);
            if (--d[0] == 0) ready.add(m);
        }
        if (spent != null) {
            recycler.release(spent, outs);
            if (merged != null) for (Tensor t : merged) recycler.release(t, outs);
        }
    }
}
