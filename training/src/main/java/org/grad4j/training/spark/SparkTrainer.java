package org.grad4j.training.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.grad4j.core.Tensor;
import org.grad4j.training.distributed.DistributedDataParallel;
import org.grad4j.training.distributed.DistributedException;
import org.grad4j.training.distributed.ProcessGroup;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.Loss;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.Optimizer;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel training on Apache Spark: N workers, each running the Reactor {@link Trainer}
 * on its share of a {@code JavaRDD}, with the gradients averaged over the workers every step
 * ({@link DistributedDataParallel} over a {@link ProcessGroup} ring), as Spark's TorchDistributor does for
 * PyTorch.
 *
 * <pre>{@code
 * SparkTrainer trainer = SparkTrainer.builder(() -> mlp(0), m -> new Adam(m.parameters(), 1e-3), CrossEntropyLoss::new)
 *         .numWorkers(4).batchSize(64).epochs(3)
 *         .checkpointDir(Path.of("/shared/run1")).checkpointEvery(200)
 *         .build();
 * SparkTrainer.Result r = trainer.fit(samples);          // a JavaRDD<Sample>, at least 4 partitions
 * Module model = mlp(0);
 * model.loadStateDict(r.stateDict());
 * }</pre>
 *
 * <p><b>How it runs.</b> The samples are numbered in the RDD's order and dealt to the workers by one
 * shuffle: global batch k is samples {@code [k·N·b, (k+1)·N·b)} and worker r takes the r-th slice of b,
 * so N workers with batch b train as one process with batch N·b fed the samples in the same order (the
 * parameters agree within float32 reassociation). A tail of fewer than N·b samples is dropped every
 * epoch ({@code drop_last}), so every worker takes the same number of steps. The training itself is one
 * Spark stage in barrier mode (all N tasks start together, or none): each task binds a port, the tasks
 * exchange their {@code host:port} once through {@code BarrierTaskContext.allGather}, form a ring, check
 * that every model is the same (an error names the parameter), copy rank 0's weights to all and train.
 * That stage feeds a shuffle (rank 0's result travels through it to the driver), so Spark treats it as a
 * map stage: when a worker dies, Spark re-runs the whole stage on the executors it has, and the new
 * attempt resumes from the newest checkpoint.
 *
 * <p><b>Checkpoints.</b> With {@link Builder#checkpointDir}, a directory every worker can read (a shared
 * mount), rank 0 writes model, optimizer, position and metrics there every {@link Builder#checkpointEvery}
 * steps and at the end, each file atomically; every attempt, the first included, starts from the newest
 * one, so a lost worker costs the steps since the last checkpoint. Point a new run at a new directory.
 * Without a directory, a retried attempt starts again from step 0.
 *
 * <p><b>The cluster.</b> Each worker should have an executor to itself: give the training tasks all of an
 * executor's cores ({@code spark.task.cpus} = {@code spark.executor.cores}); the kernels of a task use
 * that many threads. The cluster must have N free task slots (Spark's barrier mode refuses a stage that
 * does not fit). Metrics stream from rank 0 to a port the driver opens on {@code spark.driver.host}; where
 * the workers cannot reach it, there is no live progress but the result still carries every step.
 * Errors before the first step (a model factory that differs between workers, a checkpoint of another
 * run) are reported at once; an error during training fails the stage, which Spark retries (up to
 * {@code spark.stage.maxConsecutiveAttempts}, 4 by default) before the fit fails.
 */
public final class SparkTrainer {

    /** Builds the model on each worker; every worker must build the same architecture (the weights are rank 0's). */
    @FunctionalInterface
    public interface ModelFactory extends Serializable {
        Module create();
    }

    /** Builds the optimizer over the worker's model. */
    @FunctionalInterface
    public interface OptimizerFactory extends Serializable {
        Optimizer create(Module model);
    }

    /** Builds the loss on each worker, e.g. {@code CrossEntropyLoss::new}. */
    @FunctionalInterface
    public interface LossFactory extends Serializable {
        Loss create();
    }

    /** Everything the workers need to know, sent with the stage. */
    record Settings(
            ModelFactory model,
            OptimizerFactory optimizer,
            LossFactory loss,
            int batchSize,
            int epochs,
            boolean shuffle,
            long seed,
            String checkpointDir,
            int checkpointEvery,
            long timeoutMillis,
            double clipGradNorm)
            implements Serializable {}

    /**
     * What a fit produced.
     *
     * @param stateDict         the trained model's state dict (load it with {@code model.loadStateDict})
     * @param steps             every step of the run, from the first (including those an earlier attempt
     *                          took before the checkpoint this attempt resumed from); each loss is the mean
     *                          over all workers, the batch size the global one
     * @param workers           N
     * @param stepsPerEpoch     steps per epoch (samples / (N·b), rounded down)
     * @param attempts          stage attempts it took: 1 when no worker was lost
     * @param resumedFromStep   the checkpoint's step the successful attempt started from (0 if none)
     * @param rendezvousSeconds the successful attempt's rendezvous: Spark's all-gather of the addresses and
     *                          forming the ring
     * @param trainSeconds      the successful attempt's time in the training steps (checkpoints included)
     */
    public record Result(
            Map<String, Tensor> stateDict,
            List<StepMetrics> steps,
            int workers,
            long stepsPerEpoch,
            int attempts,
            long resumedFromStep,
            double rendezvousSeconds,
            double trainSeconds) {}

    private final Settings settings;
    private final int numWorkers;
    private final ProgressListener listener;

    private SparkTrainer(Builder b) {
        this.settings = new Settings(
                b.model,
                b.optimizer,
                b.loss,
                b.batchSize,
                b.epochs,
                b.shuffle,
                b.seed,
                b.checkpointDir == null
                        ? null
                        : b.checkpointDir.toAbsolutePath().toString(),
                b.checkpointEvery,
                b.timeout.toMillis(),
                b.clipGradNorm);
        this.numWorkers = b.numWorkers;
        this.listener = b.listener;
    }

    public static Builder builder(ModelFactory model, OptimizerFactory optimizer, LossFactory loss) {
        return new Builder(model, optimizer, loss);
    }

    /** Trains on {@code data} (see {@link Sample}). */
    public Result fit(JavaRDD<Sample> data) {
        return fit(data, Sample.COLLATE);
    }

    /**
     * Trains on {@code data}, whose elements {@code collate} turns into batches. The number of workers is
     * {@link Builder#numWorkers}, or else the number of partitions; fewer partitions than workers is an
     * error, as is fewer samples than one global batch. Blocks until the training ends.
     */
    public <T> Result fit(JavaRDD<T> data, Collate<T> collate) {
        Objects.requireNonNull(data, "SparkTrainer.fit: data is null");
        Objects.requireNonNull(collate, "SparkTrainer.fit: collate is null");
        int partitions = data.getNumPartitions();
        int workers = numWorkers > 0 ? numWorkers : partitions;
        if (partitions < workers) {
            throw new IllegalArgumentException("SparkTrainer.fit: the data has " + partitions
                    + (partitions == 1 ? " partition" : " partitions") + ", fewer than the " + workers
                    + " workers; repartition it first (data.repartition(" + workers + ")) or use fewer workers");
        }
        long count = data.count();
        int b = settings.batchSize();
        long global = (long) workers * b;
        long stepsPerEpoch = count / global;
        if (stepsPerEpoch == 0) {
            throw new IllegalArgumentException(
                    "SparkTrainer.fit: the data has " + count + " samples, fewer than one global batch of " + workers
                            + " workers x batch size " + b + " = " + global);
        }
        if (stepsPerEpoch * b > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("SparkTrainer.fit: each worker would hold " + stepsPerEpoch * b
                    + " samples, more than 2^31-1; use more workers");
        }
        long usable = stepsPerEpoch * global;
        JavaPairRDD<Long, T> dealt = data.zipWithIndex()
                .filter(t -> t._2() < usable)
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .repartitionAndSortWithinPartitions(new ShardPartitioner(workers, b));

        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.context());
        long token = new SecureRandom().nextLong();
        ProgressChannel.Server server = startProgress(sc, token);
        try {
            BarrierWorker<T> worker = new BarrierWorker<>(
                    settings, collate, (int) stepsPerEpoch, server == null ? null : server.address(), token);
            ClassTag<WorkerOutcome> tag = ClassTag$.MODULE$.apply(WorkerOutcome.class);
            RDD<WorkerOutcome> trained = dealt.rdd().barrier().mapPartitions(worker, false, tag);
            sc.setJobDescription(
                    "grad4j: data-parallel training on " + workers + " workers, " + stepsPerEpoch + " steps per epoch");
            List<WorkerOutcome> outcomes;
            try {
                // the shuffle makes the barrier stage a map stage, which Spark retries whole when a worker is lost
                outcomes = JavaRDD.fromRDD(trained, tag)
                        .mapToPair(o -> new Tuple2<>(0, o))
                        .partitionBy(new HashPartitioner(1))
                        .values()
                        .collect();
            } catch (Exception e) { // Scala throws SparkException, a checked exception to Java, without declaring it
                if (e instanceof SparkException)
                    throw new DistributedException("SparkTrainer: the training failed: " + e.getMessage(), e);
                throw (RuntimeException) e;
            } finally {
                sc.setJobDescription(null);
            }
            return result(outcomes, workers, stepsPerEpoch);
        } finally {
            if (server != null) server.close(Duration.ofSeconds(2)); // rank 0 closed its end before its task ended
        }
    }

    private ProgressChannel.Server startProgress(JavaSparkContext sc, long token) {
        if (listener == ProgressListener.NONE) return null;
        String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
        try {
            return new ProgressChannel.Server(host, token, listener);
        } catch (IOException | RuntimeException e) {
            System.err.println("SparkTrainer: cannot open the progress port on " + host + " (" + e
                    + "); training without live progress");
            return null;
        }
    }

    /** Rank 0's state, or the error that stopped the workers before training (the root cause, not its echo on other ranks). */
    private static Result result(List<WorkerOutcome> outcomes, int workers, long stepsPerEpoch) {
        WorkerOutcome cause = null;
        for (WorkerOutcome o : outcomes) {
            if (o.setupError() == null) continue;
            boolean echo = o.setupError() instanceof DistributedException;
            boolean better = cause == null
                    || (cause.setupError() instanceof DistributedException && !echo)
                    || (echo == cause.setupError() instanceof DistributedException && o.rank() < cause.rank());
            if (better) cause = o;
        }
        if (cause != null) {
            Throwable e = cause.setupError();
            String message = "SparkTrainer: rank " + cause.rank() + " of " + workers + " could not start training: "
                    + e.getMessage();
            if (e instanceof IllegalArgumentException) throw new IllegalArgumentException(message, e);
            throw new DistributedException(message, e);
        }
        WorkerOutcome rank0 = null;
        for (WorkerOutcome o : outcomes) if (o.rank() == 0) rank0 = o;
        if (rank0 == null)
            throw new IllegalStateException("SparkTrainer: the training stage ended without rank 0's result");
        return new Result(
                rank0.stateDict(),
                rank0.steps(),
                workers,
                stepsPerEpoch,
                rank0.attempt() + 1,
                rank0.resumedFromStep(),
                rank0.rendezvousSeconds(),
                rank0.trainSeconds());
    }

    public static final class Builder {
        private final ModelFactory model;
        private final OptimizerFactory optimizer;
        private final LossFactory loss;
        private int numWorkers, batchSize = 32, epochs = 1, checkpointEvery = 100;
        private boolean shuffle;
        private long seed;
        private Path checkpointDir;
        private Duration timeout = ProcessGroup.DEFAULT_TIMEOUT;
        private double clipGradNorm;
        private ProgressListener listener = ProgressListener.NONE;

        private Builder(ModelFactory model, OptimizerFactory optimizer, LossFactory loss) {
            this.model = Objects.requireNonNull(model, "SparkTrainer: the model factory is null");
            this.optimizer = Objects.requireNonNull(optimizer, "SparkTrainer: the optimizer factory is null");
            this.loss = Objects.requireNonNull(loss, "SparkTrainer: the loss factory is null");
        }

        /** N, the number of workers (default: the data's number of partitions). */
        public Builder numWorkers(int n) {
            if (n <= 0) throw new IllegalArgumentException("SparkTrainer: numWorkers must be positive, got " + n);
            this.numWorkers = n;
            return this;
        }

        /** b, each worker's batch size (default 32): the global batch is N·b. */
        public Builder batchSize(int b) {
            if (b <= 0) throw new IllegalArgumentException("SparkTrainer: batchSize must be positive, got " + b);
            this.batchSize = b;
            return this;
        }

        /** Passes over the data (default 1). */
        public Builder epochs(int e) {
            if (e <= 0) throw new IllegalArgumentException("SparkTrainer: epochs must be positive, got " + e);
            this.epochs = e;
            return this;
        }

        /**
         * Each worker visits its own share in a new order every epoch, seeded by {@link #seed}, the epoch and
         * its rank (as {@code DistributedSampler} does); off by default, when the workers take the data in
         * its order and the run equals one process with batch N·b.
         */
        public Builder shuffle(boolean s) {
            this.shuffle = s;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Where rank 0 writes checkpoints and every attempt resumes from; it must be readable by every worker. */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = Objects.requireNonNull(dir, "SparkTrainer: checkpointDir is null");
            return this;
        }

        /** Steps between checkpoints (default 100). */
        public Builder checkpointEvery(int steps) {
            if (steps <= 0)
                throw new IllegalArgumentException("SparkTrainer: checkpointEvery must be positive, got " + steps);
            this.checkpointEvery = steps;
            return this;
        }

        /**
         * How long a worker waits for another at the rendezvous and in each exchange before it declares it
         * dead (default 60 s); it must also cover how far the workers drift apart within a step.
         */
        public Builder timeout(Duration t) {
            Objects.requireNonNull(t, "SparkTrainer: timeout is null");
            if (t.toMillis() <= 0)
                throw new IllegalArgumentException("SparkTrainer: the timeout must be at least 1 ms, got " + t);
            this.timeout = t;
            return this;
        }

        /** Clip the averaged gradient's 2-norm to {@code maxNorm} before each step (off by default). */
        public Builder clipGradNorm(double maxNorm) {
            if (!(maxNorm > 0))
                throw new IllegalArgumentException("SparkTrainer: clipGradNorm must be positive, got " + maxNorm);
            this.clipGradNorm = maxNorm;
            return this;
        }

        /** Receives rank 0's steps and the workers' events as they happen, on a driver thread. */
        public Builder progress(ProgressListener l) {
            this.listener = Objects.requireNonNull(l, "SparkTrainer: the progress listener is null");
            return this;
        }

        public SparkTrainer build() {
            return new SparkTrainer(this);
        }
    }
}
