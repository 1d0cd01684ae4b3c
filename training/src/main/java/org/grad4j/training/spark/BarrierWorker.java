package org.grad4j.training.spark;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.grad4j.kernels.Parallel;
import org.grad4j.training.data.Batch;
import org.grad4j.training.distributed.DistributedDataParallel;
import org.grad4j.training.distributed.DistributedException;
import org.grad4j.training.distributed.ProcessGroup;
import org.grad4j.training.distributed.ReduceOp;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.Loss;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.Optimizer;
import reactor.core.publisher.Flux;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of a {@link SparkTrainer} fit: the body of a barrier task, run on an executor. Its partition is
 * its share of the samples, keyed by their number and sorted. In order:
 *
 * <ol>
 *   <li>local setup: the share in memory, model, optimizer and loss from the factories, a listener on a
 *       free port; rank 0 picks the newest checkpoint;
 *   <li>rendezvous: one {@code allGather} of every rank's {@code host:port} (and rank 0's checkpoint),
 *       which every rank reaches, even after a local error, so that no rank waits for one that returned;
 *   <li>the ring ({@link ProcessGroup}), the checkpoint loaded, {@link DistributedDataParallel} (which
 *       checks that the models agree and copies rank 0's state to all);
 *   <li>training with the Reactor {@link Trainer}, from the checkpoint's step on.
 * </ol>
 *
 * An error in 1-3 is returned as this rank's outcome (retrying would not cure it); an error in 4 fails
 * the task, and Spark retries the stage.
 */
final class BarrierWorker<T> extends AbstractFunction1<Iterator<Tuple2<Long, T>>, Iterator<WorkerOutcome>>
        implements Serializable {
    private final SparkTrainer.Settings s;
    private final Collate<T> collate;
    private final int stepsPerEpoch;
    private final String progressAddress;
    private final long token;

    BarrierWorker(
            SparkTrainer.Settings settings, Collate<T> collate, int stepsPerEpoch, String progressAddress, long token) {
        this.s = settings;
        this.collate = collate;
        this.stepsPerEpoch = stepsPerEpoch;
        this.progressAddress = progressAddress;
        this.token = token;
    }

    @Override
    public Iterator<WorkerOutcome> apply(Iterator<Tuple2<Long, T>> data) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId(), attempt = ctx.stageAttemptNumber();
        // the kernels get the task's cores, unless this is the driver's JVM (local mode), whose setting is the user's
        boolean ownJvm = !"driver".equals(SparkEnv.get().executorId());
        int threads = Parallel.numThreads();
        if (ownJvm) Parallel.setNumThreads(Math.max(1, ctx.cpus()));
        ProgressChannel.Sender progress = rank == 0 && progressAddress != null
                ? new ProgressChannel.Sender(progressAddress, token, attempt)
                : null;
        try {
            WorkerOutcome out = run(ctx, rank, attempt, data, progress);
            return CollectionConverters.asScala(
                    out == null
                            ? List.<WorkerOutcome>of().iterator()
                            : List.of(out).iterator());
        } finally {
            if (progress != null) progress.close();
            if (ownJvm) Parallel.setNumThreads(threads);
        }
    }

    private WorkerOutcome run(
            BarrierTaskContext ctx,
            int rank,
            int attempt,
            Iterator<Tuple2<Long, T>> data,
            ProgressChannel.Sender progress) {
        int n = ctx.getTaskInfos().length;
        long t0 = System.nanoTime();
        // 1. local setup
        Throwable local = null;
        List<T> share = null;
        Module model = null;
        Optimizer optimizer = null;
        Loss loss = null;
        ServerSocketChannel listener = null;
        String own = null, checkpoint = "";
        CheckpointStore store = s.checkpointDir() == null ? null : new CheckpointStore(Path.of(s.checkpointDir()));
        try {
            share = read(data, rank, n);
            model = s.model().create();
            optimizer = s.optimizer().create(model);
            loss = s.loss().create();
            String host = hostOf(ctx.getTaskInfos()[rank].address());
            listener = ServerSocketChannel.open()
                    .bind(new InetSocketAddress(host.replace("[", "").replace("]", ""), 0));
            own = host + ":" + ((InetSocketAddress) listener.getLocalAddress()).getPort();
            if (rank == 0 && store != null) {
                String latest = store.latest();
                if (latest != null) checkpoint = latest;
            }
        } catch (IOException | RuntimeException e) {
            local = e;
        }
        // 2. rendezvous: every rank gets here exactly once
        String[] all = ctx.allGather(local == null ? own + " " + checkpoint : "! " + local);
        if (local != null) {
            closeQuietly(listener);
            return WorkerOutcome.failed(rank, attempt, local);
        }
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            String[] parts = all[r].split(" ", 2); // host:port and rank 0's checkpoint, or "!" and an error
            if (parts[0].equals("!")) {
                closeQuietly(listener);
                return WorkerOutcome.failed(
                        rank,
                        attempt,
                        new DistributedException("ProcessGroup rank " + rank + " of " + n + ": rank " + r
                                + " failed before the rendezvous: " + parts[1]));
            }
            addresses.add(parts[0]);
            if (r == 0) checkpoint = parts.length > 1 ? parts[1] : "";
        }
        // 3. the ring, the checkpoint, the model check
        ProcessGroup group;
        try {
            group = ProcessGroup.builder(rank, addresses)
                    .listener(listener)
                    .timeout(Duration.ofMillis(s.timeoutMillis()))
                    .connect();
        } catch (RuntimeException e) {
            closeQuietly(listener);
            return WorkerOutcome.failed(rank, attempt, e);
        }
        double rendezvous = (System.nanoTime() - t0) / 1e9;
        try (group) {
            long step = 0;
            List<StepMetrics> history = new ArrayList<>();
            Map<String, String> run = runInfo(n);
            DistributedDataParallel ddp;
            try {
                if (!checkpoint.isEmpty()) {
                    Map<String, String> meta = store.load(checkpoint, model, optimizer);
                    checkCompatible(store.dir().resolve(checkpoint), meta, run);
                    step = Long.parseLong(meta.get(CheckpointStore.STEP));
                    history.addAll(CheckpointStore.decode(meta.get(CheckpointStore.HISTORY)));
                }
                ddp = new DistributedDataParallel(group, model);
            } catch (RuntimeException e) {
                return WorkerOutcome.failed(rank, attempt, e);
            }
            if (progress != null) {
                progress.status(String.format(
                        "%d workers formed their ring in %.2f s (rendezvous)%s",
                        n,
                        rendezvous,
                        checkpoint.isEmpty() ? "" : "; resuming from " + checkpoint + " (step " + step + ")"));
            }
            // 4. training: errors from here on fail the task, and Spark retries the stage
            long t1 = System.nanoTime();
            train(ctx, rank, n, group, ddp, model, optimizer, loss, share, step, history, store, run, progress);
            if (rank != 0) return null;
            return WorkerOutcome.trained(
                    rank, attempt, model.stateDict(), history, step, rendezvous, (System.nanoTime() - t1) / 1e9);
        }
    }

    private void train(
            BarrierTaskContext ctx,
            int rank,
            int n,
            ProcessGroup group,
            DistributedDataParallel ddp,
            Module model,
            Optimizer optimizer,
            Loss loss,
            List<T> share,
            long start,
            List<StepMetrics> history,
            CheckpointStore store,
            Map<String, String> run,
            ProgressChannel.Sender progress) {
        long total = (long) s.epochs() * stepsPerEpoch;
        Trainer.Builder tb = Trainer.builder(model, optimizer).loss(loss).gradientExchange(ddp);
        if (s.clipGradNorm() > 0) tb.clipGradNorm(s.clipGradNorm());
        float[] meanLoss = new float[1];
        try (Trainer trainer = tb.build()) {
            trainer.setGlobalStep(start);
            for (int epoch = (int) (start / stepsPerEpoch); epoch < s.epochs(); epoch++) {
                int first = epoch == start / stepsPerEpoch ? (int) (start % stepsPerEpoch) : 0;
                int e = epoch;
                int[] order = order(share.size(), epoch, rank);
                Flux<Batch> batches = Flux.range(first, stepsPerEpoch - first).map(k -> {
                    List<T> samples = new ArrayList<>(s.batchSize());
                    for (int i = k * s.batchSize(), end = i + s.batchSize(); i < end; i++)
                        samples.add(share.get(order[i]));
                    return collate.collate(samples);
                });
                trainer.train(epoch, first, batches)
                        .doOnNext(m -> {
                            // on the training thread, between steps
                            ctx.killTaskIfInterrupted();
                            meanLoss[0] = (float) m.loss();
                            group.allReduce(meanLoss, ReduceOp.AVG);
                            if (rank != 0) return;
                            StepMetrics g = new StepMetrics(
                                    m.epoch(),
                                    m.step(),
                                    m.batch(),
                                    meanLoss[0],
                                    m.batchSize() * n,
                                    m.samplesPerSecond() * n,
                                    m.lr());
                            history.add(g);
                            if (progress != null) progress.step(g);
                            if (store != null && (m.step() % s.checkpointEvery() == 0 || m.step() == total)) {
                                store.save(m.step(), e, model, optimizer, run, history);
                                if (progress != null)
                                    progress.status("checkpoint " + CheckpointStore.name(m.step()) + " written");
                            }
                        })
                        .blockLast();
            }
        }
    }

    /** The order in which this rank visits its share in {@code epoch}: as dealt, or a seeded permutation. */
    int[] order(int size, int epoch, int rank) {
        int[] o = new int[size];
        for (int i = 0; i < size; i++) o[i] = i;
        if (!s.shuffle()) return o;
        Random random = new Random(s.seed() * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + rank);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private List<T> read(Iterator<Tuple2<Long, T>> data, int rank, int n) {
        List<T> share = new ArrayList<>();
        long previous = -1;
        while (data.hasNext()) {
            Tuple2<Long, T> t = data.next();
            if (t._1() <= previous || ShardPartitioner.worker(t._1(), n, s.batchSize()) != rank) {
                throw new IllegalStateException(
                        "SparkTrainer: rank " + rank + " got sample " + t._1() + " out of order or from another share");
            }
            previous = t._1();
            share.add(t._2());
        }
        if (share.size() != stepsPerEpoch * s.batchSize()) {
            throw new IllegalStateException("SparkTrainer: rank " + rank + " got " + share.size()
                    + " samples, expected " + stepsPerEpoch + " x " + s.batchSize());
        }
        return share;
    }

    /** What must match for a checkpoint to be resumed: the same world size, batch size and data. */
    private Map<String, String> runInfo(int n) {
        Map<String, String> m = new HashMap<>();
        m.put(CheckpointStore.WORKERS, Integer.toString(n));
        m.put(CheckpointStore.BATCH_SIZE, Integer.toString(s.batchSize()));
        m.put(CheckpointStore.SAMPLES, Long.toString((long) stepsPerEpoch * n * s.batchSize()));
        return m;
    }

    private static void checkCompatible(Path file, Map<String, String> meta, Map<String, String> run) {
        for (String k : List.of(CheckpointStore.WORKERS, CheckpointStore.BATCH_SIZE, CheckpointStore.SAMPLES)) {
            if (!run.get(k).equals(meta.get(k))) {
                throw new IllegalArgumentException("the checkpoint " + file + " is of a run with " + k + " = "
                        + meta.get(k) + ", this run has " + run.get(k) + "; give this run a new checkpoint directory");
            }
        }
        if (meta.get(CheckpointStore.STEP) == null)
            throw new IllegalArgumentException("the checkpoint " + file + " has no step");
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // giving up on this attempt anyway
        }
    }

    /** The host part of {@code host:port}; an IPv6 host in brackets. */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        return "grad4j SparkTrainer worker " + Arrays.asList(s.batchSize(), s.epochs());
    }
}
