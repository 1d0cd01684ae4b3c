package org.grad4j.training.distributed;

/**
 * A collective failed: a peer died, stopped answering, closed its connection, called a different
 * collective or a different size, or the rendezvous did not complete in time. The message names
 * this rank and the peer (its rank and address). PyTorch raises {@code DistBackendError} here.
 * After one of these the {@link ProcessGroup} is broken: every later call throws at once.
 */
public final class DistributedException extends RuntimeException {
    /** What a rank passes on when it fails: the first failure's text, not this rank's wrapping of it. */
    private final String firstError;

    public DistributedException(String message) {
        super(message);
        this.firstError = message;
    }

    /** A failure another rank reported: {@code firstError} is its text. */
    DistributedException(String message, String firstError) {
        super(message);
        this.firstError = firstError;
    }

    public DistributedException(String message, Throwable cause) {
        super(message, cause);
        this.firstError = message;
    }

    String firstError() {
        return firstError;
    }
}
