package org.grad4j.core.autograd;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.grad4j.core.Tensor;

/**
 * What {@code Autograd.grad} asks of a pass: the gradients arriving at the inputs' nodes are captured
 * instead of accumulated, and only the nodes through which some input is reached run.
 */
final class Capture {
    private final Tensor[] inputs;
    private final boolean allowUnused;
    private final Tensor[] captured;
    /** The node of each input (the last input wins where two share one). */
    private final Map<Node, Integer> captureAt = new IdentityHashMap<>();
    /** The nodes from which an input's node is reached; the value says whether the node itself must run. */
    private Map<Node, Boolean> needed;

    Capture(Tensor[] inputs, boolean allowUnused) {
        this.inputs = inputs;
        this.allowUnused = allowUnused;
        this.captured = new Tensor[inputs.length];
    }

    /** Finds the inputs' nodes among the discovered {@code nodes}, and which nodes lead to them. */
    void prepare(Iterable<Node> nodes) {
        for (int i = 0; i < inputs.length; i++) {
            Node n = AutogradMeta.gradEdge(inputs[i]);
            if (n == null) {
                throw new IllegalArgumentException("grad: one of the differentiated Tensors (input " + i + ", shape "
                        + Arrays.toString(inputs[i].shape()) + ") does not require grad; call requiresGrad_() on it "
                        + "before computing the outputs");
            }
            captureAt.put(n, i);
        }
        needed = neededNodes(nodes);
    }

    /** Whether an input's node can be reached from {@code node}: else it is skipped. */
    boolean reaches(Node node) {
        return needed.containsKey(node);
    }

    /** Captures {@code g} if {@code node} is an input's; true when the node need not run. */
    boolean take(Node node, Tensor g) {
        Integer at = captureAt.get(node);
        if (at != null) captured[at] = g;
        return node instanceof AccumulateGrad || !needed.get(node);
    }

    /** One gradient per input, null for an unused one (an error unless allowUnused). */
    Tensor[] result() {
        for (int i = 0; i < captured.length; i++) {
            if (captured[i] == null && !allowUnused) {
                throw new IllegalArgumentException("grad: one of the differentiated Tensors (input " + i + ", shape "
                        + Arrays.toString(inputs[i].shape()) + ") appears to not have been used in the graph. "
                        + "Set allowUnused=true if this is the desired behavior.");
            }
        }
        return captured;
    }

    private Map<Node, Boolean> neededNodes(Iterable<Node> nodes) {
        Map<Node, Boolean> reaches = new IdentityHashMap<>();
        // Iterative post-order: a node reaches a capture node if it is one or a successor reaches one.
        for (Node start : nodes) {
            if (reaches.containsKey(start)) continue;
            ArrayDeque<Node> stack = new ArrayDeque<>();
            ArrayDeque<Integer> pos = new ArrayDeque<>();
            Map<Node, Boolean> onStack = new IdentityHashMap<>();
            stack.push(start);
            pos.push(0);
            onStack.put(start, true);
            while (!stack.isEmpty()) {
                Node n = stack.peek();
                int p = pos.pop();
                if (p < n.next.length) {
                    pos.push(p + 1);
                    Node m = n.next[p];
                    if (m != null && !reaches.containsKey(m) && !onStack.containsKey(m)) {
                        stack.push(m);
                        pos.push(0);
                        onStack.put(m, true);
                    }
                } else {
                    stack.pop();
                    boolean r = captureAt.containsKey(n);
                    for (Node m : n.next) if (m != null && Boolean.TRUE.equals(reaches.get(m))) r = true;
                    reaches.put(n, r);
                }
            }
        }
        Map<Node, Boolean> result = new IdentityHashMap<>();
        for (Map.Entry<Node, Boolean> e : reaches.entrySet()) {
            if (!e.getValue()) continue;
            Node n = e.getKey();
            boolean runs = false; // must the node itself run, to pass gradients further down?
            for (Node m : n.next) if (m != null && Boolean.TRUE.equals(reaches.get(m))) runs = true;
            result.put(n, runs);
        }
        return result;
    }
}
