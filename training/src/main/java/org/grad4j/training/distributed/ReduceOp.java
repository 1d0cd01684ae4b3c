package org.grad4j.training.distributed;

/** How {@link ProcessGroup#allReduce} combines the ranks' values ({@code torch.distributed.ReduceOp}). */
public enum ReduceOp {
    /** The sum over the ranks. */
    SUM,
    /** The sum divided by the world size (once, on the rank that owns each chunk, so every rank gets the same bits). */
    AVG
}
