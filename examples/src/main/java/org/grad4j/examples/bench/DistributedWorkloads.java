package org.grad4j.examples.bench;

import static org.grad4j.examples.bench.Workloads.emit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.examples.FashionMnist;
import org.grad4j.kernels.Parallel;
import org.grad4j.training.data.Batch;
import org.grad4j.training.distributed.DistributedDataParallel;
import org.grad4j.training.distributed.ProcessGroup;
import org.grad4j.training.distributed.ReduceOp;
import org.grad4j.training.loop.GradientExchange;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.SGD;
import org.grad4j.training.spark.LocalCluster;
import org.grad4j.training.spark.Sample;
import org.grad4j.training.spark.SparkTrainer;
import reactor.core.publisher.Flux;

/**
 * The distributed workloads of the harness ({@code -Dbench.workloads=distributed}, or each by name):
 *
 * <ul>
 *   <li>{@code allreduce}: {@link ProcessGroup#allReduce} of 1-64 MB with 2 and 3 ranks, each in its own
 *       JVM on loopback (this JVM is rank 0 and times it), next to {@code System.arraycopy} of the same
 *       size; algbw is the buffer's size over the time (what each rank gets reduced per second);
 *   <li>{@code ddp}: one training step of the Fashion-MNIST MLP at batch 256 per worker with 1, 2 and 3
 *       workers (JVMs), {@link DistributedDataParallel} averaging the 0.94 MB of gradients; the kernels of
 *       each worker get the machine's cores divided among the workers;
 *   <li>{@code rendezvous}: forming the ring once the JVMs run (addresses known), and Spark's part of it
 *       (one {@code BarrierTaskContext.allGather}, then the ring) in a {@link SparkTrainer} fit on a
 *       local-cluster.
 * </ul>
 *
 * The other ranks run {@link #main} of this class, driven line by line on stdin.
 */
public final class DistributedWorkloads {
    private DistributedWorkloads() {}

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static void allReduce() {
        int[] megabytes = {1, 4, 16, 64};
        for (int mb : megabytes) {
            float[] d = new float[mb * (1 << 20) / 4];
            double ms = copyMillis(d);
            emit("allreduce.copy.mb" + mb + ".ms", ms, "ms");
            emit("allreduce.copy.mb" + mb + ".MBps", mb / (ms / 1e3), "MB/s");
        }
        for (int n : new int[] {2, 3}) {
            try (Ranks ranks = new Ranks(n)) {
                for (int mb : megabytes) {
                    int floats = mb * (1 << 20) / 4, iters = Math.max(5, 64 / mb), warm = 2;
                    ranks.send("ALLREDUCE " + floats + " " + (iters + warm));
                    float[] d = new float[floats];
                    double[] t = new double[iters];
                    for (int i = 0; i < iters + warm; i++) {
                        long t0 = System.nanoTime();
                        ranks.group.allReduce(d, ReduceOp.SUM);
                        if (i >= warm) t[i - warm] = (System.nanoTime() - t0) / 1e6;
                    }
                    ranks.await("DONE");
                    double ms = Workloads.median(t);
                    String key = "allreduce.r" + n + ".mb" + mb;
                    emit(key + ".ms", ms, "ms");
                    emit(key + ".algbw_MBps", mb / (ms / 1e3), "MB/s");
                }
            }
        }
    }

    private static double copyMillis(float[] src) {
        float[] dst = new float[src.length];
        double[] t = new double[25];
        for (int i = 0; i < t.length + 5; i++) {
            long t0 = System.nanoTime();
            System.arraycopy(src, 0, dst, 0, src.length);
            if (i >= 5) t[i - 5] = (System.nanoTime() - t0) / 1e6;
        }
        return Workloads.median(t);
    }

