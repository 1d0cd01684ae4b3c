package org.grad4j.core;

/**
 * A scope that sets a per-thread mode (grad mode, anomaly detection) and restores the previous value
 * when closed: {@code try (var s = Torch.noGrad()) { ... }}.
 */
public final class ModeScope implements AutoCloseable {
    private final boolean[] cell;
    private final boolean previous;

    /** Sets {@code cell[0]} (a thread's flag, e.g. GradMode's or AnomalyMode's) to {@code enabled} until {@link #close()}. */
    public ModeScope(boolean[] cell, boolean enabled) {
        this.cell = cell;
        this.previous = cell[0];
        cell[0] = enabled;
    }

    @Override
    public void close() {
        cell[0] = previous;
    }
}
