package org.grad4j.core;

/** Returned when a hook is registered; {@link #remove()} unregisters it. */
public final class RemovableHandle {
    private final Runnable remover;
    private boolean removed;

    /** A handle whose {@link #remove()} runs {@code remover} once. */
    public RemovableHandle(Runnable remover) {
        this.remover = remover;
    }

    public synchronized void remove() {
        if (!removed) {
            removed = true;
            remover.run();
        }
    }
}
