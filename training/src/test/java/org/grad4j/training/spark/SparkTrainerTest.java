package org.grad4j.training.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;
import org.grad4j.training.data.Batch;
import org.grad4j.training.loop.GradientExchange;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.Loss;
import org.grad4j.training.nn.Module;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.nn.Tanh;
import org.grad4j.training.optim.Adam;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * SparkTrainer on Spark's local-cluster: two executor JVMs, one Spark context for the whole class (its
 * start is most of the time).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SparkTrainerTest {
    private static final int FEATURES = 8,
            CLASSES = 3,
            WORKERS = 2,
            B = 16,
            SAMPLES = 1040,
            EPOCHS = 4; // 32 steps per epoch, 128 steps
    private static JavaSparkContext sc;
    /** Every stage attempt submitted: "stage id.attempt". */
    private static final List<String> stageAttempts = new CopyOnWriteArrayList<>();

    private static SparkTrainer.Result uninterrupted;

    @BeforeAll
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    static void startCluster() throws IOException {
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
        sc = new JavaSparkContext(LocalCluster.conf(WORKERS, 1, 1024).setAppName("SparkTrainerTest"));
        sc.setLogLevel("WARN");
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted e) {
                stageAttempts.add(e.stageInfo().stageId() + "." + e.stageInfo().attemptNumber());
            }
        });
        LocalCluster.awaitExecutors(sc, WORKERS, Duration.ofSeconds(120));
    }

    @AfterAll
    static void stopCluster() {
        if (sc != null) sc.stop();
    }

    static List<Sample> samples() {
        Generator g = new Generator(42);
        float[] x = Tensor.randn(g, SAMPLES, FEATURES).toFloatArray();
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            float[] f = new float[FEATURES];
            System.arraycopy(x, i * FEATURES, f, 0, FEATURES);
            int label = 0;
            for (int c = 1; c < CLASSES; c++) if (f[c] > f[label]) label = c;
            out.add(new Sample(f, label));
        }
        return out;
    }

    static Sequential classifier() {
        Generator g = new Generator(7);
        return new Sequential(new Linear(FEATURES, 32, true, g), new Tanh(), new Linear(32, CLASSES, true, g));
    }

    static SparkTrainer.Builder builder(SparkTrainer.LossFactory loss) {
        return SparkTrainer.builder(SparkTrainerTest::classifier, m -> new Adam(m.parameters(), 1e-2), loss)
                .numWorkers(WORKERS)
                .batchSize(B)
                .epochs(EPOCHS)
                .timeout(Duration.ofSeconds(30));
    }

    /** The distributed run without failures, computed once for the class. */
    static synchronized SparkTrainer.Result uninterrupted() {
        if (uninterrupted == null)
            uninterrupted = builder(CrossEntropyLoss::new).build().fit(sc.parallelize(samples(), 3));
        return uninterrupted;
    }

    /** One process, batch N·b, the samples in order, the tail dropped: what the workers must equal. */
    static List<Object> singleProcess() {
        List<Sample> data = samples();
        Sequential model = classifier();
        List<Double> losses = new ArrayList<>();
        int global = WORKERS * B, steps = SAMPLES / global;
        try (Trainer t = Trainer.builder(model, new Adam(model.parameters(), 1e-2))
                .loss(new CrossEntropyLoss())
                .gradientExchange(GradientExchange.LOCAL)
                .build()) {
            for (int e = 0; e < EPOCHS; e++) {
                List<Batch> batches = new ArrayList<>();
                for (int k = 0; k < steps; k++)
                    batches.add(Sample.COLLATE.collate(data.subList(k * global, (k + 1) * global)));
                t.train(e, Flux.fromIterable(batches))
                        .doOnNext(m -> losses.add(m.loss()))
                        .blockLast();
            }
        }
        return List.of(model.stateDict(), losses);
    }

    static double maxAbsDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
        assertEquals(a.keySet(), b.keySet());
        double d = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k).toFloatArray(), y = b.get(k).toFloatArray();
            for (int i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    static double accuracy(Map<String, Tensor> state) {
        Module m = classifier();
        m.loadStateDict(state);
        Batch all = Sample.COLLATE.collate(samples());
        try (var s = GradMode.noGrad()) {
            return m.call(all.inputs()).argmax(1).eq(all.targets()).sum().item() / SAMPLES;
        }
    }

    // Measured: after 128 steps of Adam the largest parameter difference is 2.4e-7 (the parameters moved by up
    // to 0.7): float32 reassociation of the batch mean (two means of 16 averaged vs one mean of 32).
    private static final double TOLERANCE = 5e-6;

    @Test
    void twoWorkersWithBatchBEqualOneProcessWithBatch2BAndStreamTheirSteps() {
        List<StepMetrics> streamed = new CopyOnWriteArrayList<>();
        List<String> status = new CopyOnWriteArrayList<>();
        SparkTrainer.Result r = builder(CrossEntropyLoss::new)
                .progress(new ProgressListener() {
                    @Override
                    public void onStep(int attempt, StepMetrics step) {
                        streamed.add(step);
                    }

                    @Override
                    public void onStatus(int attempt, String message) {
                        status.add(message);
                    }
                })
                .build()
                .fit(sc.parallelize(samples(), 3));
        synchronized (SparkTrainerTest.class) {
            if (uninterrupted == null) uninterrupted = r;
        }

        List<Object> one = singleProcess();
        @SuppressWarnings("unchecked")
        Map<String, Tensor> reference = (Map<String, Tensor>) one.get(0);
        @SuppressWarnings("unchecked")
        List<Double> losses = (List<Double>) one.get(1);
        int steps = EPOCHS * (SAMPLES / (WORKERS * B));
        assertEquals(steps, r.steps().size());
        assertEquals(SAMPLES / (WORKERS * B), r.stepsPerEpoch());
        assertEquals(1, r.attempts());
        double diff = maxAbsDiff(reference, r.stateDict()),
                moved = maxAbsDiff(classifier().stateDict(), reference);
        System.out.printf(
                "SparkTrainerTest: 2 workers x batch %d vs 1 process x batch %d after %d steps: max |parameter difference| %.3g "
                        + "(parameters moved up to %.3g), rendezvous %.2f s%n",
                B, WORKERS * B, steps, diff, moved, r.rendezvousSeconds());
        assertTrue(
                moved > 100 * TOLERANCE, "training must move the parameters well beyond the tolerance: moved " + moved);
        assertTrue(diff <= TOLERANCE, "max |difference| " + diff + " > " + TOLERANCE);
        for (int i = 0; i < steps; i++) {
            StepMetrics m = r.steps().get(i);
            assertEquals(i + 1, m.step());
            assertEquals(i / r.stepsPerEpoch(), m.epoch());
            assertEquals(WORKERS * B, m.batchSize(), "the global batch");
            assertEquals(
                    losses.get(i),
                    m.loss(),
                    1e-5,
                    "step " + (i + 1) + ": the mean loss over the workers is the global batch's");
        }
        assertEquals(r.steps(), streamed, "rank 0 streamed every step to the driver");
        assertTrue(status.getFirst().startsWith("2 workers formed their ring in "), status.toString());
    }

    /** The loss, except that rank 1 of the first attempt writes its pid and stalls at the given step, to be killed there. */
    record StallingLossFactory(String markerDir, int stallAtStep) implements SparkTrainer.LossFactory {
        @Override
        public Loss create() {
            TaskContext ctx = TaskContext.get();
            boolean victim = ctx.partitionId() == 1 && ctx.stageAttemptNumber() == 0;
            CrossEntropyLoss inner = new CrossEntropyLoss();
            int[] calls = {0};
            return new Loss(Reduction.MEAN) {
                @Override
                public Tensor forward(Tensor input, Tensor target) {
                    if (victim && ++calls[0] == stallAtStep) {
                        try {
                            Path tmp = Path.of(markerDir, "pid.tmp");
                            Files.writeString(
                                    tmp, Long.toString(ProcessHandle.current().pid()));
                            Files.move(tmp, Path.of(markerDir, "pid"));
                            Thread.sleep(120_000); // until the test kills this JVM
                        } catch (IOException | InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return inner.call(input, target);
                }
            };
        }
    }

    @Test
    void losingAnExecutorMidTrainingResumesFromTheLastCheckpointAndEndsWithTheSameParameters(@TempDir Path dir)
            throws Exception {
        Path checkpoints = dir.resolve("checkpoints"), marker = Files.createDirectories(dir.resolve("marker"));
        List<String> status = new CopyOnWriteArrayList<>();
        SparkTrainer trainer = builder(new StallingLossFactory(marker.toString(), 51))
                .checkpointDir(checkpoints)
                .checkpointEvery(20)
                .progress(new ProgressListener() {
                    @Override
                    public void onStatus(int attempt, String message) {
                        status.add(attempt + ": " + message);
                    }
                })
                .build();
        CompletableFuture<SparkTrainer.Result> fit =
                CompletableFuture.supplyAsync(() -> trainer.fit(sc.parallelize(samples(), 3)));
        Path pidFile = marker.resolve("pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(pidFile) && !fit.isDone() && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(Files.exists(pidFile), "rank 1 never reached step 51");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle executor = ProcessHandle.of(pid).orElseThrow();
        assertEquals(
                ProcessHandle.current().pid(),
                executor.parent().map(ProcessHandle::pid).orElse(-1L),
                "pid " + pid + " is an executor JVM, started by this JVM's local-cluster worker");
        assertTrue(executor.destroyForcibly(), "killing executor " + pid);

        SparkTrainer.Result r = fit.get(100, TimeUnit.SECONDS);
        assertEquals(2, r.attempts(), "the stage ran again after the executor was lost");
        assertEquals(40, r.resumedFromStep(), "the newest checkpoint before step 51");
        assertEquals(
                List.of(120L, 128L),
                new CheckpointStore(checkpoints).steps(),
                "the two newest checkpoints are kept, the final one among them");
        SparkTrainer.Result whole = uninterrupted();
        assertEquals(whole.stateDict().keySet(), r.stateDict().keySet());
        for (String k : whole.stateDict().keySet()) {
            assertArrayEquals(
                    whole.stateDict().get(k).toFloatArray(),
                    r.stateDict().get(k).toFloatArray(),
                    k + ": the same bits as without the loss");
        }
        assertEquals(
                whole.steps().stream().map(StepMetrics::loss).toList(),
                r.steps().stream().map(StepMetrics::loss).toList(),
                "the step history runs from step 1, restored from the checkpoint");
        assertEquals(accuracy(whole.stateDict()), accuracy(r.stateDict()));
        assertTrue(accuracy(r.stateDict()) > 0.8, "the model learned: accuracy " + accuracy(r.stateDict()));
        assertTrue(
                status.stream()
                        .anyMatch(s -> s.startsWith("1: 2 workers formed their ring in ")
                                && s.endsWith("resuming from step-000000040.safetensors (step 40)")),
                status.toString());

        // the directory now belongs to that run: another run (another batch size) must not resume from it
        byte[] newest = Files.readAllBytes(checkpoints.resolve("step-000000128.safetensors"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> builder(CrossEntropyLoss::new)
                        .batchSize(8)
                        .checkpointDir(checkpoints)
                        .build()
                        .fit(sc.parallelize(samples(), 3)));
        assertEquals(
                "SparkTrainer: rank 0 of 2 could not start training: the checkpoint "
                        + checkpoints.resolve("step-000000128.safetensors")
                        + " is of a run with batch_size = 16, this run has 8; give this run a new checkpoint directory",
                e.getMessage());
        assertEquals(List.of(120L, 128L), new CheckpointStore(checkpoints).steps());
        assertArrayEquals(
                newest,
                Files.readAllBytes(checkpoints.resolve("step-000000128.safetensors")),
                "the checkpoint is left as it was");
    }

    @Test
    void fewerPartitionsThanWorkersIsAnErrorBeforeTrainingStarts(@TempDir Path dir) {
        Path checkpoints = dir.resolve("checkpoints");
        JavaRDD<Sample> one = sc.parallelize(samples(), 1);
        sc.setJobGroup("fewer-partitions", "fewer partitions than workers", false);
        try {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> builder(CrossEntropyLoss::new)
                            .checkpointDir(checkpoints)
                            .build()
                            .fit(one));
            assertEquals(
                    "SparkTrainer.fit: the data has 1 partition, fewer than the 2 workers; repartition it first (data.repartition(2)) "
                            + "or use fewer workers",
                    e.getMessage());
            assertEquals(0, sc.statusTracker().getJobIdsForGroup("fewer-partitions").length, "no Spark job ran");
            assertFalse(Files.exists(checkpoints), "nothing was written");

            JavaRDD<Sample> few = sc.parallelize(samples().subList(0, 20), 2);
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> builder(CrossEntropyLoss::new).build().fit(few));
            assertEquals(
                    "SparkTrainer.fit: the data has 20 samples, fewer than one global batch of 2 workers x batch size 16 = 32",
                    e.getMessage());
        } finally {
            sc.clearJobGroup();
        }
    }

    /** Rank 1 builds a wider hidden layer than rank 0. */
    static Module differingModel() {
        int hidden = TaskContext.get().partitionId() == 1 ? 33 : 32;
        Generator g = new Generator(7);
        return new Sequential(new Linear(FEATURES, hidden, true, g), new Tanh(), new Linear(hidden, CLASSES, true, g));
    }

    @Test
    void aModelFactoryThatDiffersBetweenWorkersFailsTheFitNamingTheParameterWithoutRetrying() {
        List<String> status = new CopyOnWriteArrayList<>();
        SparkTrainer trainer = SparkTrainer.builder(
                        SparkTrainerTest::differingModel, m -> new Adam(m.parameters(), 1e-2), CrossEntropyLoss::new)
                .numWorkers(WORKERS)
                .batchSize(B)
                .progress(new ProgressListener() {
                    @Override
                    public void onStatus(int attempt, String message) {
                        status.add(attempt + ": " + message);
                    }
                })
                .build();
        stageAttempts.clear();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> trainer.fit(sc.parallelize(samples(), 2)));
        assertEquals(
                "SparkTrainer: rank 0 of 2 could not start training: DistributedDataParallel expects the same model on every rank, but "
                        + "parameter '0.weight' has shape [33, 8] on rank 1 and [32, 8] on rank 0; build the model the same way on every rank",
                e.getMessage());
        assertTrue(status.isEmpty(), "no training began: " + status);
        assertTrue(stageAttempts.stream().allMatch(a -> a.endsWith(".0")), "no stage was retried: " + stageAttempts);
    }
}
