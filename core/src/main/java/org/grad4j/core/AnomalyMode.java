package org.grad4j.core;

/**
 * Anomaly detection (PyTorch's {@code torch.autograd.detect_anomaly()}), per thread: while on, every
 * recorded op remembers where it was created, and a NaN or infinity produced by a backward node is an
 * error naming that node and the forward op's creation trace.
 */
public final class AnomalyMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {false});

    private AnomalyMode() {}

    /** The backward node running on this thread (anomaly mode only), so nodes it creates can name it. */
    private static final ThreadLocal<Node[]> RUNNING = ThreadLocal.withInitial(() -> new Node[1]);

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    static Node runningNode() {
        return RUNNING.get()[0];
    }

    /** Runs a node's backward with it recorded as the running node. */
    static Tensor[] running(Node node, java.util.function.Supplier<Tensor[]> backward) {
        Node[] cell = RUNNING.get();
        Node previous = cell[0];
        cell[0] = node;
        try {
            return backward.get();
        } finally {
            cell[0] = previous;
        }
    }

    /** A scope with anomaly detection on; closing it restores the previous setting. */
    public static ModeScope detectAnomaly() {
        return new ModeScope(ENABLED.get(), true);
    }
}
