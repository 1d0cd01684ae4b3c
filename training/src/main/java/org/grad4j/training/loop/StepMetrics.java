package org.grad4j.training.loop;

/**
 * What one training step reports.
 *
 * @param epoch            the epoch the step belongs to
 * @param step             optimizer steps taken so far by the trainer, this one included (1-based)
 * @param batch            the batch's index within its epoch (0-based)
 * @param loss             the batch's loss
 * @param batchSize        samples in the batch
 * @param samplesPerSecond batch size over the wall time since the previous step ended (data wait included)
 * @param lr               the learning rate of the first parameter group during this step
 */
public record StepMetrics(
        int epoch, long step, int batch, double loss, int batchSize, double samplesPerSecond, double lr)
        implements java.io.Serializable {}
