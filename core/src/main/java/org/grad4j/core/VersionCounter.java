package org.grad4j.core;

/**
 * Counts in-place writes to a storage. Views and {@code detach()} share their base's counter, so a
 * write through any of them is seen by the saved-tensor check; {@code data()} gets a counter of its
 * own (its writes are untracked, as PyTorch's {@code .data}).
 */
final class VersionCounter {
    int value;
}
