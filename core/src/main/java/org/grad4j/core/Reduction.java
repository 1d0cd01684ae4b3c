package org.grad4j.core;

/** How a loss reduces its per-element values (PyTorch's {@code reduction='mean'|'sum'|'none'}). */
public enum Reduction {
    /** One value per element, in the target's shape. */
    NONE,
    /** The (weighted) mean: the default. */
    MEAN,
    /** The sum. */
    SUM
}
