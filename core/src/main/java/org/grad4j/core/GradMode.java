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
    public static ModeScope noGrad() {
        return new ModeScope(ENABLED.get(), false);
    }

    /** A scope in which recording is on again (inside a no-grad scope, say). */
    public static ModeScope enableGrad() {
        return new ModeScope(ENABLED.get(), true);
    }
}
