package org.grad4j.kernels;

/** Reductions. MAX/MIN also report the position of the first extreme element (NaN wins, as in PyTorch). */
public enum ReduceOp {
    SUM, MAX, MIN
}
