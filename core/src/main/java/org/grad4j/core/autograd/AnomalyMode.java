package org.grad4j.core.autograd;

import org.grad4j.core.ModeScope;

/**
 * Anomaly detection (PyTorch's {@code torch.autograd.detect_anomaly()}), per thread: while on, every
 * recorded op remembers where it was created, and a NaN or infinity produced by a backward node is an
 * error naming that node and the forward op's creation trace. This is the switch; the nodes keep the
 * traces ({@link Node}) and {@link AnomalyCheck} checks their gradients.
 */
public final class AnomalyMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {false});

    private AnomalyMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** A scope with anomaly detection on; closing it restores the previous setting. */
    public static ModeScope detectAnomaly() {
        return new ModeScope(ENABLED.get(), true);
    }
}
