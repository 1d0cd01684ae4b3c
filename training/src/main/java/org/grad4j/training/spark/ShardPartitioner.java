package org.grad4j.training.spark;

import org.apache.spark.Partitioner;

/**
 * Deals the samples to the workers so that N workers with batch b see, step for step, the samples one
 * process with batch N·b would: with samples numbered 0, 1, 2, ... in the data's order, global batch k
 * is samples {@code [k·N·b, (k+1)·N·b)}, and worker r takes its slice {@code [k·N·b + r·b, k·N·b + (r+1)·b)}.
 * The key is the sample's number; worker r's partition, sorted by key, is its batches in order.
 */
final class ShardPartitioner extends Partitioner {
    private final int workers, batchSize;

    ShardPartitioner(int workers, int batchSize) {
        this.workers = workers;
        this.batchSize = batchSize;
    }

    @Override
    public int numPartitions() {
        return workers;
    }

    @Override
    public int getPartition(Object key) {
        return worker((Long) key, workers, batchSize);
    }

    /** The worker that trains on sample {@code index}. */
    static int worker(long index, int workers, int batchSize) {
        return (int) ((index / batchSize) % workers);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShardPartitioner p && p.workers == workers && p.batchSize == batchSize;
    }

    @Override
    public int hashCode() {
        return 31 * workers + batchSize;
    }
}
