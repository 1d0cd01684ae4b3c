package org.grad4j.training.loop;

/**
 * What an evaluation pass reports.
 *
 * @param epoch    the epoch it followed
 * @param loss     mean loss per sample
 * @param accuracy fraction of samples whose arg-max output is the target class (NaN when the outputs
 *                 are not class scores [N, C] with targets [N])
 * @param samples  samples evaluated
 * @param seconds  wall time of the pass
 */
public record EvalMetrics(int epoch, double loss, double accuracy, long samples, double seconds) {}