    static void ddp() {
        int batch = 256, warm = 30, steps = 20, windows = 3;
        for (int n = 1; n <= 3; n++) {
            int threads = Math.max(1, CORES / n);
            double[] result;
            if (n == 1) {
                result = mlpSteps(null, batch, warm, steps, windows, threads);
            } else {
                try (Ranks ranks = new Ranks(n)) {
                    ranks.send("MLP " + batch + " " + warm + " " + steps + " " + windows + " " + threads);
                    result = mlpSteps(ranks.group, batch, warm, steps, windows, threads);
                    ranks.await("DONE");
                }
            }
            String key = "ddp.mlp.b" + batch + ".w" + n + ".t" + threads;
            emit(key + ".ms_per_step", result[0], "ms");
            emit(key + ".exchange_ms_per_step", result[1], "ms");
            emit(key + ".samples_per_s", n * batch / (result[0] / 1e3), "samples/s");
        }
    }

    /** Median per-step time and exchange time (ms) over {@code windows} windows of {@code steps} steps after {@code warm}. */
    static double[] mlpSteps(ProcessGroup group, int batch, int warm, int steps, int windows, int threads) {
        int before = Parallel.numThreads();
        Parallel.setNumThreads(threads);
        try {
            Module model = FashionMnist.mlp(0);
            GradientExchange ddp = group == null ? GradientExchange.LOCAL : new DistributedDataParallel(group, model);
            long[] exchangeNanos = {0};
            GradientExchange timed = params -> {
                long t0 = System.nanoTime();
                ddp.exchange(params);
                exchangeNanos[0] += System.nanoTime() - t0;
            };
            Generator g = new Generator(group == null ? 0 : group.rank());
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = g.nextInt(10);
            Batch b = Batch.of(Tensor.randn(g, batch, 784), Tensor.indices(labels));
            double[] perStep = new double[windows], perExchange = new double[windows];
            try (Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.01f))
                    .loss(new CrossEntropyLoss())
                    .gradientExchange(timed)
                    .build()) {
                t.train(0, Flux.range(0, warm).map(i -> b)).blockLast();
                for (int w = 0; w < windows; w++) {
                    exchangeNanos[0] = 0;
                    long t0 = System.nanoTime();
                    t.train(0, Flux.range(0, steps).map(i -> b)).blockLast();
                    perStep[w] = (System.nanoTime() - t0) / 1e6 / steps;
                    perExchange[w] = exchangeNanos[0] / 1e6 / steps;
                }
            }
            return new double[] {Workloads.median(perStep), Workloads.median(perExchange)};
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    static void rendezvous() {
        for (int n : new int[] {2, 3}) {
            double[] t = new double[5];
            for (int i = 0; i < t.length; i++) {
                try (Ranks ranks = new Ranks(n)) {
                    t[i] = ranks.connectMillis;
                }
            }
            emit("rendezvous.ring.r" + n + ".ms", Workloads.median(t), "ms");
        }
        for (int n : new int[] {2, 3}) {
            try (JavaSparkContext sc =
                    new JavaSparkContext(LocalCluster.conf(n, 1, 768).setAppName("grad4j rendezvous benchmark"))) {
                sc.setLogLevel("WARN");
                LocalCluster.awaitExecutors(sc, n, Duration.ofMinutes(3));
                List<Sample> data = new ArrayList<>();
                for (int i = 0; i < 3 * 8 * n; i++) data.add(new Sample(new float[] {i, -i}, i % 2));
                double[] t = new double[3], total = new double[3];
                for (int i = 0; i < t.length; i++) {
                    long t0 = System.nanoTime();
                    SparkTrainer.Result r = SparkTrainer.builder(
                                    () -> new Linear(2, 2, true, new Generator(0)),
                                    m -> new SGD(m.parameters(), 0.1f),
                                    CrossEntropyLoss::new)
                            .numWorkers(n)
                            .batchSize(8)
                            .build()
                            .fit(sc.parallelize(data, n));
                    total[i] = (System.nanoTime() - t0) / 1e9;
                    t[i] = r.rendezvousSeconds();
                }
                emit("rendezvous.spark.r" + n + ".allgather_and_ring_s", Workloads.median(t), "s");
                emit("rendezvous.spark.r" + n + ".fit_3_steps_s", Workloads.median(total), "s");
            }
        }
    }

