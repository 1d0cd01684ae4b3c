package org.grad4j.training.loop;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.Optimizer;
import reactor.core.publisher.Flux;

/**
 * Operators on a metrics stream, used with {@code flux.transform(...)}: early stopping and periodic
 * checkpoints. Applied directly on the trainer's output (no {@code publishOn} in between), they run on
 * the training thread between two steps, so what they see or save is a consistent state.
 */
public final class MetricsOperators {
    private MetricsOperators() {}

    /** Whether a smaller or a larger metric is better. */
    public enum Mode {
        MIN,
        MAX
    }

    /**
     * Ends the stream (cancelling training after the current step) once {@code metric} has not improved
     * by more than {@code minDelta} for {@code patience} consecutive items; the item that triggers the
     * stop is still emitted. Each subscription keeps its own count.
     */
    public static <T> Function<Flux<T>, Flux<T>> earlyStopping(
            ToDoubleFunction<T> metric, int patience, double minDelta, Mode mode) {
        if (patience < 1)
            throw new IllegalArgumentException("earlyStopping: patience must be at least 1, got " + patience);
        return flux -> Flux.defer(() -> {
            double[] best = {mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY};
            int[] bad = {0};
            return flux.takeUntil(m -> {
                double v = metric.applyAsDouble(m);
                boolean better = mode == Mode.MIN ? v < best[0] - minDelta : v > best[0] + minDelta;
                if (better) {
                    best[0] = v;
                    bad[0] = 0;
                } else {
                    bad[0]++;
                }
                return bad[0] >= patience;
            });
        });
    }

    /** Runs {@code action} on every {@code every}-th item (the {@code every}-th, the 2·{@code every}-th, ...). */
    public static <T> Function<Flux<T>, Flux<T>> every(int every, Consumer<T> action) {
        if (every < 1) throw new IllegalArgumentException("every: period must be at least 1, got " + every);
        return flux -> Flux.defer(() -> {
            long[] n = {0};
            return flux.doOnNext(m -> {
                if (++n[0] % every == 0) action.accept(m);
            });
        });
    }

    /**
     * Saves model and optimizer to {@code file} (atomically) every {@code every} steps, with the step's
     * epoch, batch index and step count as metadata, so a run can resume where the checkpoint was taken.
     */
    public static Function<Flux<StepMetrics>, Flux<StepMetrics>> checkpointEvery(
            int every, Path file, Module model, Optimizer optimizer) {
        return every(
                every,
                m -> Checkpoint.save(
                        file,
                        model,
                        optimizer,
                        Map.of(
                                "epoch",
                                Integer.toString(m.epoch()),
                                "batch",
                                Integer.toString(m.batch()),
                                "step",
                                Long.toString(m.step()))));
    }
}
