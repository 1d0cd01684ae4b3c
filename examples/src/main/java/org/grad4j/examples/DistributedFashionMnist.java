package org.grad4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.DataFileException;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.data.TensorDataset;
import org.grad4j.training.loop.EvalMetrics;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
import org.grad4j.training.spark.LocalCluster;
import org.grad4j.training.spark.ProgressListener;
import org.grad4j.training.spark.Sample;
import org.grad4j.training.spark.SparkTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The Fashion-MNIST MLP of {@link FashionMnist}, trained data-parallel on Apache Spark by
 * {@link SparkTrainer}: N workers, each with batch b, the gradients averaged every step. By default
 * Spark's {@code local-cluster} starts N executor JVMs on this machine; {@code --master URL} (or
 * {@code spark-submit}, which sets the master) runs on a real cluster. The driver loads the data, shows
 * rank 0's progress, gets the trained weights back and tests them.
 */
public final class DistributedFashionMnist {
    /** The command-line options. */
    public record Options(
            int workers,
            String master,
            int executorMemory,
            int epochs,
            int batchSize,
            double lr,
            long seed,
            int trainLimit,
            int testLimit,
            Path data,
            boolean install,
            Path out,
            Path checkpointDir,
            int checkpointEvery,
            boolean resume,
            int timeout,
            boolean progress) {
        /** The options of a command line; an IllegalArgumentException naming the option for a bad one. */
        public static Options parse(String... args) {
            return Cli.parse(new Args(), args);
        }

        /** The command line as picocli reads it (names, defaults, usage); {@link #toOptions} checks it. */
        @Command(name = "DistributedFashionMnist", abbreviateSynopsis = true, sortOptions = false)
        static final class Args implements Cli.OptionsSource<Options> {
            @Option(
                    names = "--workers",
                    paramLabel = "N",
                    description =
                            "data-parallel workers (default ${DEFAULT-VALUE}); on local-cluster, one executor JVM each")
            int workers = 2;

            @Option(
                    names = "--master",
                    paramLabel = "URL",
                    description =
                            "a Spark master (spark://host:7077, yarn, k8s://...); default: what spark-submit set, else local-cluster[N,1,<executor-memory>] on this machine")
            String master;

            @Option(
                    names = "--executor-memory",
                    paramLabel = "M",
                    description = "local-cluster executor heap in MB (default ${DEFAULT-VALUE})")
            int executorMemory = 1024;

            @Mixin
            FashionMnistArgs.Epochs epochs;

            @Option(
                    names = "--batch-size",
                    paramLabel = "N",
                    description =
                            "each worker's minibatch (default ${DEFAULT-VALUE}; the global batch is N times that)")
            int batchSize = 64;

            @Mixin
            FashionMnistArgs.Lr lr;

            @Option(
                    names = "--seed",
                    paramLabel = "N",
                    description = "seed of the initial weights and each epoch's order (default ${DEFAULT-VALUE})")
            long seed = 0;

            @Mixin
            FashionMnistArgs.Limits limits;

            @Option(
                    names = "--data",
                    paramLabel = "DIR",
                    description = "the dataset's directory (default ${DEFAULT-VALUE}; see FashionMnist)")
            Path data = Mnist.FASHION_MNIST_DIR;

            @Mixin
            FashionMnistArgs.NoInstall noInstall;

            @Option(
                    names = "--out",
                    paramLabel = "DIR",
                    description = "weights, chart and (by default) checkpoints go here (default ${DEFAULT-VALUE})")
            Path out = Path.of("target", "distributed-fashion-mnist");

            @Option(
                    names = "--checkpoint-dir",
                    paramLabel = "D",
                    description =
                            "checkpoints, a directory every worker can read (default <out>/checkpoints, cleared first)")
            Path checkpointDir;

            @Option(
                    names = "--checkpoint-every",
                    paramLabel = "K",
                    description = "steps between checkpoints (default ${DEFAULT-VALUE})")
            int checkpointEvery = 100;

            @Option(names = "--resume", description = "keep the checkpoint directory: continue the run that wrote it")
            boolean resume;

            @Option(
                    names = "--timeout",
                    paramLabel = "S",
                    description =
                            "seconds a worker waits for another before declaring it lost (default ${DEFAULT-VALUE})")
            int timeout = 60;

            @Option(names = "--no-progress", description = "a line per tenth of an epoch instead of a progress bar")
            boolean noProgress;

            @Mixin
            Cli.Help help;

            @Override
            public Options toOptions() {
                if (workers <= 0) throw new IllegalArgumentException("--workers " + workers + ": expected at least 1");
                return new Options(
                        workers,
                        master,
                        executorMemory,
                        epochs.epochs,
                        batchSize,
                        lr.lr,
                        seed,
                        limits.trainLimit,
                        limits.testLimit,
                        data,
                        !noInstall.noInstall,
                        out,
                        checkpointDir == null ? out.resolve("checkpoints") : checkpointDir,
                        checkpointEvery,
                        resume,
                        timeout,
                        !noProgress);
            }
        }

        /** local-cluster unless a master was given, here or by spark-submit. */
        boolean localCluster() {
            return master == null && System.getProperty("spark.master") == null;
        }
    }

