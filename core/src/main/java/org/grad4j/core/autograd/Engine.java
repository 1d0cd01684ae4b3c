package org.grad4j.core.autograd;

import static org.grad4j.core.TensorInternals.checkSameDevice;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.grad4j.core.GradMode;
import org.grad4j.core.NodeHook;
import org.grad4j.core.SparseGrad;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.Buffer;

/**
 * The reverse-mode sweep, in three steps: {@link #discover} finds the nodes reachable from the roots
 * and counts the edges that lead into each (iteratively: 100,000-node chains are fine);
 * {@link #schedule} seeds the roots' gradients; {@link #execute} runs each node once all its incoming
 * gradients have been summed, later-created nodes first. Without retainGraph every node frees its
 * saved tensors after it ran. Each concern around a node's run has a class of its own: hooks
 * ({@link HookRunner}), anomaly detection ({@link AnomalyCheck}), buffer recycling ({@link Recycler}),
 * row-sparse gradients ({@link GraphTask}), the gradients {@code Autograd.grad} returns ({@link Capture}).
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
public final class Engine {
    private Engine() {}

    /** What a pass keeps and records: PyTorch's {@code retain_graph} and {@code create_graph}. */
    public record Options(boolean retainGraph, boolean createGraph) {
        /** {@code tensor.backward}'s reading: createGraph implies retainGraph, as in PyTorch. */
        public static Options backward(boolean retainGraph, boolean createGraph) {
            return new Options(retainGraph || createGraph, createGraph);
        }
    }

    /** Accumulates the gradients of {@code roots} into the leaves' {@code grad()} ({@code tensor.backward}). */
    public static void backward(Tensor[] roots, Tensor[] rootGrads, Options options) {
        run("backward", roots, rootGrads, options, null);
    }

    /**
     * The gradients of {@code roots} with respect to {@code inputs}, touching no {@code grad()}
     * ({@code torch.autograd.grad}); with {@code allowUnused}, null for an input the roots do not depend on.
     */
    public static Tensor[] grad(
            Tensor[] roots, Tensor[] rootGrads, Tensor[] inputs, boolean allowUnused, Options options) {
        Capture capture = new Capture(inputs, allowUnused);
        run("grad", roots, rootGrads, options, capture);
        return capture.result();
    }

    /** @param op the call the user made, named in errors */
    private static void run(String op, Tensor[] roots, Tensor[] rootGrads, Options options, Capture capture) {
        Node[] rootNodes = new Node[roots.length];
        Tensor[] grads = new Tensor[roots.length];
        for (int i = 0; i < roots.length; i++) {
            Tensor r = roots[i];
            Node n = AutogradMeta.gradEdge(r);
            if (n == null) {
                throw new IllegalArgumentException(op + ": element " + i
                        + " of tensors does not require grad and does not have "
                        + "a grad_fn: the root " + Arrays.toString(r.shape()) + " was not computed from a tensor with "
                        + "requiresGrad(true) while grad mode was on (no-grad scope, or detach()?)");
            }
            rootNodes[i] = n;
            grads[i] = rootGrad(op, r, rootGrads == null ? null : rootGrads[i], i);
        }
        Map<Node, int[]> dependencies = discover(rootNodes);
        if (capture != null) capture.prepare(dependencies.keySet());
        // Gradient buffers are recycled when nothing but the engine can hold them (see Recycler).
        boolean recycle = Recycler.ENABLED && !options.retainGraph() && !options.createGraph() && capture == null;
        GraphTask task = schedule(rootNodes, grads, dependencies, recycle ? new Recycler() : null);
        execute(task, options, capture);
    }

    private static Tensor rootGrad(String op, Tensor root, Tensor given, int i) {
        if (given == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException(op
                        + ": grad can be implicitly created only for scalar outputs: the root "
                        + "has shape " + Arrays.toString(root.shape()) + "; pass a gradient of that shape, e.g. "
                        + "backward(Tensor.onesLike(root))");
            }
            return Tensor.onesLike(root);
        }
        checkSameDevice(root, given);
        if (!Arrays.equals(given.shape(), root.shape())) {
            throw new IllegalArgumentException(op + ": Mismatch in shape: grad_output[" + i + "] has a shape of "
                    + Arrays.toString(given.shape()) + " and output[" + i + "] has a shape of "
                    + Arrays.toString(root.shape()) + "; the gradient passed to backward must have the root's shape");
        }
        return given;
    }

    // ---- 1. discover -----------------------------------------------------------------------------

    /** The nodes reachable from the roots, each with the number of edges that lead into it. */
    static Map<Node, int[]> discover(Node[] roots) {
        Map<Node, int[]> dependencies = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        for (Node n : roots) {
            if (!dependencies.containsKey(n)) {
                dependencies.put(n, new int[1]);
                stack.push(n);
            }
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            for (Node m : n.next) {
                if (m == null) continue;
                int[] d = dependencies.get(m);
                if (d == null) {
                    dependencies.put(m, new int[] {1});
                    stack.push(m);
                } else {
                    d[0]++;
                }
            }
        }
        return dependencies;
    }

    // ---- 2. schedule -----------------------------------------------------------------------------

    /** The pass's bookkeeping with the roots' gradients waiting at their nodes (summed for a repeated root). */
    private static GraphTask schedule(
            Node[] rootNodes, Tensor[] grads, Map<Node, int[]> dependencies, Recycler recycler) {
        GraphTask task = new GraphTask(dependencies, recycler);
        for (int i = 0; i < rootNodes.length; i++) task.addGradient(rootNodes[i], grads[i]);
        for (Node n : rootNodes) task.readyIfFree(n);
        return task;
    }

    // ---- 3. execute ------------------------------------------------------------------------------

    /** Runs the nodes as they become ready, in this thread's grad mode {@code createGraph}. */
    private static void execute(GraphTask task, Options options, Capture capture) {
        Recycler rec = task.recycler;
        boolean previousMode = GradMode.isEnabled();
        GradMode.setEnabled(options.createGraph());
        Consumer<Buffer> outer = Recycler.enter(rec);
        try {
            for (Node node = task.nextReady(); node != null; node = task.nextReady()) {
                Tensor g = task.takeGradient(node);
                SparseGrad sg = task.takeSparseGradient(node);
                boolean recycle = rec != null && sg == null && !node.hasHooks();
                if (capture != null && !capture.reaches(node)) continue;
                if (sg != null) {
                    // a leaf with no hooks keeps a row-sparse gradient; anything else gets it dense
                    if (g == null && node instanceof AccumulateGrad acc && !node.hasHooks() && capture == null) {
                        acc.accumulateSparse(sg);
                        continue;
                    }
                    g = g == null ? sg.toDense() : g.add(sg.toDense());
                }
                if (g != null) g = HookRunner.beforeNode(node, g, rec, capture == null);
                if (capture != null && capture.take(node, g)) continue;
                List<NodeHook> postHooks = node.postHooks;
                // post-hooks see dense gradients: a node with some takes the dense path
                SparseGrad[] sparse = g == null || postHooks != null ? null : node.applySparse(g);
                Tensor[] outs =
                        g == null || sparse != null ? new Tensor[node.next.length] : apply(node, g, recycle, rec);
                if (g != null && postHooks != null) outs = HookRunner.afterNode(node, postHooks, outs, g, rec);
                if (AnomalyMode.isEnabled()) AnomalyCheck.check(node, outs);
                if (!options.retainGraph()) node.release();
                task.passOn(node, outs, sparse, recycle ? g : null);
            }
        } finally {
            GradMode.setEnabled(previousMode);
            Recycler.exit(outer);
        }
    }

    /** The node's gradients for its inputs; a leaf takes a gradient the engine owns without a copy. */
    private static Tensor[] apply(Node node, Tensor g, boolean recycle, Recycler rec) {
        if (AnomalyMode.isEnabled()) return node.applyAsRunning(g); // nodes it records name it as their parent
        // the cheap unlocked canTake comes first: no hash lookups once a leaf has its grad
        if (recycle && node instanceof AccumulateGrad acc && acc.canTake(g) && rec.exclusive(g) && acc.takeOwned(g)) {
            rec.disown(g); // the first gradient became grad() as it is: no copy
            return new Tensor[0];
        }
        return node.apply(g);
    }
}
