package org.grad4j.core;

/**
 * Whether operations are recorded for autograd, per thread (PyTorch's {@code torch.no_grad()}).
 * Use it with try-with-resources:
 * <pre>{@code try (var scope = GradMode.noGrad()) { w.sub_(w.grad().mul(lr)); } }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Sets the mode for this thread; prefer the scopes, which restore the previous mode. */
    public static void setEnabled(boolean enabled) {
        ENABLED.get()[0] = enabled;
    }

    /** A scope in which nothing is recorded; closing it restores the previous mode. */
    public static Scope noGrad() {
        return new Scope(false);
    }

    /** A scope in which recording is on again (inside a no-grad scope, say). */
    public static Scope enableGrad() {
        return new Scope(true);
    }

    /** A grad-mode scope; {@link #close()} restores the mode that was in force when it opened. */
    public static final class Scope implements AutoCloseable {
        private final boolean previous;
        private final boolean[] cell;

        Scope(boolean enabled) {
            cell = ENABLED.get();
            previous = cell[0];
            cell[0] = enabled;
        }

        @Override
        public void close() {
            cell[0] = previous;
        }
    }
}
