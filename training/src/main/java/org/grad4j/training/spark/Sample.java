package org.grad4j.training.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.grad4j.core.Tensor;
import org.grad4j.training.data.Batch;

/**
 * One labelled example as a Spark RDD element: a flat feature vector and a class index. A batch of
 * them becomes inputs {@code [n, features.length]} (float32) and targets {@code [n]} (int64), what
 * {@code CrossEntropyLoss} takes. For other kinds of sample, give {@link SparkTrainer#fit} a
 * {@link Collate} of your own.
 *
 * <p>From a DataFrame: {@code df.javaRDD().map(r -> new Sample(toFloats(r.getList(0)), r.getInt(1)))}.
 */
public record Sample(float[] features, int label) implements Serializable {
    public Sample {
        Objects.requireNonNull(features, "Sample: features is null");
    }

    /** Stacks samples of equal length into one batch. */
    public static final Collate<Sample> COLLATE = Sample::collate;

    static Batch collate(List<Sample> samples) {
        if (samples.isEmpty()) throw new IllegalArgumentException("Sample.collate: no samples");
        int n = samples.size(), d = samples.get(0).features.length;
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            Sample s = samples.get(i);
            if (s.features.length != d) {
                throw new IllegalArgumentException(
                        "Sample.collate: sample " + i + " of the batch has " + s.features.length
                                + " features, the first has " + d + "; every sample must have the same number");
            }
            System.arraycopy(s.features, 0, x, i * d, d);
            y[i] = s.label;
        }
        return Batch.of(Tensor.of(x, n, d), Tensor.indices(y));
    }
}
