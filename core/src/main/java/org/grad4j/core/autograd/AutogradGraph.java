package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.buffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grad4j.core.Tensor;

/**
 * Looking at the graph behind a tensor: its nodes, and what its backward keeps in memory (the saved
 * tensors, counted once per storage). Used to show what activation checkpointing saves, and by
 * the tools' GraphViz to draw the graph.
 */
public final class AutogradGraph {
    private AutogradGraph() {}

    /** The nodes reachable from {@code root}'s grad_fn (or its AccumulateGrad), root first, each once. */
    public static List<Node> nodes(Tensor root) {
        List<Node> out = new ArrayList<>();
        Node start = AutogradMeta.gradEdge(root);
        if (start == null) return out;
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> queue = new ArrayDeque<>();
        queue.add(start);
        seen.add(start);
        while (!queue.isEmpty()) { // breadth first: no recursion, any depth
            Node n = queue.poll();
            out.add(n);
            for (Node m : n.next) if (m != null && seen.add(m)) queue.add(m);
        }
        return out;
    }

    /** The distinct storages the graph's saved tensors hold now (freed ones and checkpoint handles hold none). */
    static Map<Object, Integer> heldStorages(Tensor root) {
        Map<Object, Integer> storages = new IdentityHashMap<>();
        for (Node n : nodes(root)) {
            n.forEachSaved(
                    s -> s.forEachHeld(t -> storages.put(buffer(t), buffer(t).size())));
        }
        return storages;
    }

    /** How many distinct storages the graph's saved tensors hold (views of one storage count once). */
    public static int savedTensorCount(Tensor root) {
        return heldStorages(root).size();
    }

    /** The bytes held by the graph's saved tensors (float32 storages, each counted once). */
    public static long savedBytes(Tensor root) {
        long bytes = 0;
        for (int size : heldStorages(root).values()) bytes += 4L * size;
        return bytes;
    }

    /** The leaf whose gradient {@code node} accumulates, when it is a leaf's AccumulateGrad; else null. */
    public static Tensor variable(Node node) {
        return node instanceof AccumulateGrad acc ? acc.variable : null;
    }

    /** The non-leaf tensor whose {@code grad()} {@code node} fills ({@code retainGrad()}), or null. */
    public static Tensor retainedGradOf(Node node) {
        return node.retainsGradOf;
    }

    /** The tensors a node's backward keeps now (empty after a backward without retainGraph). */
    public static List<Tensor> savedTensors(Node node) {
        List<Tensor> out = new ArrayList<>();
        node.forEachSaved(s -> s.forEachHeld(out::add));
        return out;
    }
}
