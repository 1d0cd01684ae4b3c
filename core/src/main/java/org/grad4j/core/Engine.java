package org.grad4j.core;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The reverse-mode sweep. It finds the nodes reachable from the roots and counts how many edges
 * lead into each (iteratively: 100,000-node chains are fine), then runs each node once all its
 * incoming gradients have been summed, later-created nodes first. Without retainGraph every node
 * frees its saved tensors after it ran.
 *
 * <p>Threads: each run keeps its bookkeeping (edge counts, pending gradients, recycled buffers) to
 * itself, so backward passes may run on several threads at once, on separate graphs sharing leaves
 * or on one graph kept with retainGraph. What they share is written under a lock: a leaf's
 * {@code grad()} (see {@link AccumulateGrad}), a retained non-leaf grad, a checkpointed region's
 * recomputation, hook lists. Not made safe, as in PyTorch: hooks may run on several threads at once
 * (except a leaf's post-accumulate hooks) and must be thread-safe themselves; one graph backwarded
 * concurrently without retainGraph fails in whichever pass finds its saved tensors freed; reading,
 * zeroing or stepping a {@code grad()} while another thread's backward adds into it is the caller's
 * race (join the backward threads first).
 */
final class Engine {
    private Engine() {}

    /**
     * @param inputs when non-null, the gradients of these tensors are returned (torch.autograd.grad)
     *               and no {@code grad()} is touched; otherwise leaves accumulate into {@code grad()}.
     */
    static Tensor[] run(Tensor[] roots, Tensor[] rootGrads, boolean retainGraph, boolean createGraph,
                        Tensor[] inputs, boolean allowUnused) {
        String op = inputs == null ? "backward" : "grad"; // errors name the call the user made
        Node[] rootNodes = new Node[roots.length];
        Tensor[] grads = new Tensor[roots.length];
        for (int i = 0; i < roots.length; i++) {
            Tensor r = roots[i];
            Node n = r.gradEdge();
            if (n == null) {
                throw new IllegalArgumentException(op + ": element " + i + " of tensors does not require grad and does not have "
                        + "a grad_fn: the root " + Arrays.toString(r.shape()) + " was not computed from a tensor with "
                        + "requiresGrad(true) while grad mode was on (no-grad scope, or detach()?)");
            }
            rootNodes[i] = n;
            grads[i] = rootGrad(op, r, rootGrads == null ? null : rootGrads[i], i);
        }

        // Discover the graph and count incoming edges.
        Map<Node, int[]> deps = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        for (Node n : rootNodes) {
            if (!deps.containsKey(n)) {
                deps.put(n, new int[1]);
                stack.push(n);
            }
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            for (Node m : n.next) {
                if (m == null) continue;
                int[] d = deps.get(m);
                if (d == null) {
                    deps.put(m, new int[] {1});
                    stack.push(m);
                } else {
                    d[0]++;
                }
            }
        }

        // In capture mode, run only the nodes through which some input is reached.
        Map<Node, Integer> captureAt = null;
        Map<Node, Boolean> needed = null;
        Tensor[] captured = null;
        if (inputs != null) {
            captureAt = new IdentityHashMap<>();
            captured = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                Node n = inputs[i].gradEdge();
                if (n == null) {
                    throw new IllegalArgumentException("grad: one of the differentiated Tensors (input " + i + ", shape "
                            + Arrays.toString(inputs[i].shape()) + ") does not require grad; call requiresGrad_() on it "
                            + "before computing the outputs");
                }
                captureAt.put(n, i);
            }
            needed = neededNodes(deps.keySet(), captureAt);
        }

        Map<Node, Tensor> buffers = new IdentityHashMap<>();
        Map<Node, SparseGrad> sparseBuffers = new IdentityHashMap<>();
        PriorityQueue<Node> ready = new PriorityQueue<>((a, b) -> Long.compare(b.sequenceNr, a.sequenceNr));
        // Gradient buffers are recycled when nothing but the engine can hold them (see Recycler).
        Recycler rec = Recycler.ENABLED && !retainGraph && !createGraph && inputs == null ? new Recycler() : null;
        for (int i = 0; i < rootNodes.length; i++) {
            Node n = rootNodes[i];
            Tensor prev = buffers.get(n);
            Tensor sum = prev == null ? grads[i] : prev.add(grads[i]);
            buffers.put(n, sum);
            if (rec != null) {
                rec.drop(prev);
                rec.hold(sum);
            }
        }
        for (Node n : rootNodes) {
            int[] d = deps.get(n);
            if (d[0] == 0) {
                d[0] = -1; // queued
                ready.add(n);
            }
        }

        boolean previousMode = GradMode.isEnabled();
        GradMode.setEnabled(createGraph);
        Recycler outer = Recycler.enter(rec);
        try {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor g = buffers.remove(node);
                if (rec != null) rec.drop(g);
                SparseGrad sg = sparseBuffers.remove(node);
                boolean recycle = rec != null && sg == null && !node.hasHooks();
                if (needed != null && !needed.containsKey(node)) continue;
                if (sg != null) {
                    // a leaf with no hooks keeps a row-sparse gradient; anything else gets it dense
                    if (g == null && node instanceof AccumulateGrad acc && !node.hasHooks() && captureAt == null) {
                        acc.accumulateSparse(sg);
                        continue;
                    }
                    g = g == null ? sg.toDense() : g.add(sg.toDense());
                }
                // PyTorch 2.x order: tensor hooks, retain_grad (sees their result), node pre-hooks, the node, post-hooks
                if (g != null) g = runHooks(node, node.tensorPreHooks, g, rec);
                Tensor retained = node.retainsGradOf;
                if (g != null && retained != null && inputs == null) retain(retained, g);
                if (g != null) g = runHooks(node, node.preHooks, g, rec);
                if (captureAt != null) {
                    Integer at = captureAt.get(node);
                    if (at != null) captured[at] = g;
                    if (node instanceof AccumulateGrad || !needed.get(node)) continue;
                }
                // post-hooks see dense gradients: a node with some takes the dense path
                SparseGrad[] sparse = g == null || node.postHooks != null ? null : node.applySparse(g);
                Tensor[] outs;
                if (g == null || sparse != null) {
                    outs = new Tensor[node.next.length];
                } else if (AnomalyMode.isEnabled()) {
                    Tensor gradOut = g; // nodes made while this one runs (createGraph) remember it as their parent
                    outs = AnomalyMode.running(node, () -> node.apply(gradOut));
                } else if (recycle && node instanceof AccumulateGrad acc && acc.canTake(g) && rec.exclusive(g)
                        && acc.takeOwned(g)) {
                    rec.disown(g); // the first gradient became grad() as it is: no copy
                    outs = new Tensor[0];
                } else {
                    outs = node.apply(g);
                }
                if (g != null && node.postHooks != null) outs = runPostHooks(node, outs, g, rec);
                if (AnomalyMode.isEnabled()) checkAnomaly(node, outs);
                if (!retainGraph) node.release();
                Tensor[] merged = null; // gradients summed into new ones: dead unless shared
                for (int i = 0; i < node.next.length; i++) {
                    Node m = node.next[i];
                    if (m == null) continue;
                    if (outs[i] != null) {
                        Tensor prev = buffers.get(m);
                        Tensor sum = prev == null ? outs[i] : prev.add(outs[i]);
                        buffers.put(m, sum);
                        if (rec != null) {
                            rec.hold(sum);
                            if (prev != null) {
                                rec.drop(prev);
                                if (merged == null) merged = new Tensor[2 * node.next.length];
                                merged[2 * i] = prev;
                                merged[2 * i + 1] = outs[i];
                            }
                        }
                    }
                    if (sparse != null && sparse[i] != null) sparseBuffers.merge(m, sparse[i], SparseGrad::add);
                    int[] d = deps.get(m);
                    if (--d[0] == 0) ready.add(m);
                }
                if (recycle) {
                    Tensor[] live = outs;
                    rec.release(g, live);
                    if (merged != null) for (Tensor t : merged) rec.release(t, live);
                }
            }
        } finally {
            GradMode.setEnabled(previousMode);
            Recycler.exit(outer);
        }

        if (inputs == null) return null;
        for (int i = 0; i < captured.length; i++) {
            if (captured[i] == null && !allowUnused) {
                throw new IllegalArgumentException("grad: one of the differentiated Tensors (input " + i + ", shape "
                        + Arrays.toString(inputs[i].shape()) + ") appears to not have been used in the graph. "
                        + "Set allowUnused=true if this is the desired behavior.");
            }
        }
        return captured;
    }

    private static Tensor rootGrad(String op, Tensor root, Tensor given, int i) {
        if (given == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException(op + ": grad can be implicitly created only for scalar outputs: the root "
                        + "has shape " + Arrays.toString(root.shape()) + "; pass a gradient of that shape, e.g. "
                        + "backward(Tensor.onesLike(root))");
            }
            return Tensor.onesLike(root);
        }
        Devices.checkSame(root, given);
        if (!Arrays.equals(given.shape(), root.shape())) {
            throw new IllegalArgumentException(op + ": Mismatch in shape: grad_output[" + i + "] has a shape of "
                    + Arrays.toString(given.shape()) + " and output[" + i + "] has a shape of "
                    + Arrays.toString(root.shape()) + "; the gradient passed to backward must have the root's shape");
        }
        return given;
    }

    /** Nodes from which a capture node can be reached; the value says whether the node must run. */
    private static Map<Node, Boolean> neededNodes(Iterable<Node> nodes, Map<Node, Integer> captureAt) {
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
        Map<Node, Boolean> needed = new IdentityHashMap<>();
        for (Map.Entry<Node, Boolean> e : reaches.entrySet()) {
            if (!e.getValue()) continue;
            Node n = e.getKey();
            boolean runs = false; // must the node itself run, to pass gradients further down?
            for (Node m : n.next) if (m != null && Boolean.TRUE.equals(reaches.get(m))) runs = true;
            needed.put(n, runs);
        }
        return needed;
    }

    /**
     * Runs {@code hooks} on a node's gradient. A hook may keep what it is given (or hand it to another
     * thread), so the engine stops owning those buffers: they are never recycled.
     */
    private static Tensor runHooks(Node node, List<TensorHook> hooks, Tensor g, Recycler rec) {
        if (hooks == null || hooks.isEmpty()) return g;
        for (TensorHook h : hooks) { // a snapshot (copy-on-write): a hook may remove itself
            if (rec != null) rec.disown(g);
            Tensor r = h.apply(g);
            if (r != null && !Arrays.equals(r.shape, g.shape)) {
                // caught here: further down it would fail far from its cause, or broadcast silently
                throw new IllegalStateException("hook registered on "
                        + (node instanceof AccumulateGrad ? "a leaf" : "the tensor made by " + node.name())
                        + " has changed the size of the gradient: it returned shape " + Arrays.toString(r.shape)
                        + " for a gradient of shape " + Arrays.toString(g.shape) + "; a hook must return a "
                        + "gradient of the same shape (or null to keep it)");
            }
            if (r != null) g = r;
        }
        if (rec != null) rec.disown(g);
        return g;
    }

    /** Post-hooks see the gradients the node computed (one per input, null where none) and may replace them. */
    private static Tensor[] runPostHooks(Node node, Tensor[] gradInputs, Tensor gradOutput, Recycler rec) {
        Tensor[] outs = gradInputs;
        List<NodeHook> hooks = node.postHooks;
        if (hooks.isEmpty()) return outs;
        for (NodeHook h : hooks) { // a snapshot (copy-on-write): a hook may remove itself
            if (rec != null) {
                rec.disown(gradOutput); // the hook may keep these (see runHooks)
                for (Tensor t : outs) if (t != null) rec.disown(t);
            }
            Tensor[] r = h.apply(outs.clone(), new Tensor[] {gradOutput});
            if (r == null) continue;
            if (r.length != outs.length) {
                throw new IllegalArgumentException("hook registered on " + node.name() + " returned " + r.length
                        + " gradients, but the node has " + outs.length + " inputs; return one per input (null where none)");
            }
            for (int i = 0; i < r.length; i++) {
                if (r[i] != null && outs[i] != null && !Arrays.equals(r[i].shape(), outs[i].shape())) {
                    throw new IllegalArgumentException("hook registered on " + node.name() + " changed the shape of gradient "
                            + i + " from " + Arrays.toString(outs[i].shape()) + " to " + Arrays.toString(r[i].shape())
                            + "; a replacement gradient must keep the shape");
                }
            }
            outs = r;
        }
        if (rec != null) for (Tensor t : outs) if (t != null) rec.disown(t);
        return outs;
    }

    /** Accumulates into a non-leaf's retained grad, under its lock (as a leaf's; see AccumulateGrad). */
    private static void retain(Tensor t, Tensor g) {
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

    private static void checkAnomaly(Node node, Tensor[] outs) {
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] == null) continue;
            for (float v : outs[i].toFloatArray()) {
                if (Float.isNaN(v) || Float.isInfinite(v)) {
                    ArithmeticException e = new ArithmeticException(anomalyMessage(node, i, Float.isNaN(v) ? "nan" : "inf"));
                    if (node.creationTrace != null) e.initCause(node.creationTrace);
                    throw e;
                }
            }
        }
    }

    /** Names the backward node, its forward op and where that op was created (and, for double backward, its parent). */
    static String anomalyMessage(Node node, int output, String what) {
        StringBuilder sb = new StringBuilder("Function '" + node.name() + "' returned " + what + " values in its " + output
                + "th output. Error detected in " + node.name() + ", the backward of the forward op '" + forwardOpName(node)
                + "'");
        if (node.creationTrace == null) {
            sb.append(". Run the forward pass inside Torch.detectAnomaly() too, to see where that op was created.");
            return sb.toString();
        }
        sb.append(", which was created at (Java stack of the forward call):");
        appendTrace(sb, node.creationTrace);
        for (Node p = node.anomalyParent; p != null; p = p.anomalyParent) {
            sb.append("\nThe op was recorded during the backward of ").append(p.name()).append(" (createGraph), whose forward op '")
                    .append(forwardOpName(p)).append("' was created at:");
            if (p.creationTrace != null) appendTrace(sb, p.creationTrace);
        }
        sb.append("\nCheck that op's inputs for values outside its domain (log or sqrt of a negative number, division by "
                + "zero, ...) or the gradient flowing into it.");
        return sb.toString();
    }

    /** {@code LogBackward0} → {@code log}, {@code MaxPool2DWithIndicesBackward0} → {@code maxPool2DWithIndices}. */
    static String forwardOpName(Node node) {
        String base = node.name().replaceAll("Backwards?\\d*$", "");
        return base.isEmpty() ? node.name() : Character.toLowerCase(base.charAt(0)) + base.substring(1);
    }

    /** The creation stack without the recording machinery's own frames (the node and recorder constructors). */
    private static void appendTrace(StringBuilder sb, Throwable trace) {
        boolean started = false;
        for (StackTraceElement e : trace.getStackTrace()) {
            String c = e.getClassName();
            boolean machinery = c.equals(Node.class.getName()) || c.equals(OpNode.class.getName())
                    || c.equals(Recorder.class.getName()) || e.getMethodName().equals("<init>") && c.startsWith("org.grad4j.core.");
            if (!started && machinery) continue;
            started = true;
            sb.append("\n\tat ").append(e);
        }
    }
}