    public static void main(String[] args) {
        Options o = Cli.parseOrExit(new Options.Args(), args);
        if (o.localCluster())
            LocalSpark.ensureDriverSetup(
                    DistributedFashionMnist.class, args, o.out().resolve("spark-home"));
        try {
            run(o, System.out);
        } catch (DataFileException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    /** The training images as samples of 784 standardised pixels, and the test split standardised the same way. */
    record Data(List<Sample> train, TensorDataset test, String source) {}

    static Data load(Options o, PrintStream out) {
        FashionMnistData.Splits splits = FashionMnistData.load(o.data(), o.install(), out);
        TensorDataset train = splits.train().head(o.trainLimit()),
                test = splits.test().head(o.testLimit());
        Tensor images = train.tensors().get(0);
        float mean = images.mean().item(),
                std = images.sub(mean).pow(2).mean().sqrt().item();
        float[] px = images.sub(mean).div(std).toFloatArray(),
                labels = train.tensors().get(1).toFloatArray();
        List<Sample> samples = new ArrayList<>(labels.length);
        for (int i = 0; i < labels.length; i++) {
            float[] f = new float[784];
            System.arraycopy(px, i * 784, f, 0, 784);
            samples.add(new Sample(f, (int) labels[i]));
        }
        out.printf(
                "%s: %d training and %d test images; pixels standardised with mean %.4f and std %.4f%n",
                splits.source(), samples.size(), test.size(), mean, std);
        return new Data(
                samples,
                new TensorDataset(
                        test.tensors().get(0).sub(mean).div(std), test.tensors().get(1)),
                splits.source());
    }

    public static SparkTrainer.Result run(Options o, PrintStream out) {
        Data data = load(o, out);
        if (!o.resume()) deleteTree(o.checkpointDir());
        SparkConf conf = o.localCluster() ? LocalCluster.conf(o.workers(), 1, o.executorMemory()) : new SparkConf();
        if (o.master() != null) conf.setMaster(o.master());
        if (conf.get("spark.master", "").startsWith("local"))
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        conf.setAppName("grad4j DistributedFashionMnist")
                .setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        long start = System.nanoTime();
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            if (o.localCluster()) {
                out.printf("Starting %s: %d executor JVMs...%n", conf.get("spark.master"), o.workers());
                LocalCluster.awaitExecutors(sc, o.workers(), Duration.ofMinutes(3));
            }
            out.printf(
                    "Spark %s, master %s: %.1f s to start%n",
                    sc.version(), sc.master(), (System.nanoTime() - start) / 1e9);
            // a few MB per partition keeps each task's data well under Spark's message limit
            int partitions = Math.max(o.workers(), (int) Math.ceil(data.train().size() * 784 * 4 / 8e6));
            JavaRDD<Sample> rdd = sc.parallelize(data.train(), partitions);
            long seed = o.seed();
            double lr = o.lr();
            int stepsPerEpoch = data.train().size() / (o.workers() * o.batchSize());
            Display display = new Display(out, o.progress(), o.epochs(), stepsPerEpoch);
            SparkTrainer trainer = SparkTrainer.builder(
                            () -> FashionMnist.mlp(seed), m -> new Adam(m.parameters(), lr), CrossEntropyLoss::new)
                    .numWorkers(o.workers())
                    .batchSize(o.batchSize())
                    .epochs(o.epochs())
                    .checkpointDir(o.checkpointDir().toAbsolutePath())
                    .checkpointEvery(o.checkpointEvery())
                    .timeout(Duration.ofSeconds(o.timeout()))
                    .progress(display)
                    .build();
            out.printf(
                    "Model: %s%nOptimizer: Adam lr %s; %d workers x batch %d = global batch %d; %d steps per epoch, %d epoch(s)%n",
                    FashionMnist.mlp(seed),
                    lr,
                    o.workers(),
                    o.batchSize(),
                    o.workers() * o.batchSize(),
                    stepsPerEpoch,
                    o.epochs());
            long t0 = System.nanoTime();
            SparkTrainer.Result r = trainer.fit(rdd);
            double seconds = (System.nanoTime() - t0) / 1e9;
            display.close();

            Sequential model = FashionMnist.mlp(seed);
            model.loadStateDict(r.stateDict());
            EvalMetrics test = evaluate(model, data.test());
            List<double[]> stepLosses = new ArrayList<>();
            for (StepMetrics m : r.steps())
                stepLosses.add(new double[] {m.epoch() + (m.batch() + 1.0) / r.stepsPerEpoch(), m.loss()});
            for (int e = 0; e < o.epochs(); e++) {
                int epoch = e;
                double mean = r.steps().stream()
                        .filter(m -> m.epoch() == epoch)
                        .mapToDouble(StepMetrics::loss)
                        .average()
                        .orElse(Double.NaN);
                out.printf("epoch %d/%d: train loss %.4f (mean over the workers)%n", e + 1, o.epochs(), mean);
            }
            Path weights = o.out().resolve("fashion-mnist-mlp-distributed.safetensors"),
                    chart = o.out().resolve("fashion-mnist-mlp-distributed.png");
            Checkpoint.saveModel(weights, model);
            FashionMnist.writeChart(
                    chart,
                    stepLosses,
                    List.of(new EvalMetrics(o.epochs() - 1, test.loss(), test.accuracy(), test.samples(), 0)));
            out.printf("Test loss %.4f%n", test.loss());
            out.printf("Final test accuracy: %.4f (%d test images)%n", test.accuracy(), test.samples());
            out.printf(
                    "Training: %.1f s on %d workers, %.1f s of it in the steps (the rest: dealing the data, starting the tasks, the "
                            + "rendezvous %.2f s); %d stage attempt(s)%s%n",
                    seconds,
                    r.workers(),
                    r.trainSeconds(),
                    r.rendezvousSeconds(),
                    r.attempts(),
                    r.attempts() > 1 ? ", the last resumed from step " + r.resumedFromStep() : "");
            out.printf(
                    "Weights: %s%nChart: %s%nCheckpoints: %s%n",
                    weights.toAbsolutePath(),
                    chart.toAbsolutePath(),
                    o.checkpointDir().toAbsolutePath());
            return r;
        }
    }

    /** Mean loss and accuracy on the driver, in eval mode, 1000 images at a time. */
    static EvalMetrics evaluate(Sequential model, TensorDataset test) {
        model.eval();
        CrossEntropyLoss loss = new CrossEntropyLoss();
        Tensor x = test.tensors().get(0), y = test.tensors().get(1);
        int n = test.size();
        double lossSum = 0, correct = 0;
        try (var s = GradMode.noGrad()) {
            for (int i = 0; i < n; i += 1000) {
                int m = Math.min(1000, n - i);
                Tensor out = model.call(x.narrow(0, i, m)), t = y.narrow(0, i, m);
                lossSum += loss.call(out, t).item() * m;
                correct += out.argmax(1).eq(t).sum().item();
            }
        }
        return new EvalMetrics(0, lossSum / n, correct / n, n, 0);
    }

    /** Rank 0's steps as a progress bar per epoch (or a line per tenth of an epoch), the workers' events as lines. */
    static final class Display implements ProgressListener {
        private final PrintStream out;
        private final boolean bars;
        private final int epochs, stepsPerEpoch;
        private ProgressBar bar;
        private int barEpoch = -1, attempt;
        private String lastCheckpoint = "";

        Display(PrintStream out, boolean bars, int epochs, int stepsPerEpoch) {
            this.out = out;
            this.bars = bars;
            this.epochs = epochs;
            this.stepsPerEpoch = stepsPerEpoch;
        }

        @Override
        public void onStatus(int attempt, String message) {
            if (bar != null
                    && attempt == this.attempt
                    && message.startsWith("checkpoint ")) { // shown in the bar, not over it
                lastCheckpoint = ", saved @"
                        + Long.parseLong(message.replaceAll("\\D+", " ").strip().split(" ")[0]);
                return;
            }
            closeBar();
            out.printf("[attempt %d] %s%n", attempt, message);
        }

        @Override
        public void onStep(int attempt, StepMetrics m) {
            if (attempt != this.attempt) {
                closeBar();
                this.attempt = attempt;
            }
            if (!bars) {
                if ((m.batch() + 1) % Math.max(1, stepsPerEpoch / 10) == 0 || m.batch() + 1 == stepsPerEpoch) {
                    out.printf(
                            "epoch %d/%d, step %d/%d: loss %.4f, %.0f samples/s%n",
                            m.epoch() + 1, epochs, m.batch() + 1, stepsPerEpoch, m.loss(), m.samplesPerSecond());
                }
                return;
            }
            if (bar == null || barEpoch != m.epoch()) {
                closeBar();
                bar = new ProgressBarBuilder()
                        .setTaskName(String.format("epoch %d/%d", m.epoch() + 1, epochs))
                        .setInitialMax(stepsPerEpoch)
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(250)
                        .setUnit(" steps", 1)
                        .setConsumer(new ConsoleProgressBarConsumer(out, 110))
                        .build();
                barEpoch = m.epoch();
            }
            bar.stepTo(m.batch() + 1);
            bar.setExtraMessage(
                    String.format(" loss %.4f  %5.0f samples/s%s", m.loss(), m.samplesPerSecond(), lastCheckpoint));
        }

        private void closeBar() {
            if (bar != null) bar.close();
            bar = null;
            lastCheckpoint = "";
        }

        synchronized void close() {
            closeBar();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