    // ---- the other ranks ------------------------------------------------------------------------

    /** Ranks 1..n-1 in JVMs of their own, and this JVM as rank 0 of their group. */
    static final class Ranks implements AutoCloseable {
        final List<Process> processes = new ArrayList<>();
        final List<Writer> stdins = new ArrayList<>();
        final List<BlockingQueue<String>> lines = new ArrayList<>();
        final ProcessGroup group;
        final double connectMillis;

        Ranks(int n) {
            try {
                ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                List<String> addresses = new ArrayList<>(
                        List.of("127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort()));
                for (int r = 1; r < n; r++) {
                    Process p = new ProcessBuilder(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-Xmx1g",
                                    "--add-modules",
                                    "jdk.incubator.vector",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    DistributedWorkloads.class.getName(),
                                    Integer.toString(r))
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .start();
                    processes.add(p);
                    stdins.add(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
                    BlockingQueue<String> q = new LinkedBlockingQueue<>();
                    lines.add(q);
                    Thread reader = new Thread(() -> {
                        try (BufferedReader in =
                                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                            for (String l; (l = in.readLine()) != null; ) q.add(l);
                        } catch (IOException ignored) {
                            // the rank ended
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                }
                for (int r = 1; r < n; r++) addresses.add("127.0.0.1:" + next(r).substring("PORT ".length()));
                long t0 = System.nanoTime();
                send("GROUP " + String.join(",", addresses));
                group = ProcessGroup.builder(0, addresses)
                        .listener(listener)
                        .timeout(TIMEOUT)
                        .connect();
                connectMillis = (System.nanoTime() - t0) / 1e6;
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(e);
            }
        }

        void send(String line) {
            try {
                for (Writer w : stdins) {
                    w.write(line + "\n");
                    w.flush();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("a rank is gone", e);
            }
        }

        String next(int rank) {
            try {
                String l = lines.get(rank - 1).poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (l == null) throw new IllegalStateException("rank " + rank + " said nothing within " + TIMEOUT);
                return l;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        void await(String what) {
            for (int r = 1; r <= processes.size(); r++) {
                String l = next(r);
                if (!l.equals(what))
                    throw new IllegalStateException("rank " + r + " said '" + l + "', expected " + what);
            }
        }

        @Override
        public void close() {
            try {
                send("EXIT");
            } catch (RuntimeException ignored) {
                // already gone
            }
            for (Process p : processes) {
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                }
            }
            if (group != null) group.close();
        }
    }

    /** Rank {@code args[0]}: prints {@code PORT p}, joins the group it is given, then follows commands. */
    public static void main(String[] args) throws IOException {
        int rank = Integer.parseInt(args[0]);
        ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        System.out.println("PORT " + ((InetSocketAddress) listener.getLocalAddress()).getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String first = in.readLine();
        if (first == null || !first.startsWith("GROUP ")) return;
        List<String> addresses =
                Arrays.asList(first.substring("GROUP ".length()).split(","));
        try (ProcessGroup group = ProcessGroup.builder(rank, addresses)
                .listener(listener)
                .timeout(TIMEOUT)
                .connect()) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] c = line.split(" ");
                switch (c[0]) {
                    case "ALLREDUCE" -> {
                        float[] d = new float[Integer.parseInt(c[1])];
                        for (int i = Integer.parseInt(c[2]); i > 0; i--) group.allReduce(d, ReduceOp.SUM);
                    }
                    case "MLP" ->
                        mlpSteps(
                                group,
                                Integer.parseInt(c[1]),
                                Integer.parseInt(c[2]),
                                Integer.parseInt(c[3]),
                                Integer.parseInt(c[4]),
                                Integer.parseInt(c[5]));
                    case "EXIT" -> {
                        return;
                    }
                    default ->
                        throw new IllegalArgumentException(
                                "DistributedWorkloads rank " + rank + ": unknown command " + line);
                }
                System.out.println("DONE");
                System.out.flush();
            }
        }
    }
}
