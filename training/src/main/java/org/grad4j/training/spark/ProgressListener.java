package org.grad4j.training.spark;

import org.grad4j.training.loop.StepMetrics;

/**
 * What the driver hears from the workers while {@link SparkTrainer#fit} runs: rank 0 streams every step
 * (its loss is the mean over all workers) and a line at each event (rendezvous, resume, checkpoint).
 * Called on one background thread of the driver, in the order sent; {@code attempt} is the Spark
 * stage attempt (0, then 1, ... after a lost worker). Best effort: a driver the workers cannot reach
 * gets no progress, and the training goes on; the {@link SparkTrainer.Result} has every step anyway.
 */
public interface ProgressListener {
    default void onStep(int attempt, StepMetrics step) {}

    default void onStatus(int attempt, String message) {}

    ProgressListener NONE = new ProgressListener() {};
}
