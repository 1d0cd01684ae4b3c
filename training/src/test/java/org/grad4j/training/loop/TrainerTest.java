package org.grad4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.Batch;
import org.grad4j.training.data.DataLoader;
import org.grad4j.training.data.Dataset;
import org.grad4j.training.data.TensorDataset;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.Module;
import org.grad4j.training.nn.ReLU;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
import org.grad4j.training.optim.LRScheduler;
import org.grad4j.training.optim.Optimizer;
import org.grad4j.training.optim.ParamGroup;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class TrainerTest {
    private final List<Trainer> trainers = new ArrayList<>();

    @AfterEach
    void closeTrainers() {
        trainers.forEach(Trainer::close);
    }

    private Trainer trainer(Module model, Optimizer opt) {
        Trainer t = Trainer.builder(model, opt).loss(new CrossEntropyLoss()).build();
        trainers.add(t);
        return t;
    }

    /** 64 samples of 4 features in 3 classes (the class is the arg-max of the first 3 features). */
    static TensorDataset data() {
        Generator g = new Generator(42);
        Tensor x = Tensor.randn(g, 64, 4);
        return new TensorDataset(x, x.narrow(1, 0, 3).argmax(1));
    }

    static Sequential model(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(4, 16, true, g), new ReLU(), new Linear(16, 3, true, g));
    }

    static DataLoader loader(Dataset ds, int workers) {
        return DataLoader.builder(ds)
                .batchSize(8)
                .shuffle(true)
                .seed(7)
                .numWorkers(workers)
                .build();
    }

    /** The same steps written as a plain loop: the reference the pipeline must equal bit for bit. */
    static Sequential referenceRun(int steps) {
        Sequential m = model(1);
        Adam opt = new Adam(m.parameters(), 1e-2);
        int done = 0;
        for (int epoch = 0; done < steps; epoch++) {
            for (Batch b : loader(data(), 0).flux(epoch).toIterable()) {
                if (done++ == steps) break;
                new CrossEntropyLoss().call(m.call(b.inputs()), b.targets()).backward();
                opt.step();
                opt.zeroGrad();
            }
        }
        return m;
    }

    static void assertSameParameters(Module expected, Module actual) {
        for (int i = 0; i < expected.parameters().size(); i++) {
            assertArrayEquals(
                    expected.parameters().get(i).toFloatArray(),
                    actual.parameters().get(i).toFloatArray(),
                    0f,
                    "parameter " + i);
        }
    }

    /**
     * With {@code device(d)} the trainer copies each batch to the model's device: on the core tests'
     * "test" device (a second backend) it gives the cpu reference bit for bit, and parameters stay there.
     */
    @Test
    void deviceCopiesEachBatchToTheModelsDevice() {
        org.grad4j.core.Device dev = org.grad4j.core.Device.of("test");
        Sequential m = model(1);
        m.to(dev);
        Adam opt = new Adam(m.parameters(), 1e-2);
        Trainer t =
                Trainer.builder(m, opt).loss(new CrossEntropyLoss()).device(dev).build();
        trainers.add(t);
        List<StepMetrics> steps =
                t.train(0, loader(data(), 0).flux(0)).collectList().block();
        assertEquals(8, steps.size());
        for (Tensor p : m.parameters()) assertEquals(dev, p.device());
        EvalMetrics ev = t.evaluate(0, loader(data(), 0).flux(0)).block();
        assertEquals(64, ev.samples());
        Sequential reference = referenceRun(8);
        m.to(org.grad4j.core.Device.cpu());
        assertSameParameters(reference, m);
    }

    /** An SGD-like optimizer that logs its calls. */
    static final class LoggingSGD extends Optimizer {
        final List<String> log;

        LoggingSGD(List<Tensor> params, List<String> log) {
            super("LoggingSGD", params, Map.of("lr", 0.1));
            this.log = log;
        }

        @Override
        protected void update(ParamGroup group) {
            log.add("step@" + Thread.currentThread().getName());
            for (Tensor p : group.params()) p.sub_(p.grad(), (float) group.lr());
        }

        @Override
        public void zeroGrad(boolean setToNone) {
            log.add("zeroGrad@" + Thread.currentThread().getName());
            super.zeroGrad(setToNone);
        }
    }

    @Test
    void eachBatchRunsForwardBackwardExchangeStepZeroGradInOrderOnOneThread() {
        List<String> log = new CopyOnWriteArrayList<>();
        Sequential m = model(1);
        LoggingSGD opt = new LoggingSGD(m.parameters(), log);
        m.registerForwardHook((mod, in, out) -> {
            log.add("forward@" + Thread.currentThread().getName());
            return null;
        });
        m.parameters().get(0).registerHook(g -> {
            log.add("backward@" + Thread.currentThread().getName());
            return null;
        });
        Trainer t = Trainer.builder(m, opt)
                .loss((out, y) -> {
                    log.add("loss@" + Thread.currentThread().getName());
                    return new CrossEntropyLoss().call(out, y);
                })
                .gradientExchange(ps -> {
                    assertTrue(ps.stream().allMatch(p -> p.grad() != null), "exchange sees complete gradients");
                    log.add("exchange@" + Thread.currentThread().getName());
                })
                .build();
        trainers.add(t);
        StepVerifier.create(t.train(0, loader(data(), 2).flux(0)))
                .assertNext(s -> assertEquals(List.of(0, 1L), List.of(s.epoch(), s.step())))
                .expectNextCount(6)
                .assertNext(s -> {
                    assertEquals(8L, s.step());
                    assertEquals(7, s.batch());
                    assertEquals(8, s.batchSize());
                    assertEquals(0.1, s.lr(), 1e-9);
                    assertTrue(s.samplesPerSecond() > 0 && Double.isFinite(s.loss()));
                })
                .verifyComplete();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++)
            expected.addAll(List.of("forward", "loss", "backward", "exchange", "step", "zeroGrad"));
        assertEquals(
                expected, log.stream().map(s -> s.substring(0, s.indexOf('@'))).toList());
        assertEquals(
                1, log.stream().map(s -> s.substring(s.indexOf('@'))).distinct().count(), "one training thread");
        assertTrue(log.get(0).endsWith("@grad4j-train-1") || log.get(0).contains("@grad4j-train"), log.get(0));
    }

    @Test
    void thePipelineEqualsThePlainLoopBitForBit() {
        Sequential m = model(1);
        Trainer t = trainer(m, new Adam(m.parameters(), 1e-2));
        StepVerifier.create(t.fit(2, e -> loader(data(), 2).flux(e)))
                .expectNextCount(16)
                .verifyComplete();
        assertSameParameters(referenceRun(16), m);
    }

    /** A dataset that counts the batches loaded. */
    static final class Counting implements Dataset {
        final TensorDataset inner = data();
        final AtomicInteger loads = new AtomicInteger();

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public List<Tensor> get(int i) {
            return inner.get(i);
        }

        @Override
        public Batch getBatch(int[] idx) {
            loads.incrementAndGet();
            return inner.getBatch(idx);
        }
    }

    @Test
    void stepsFollowDemandAndLoadingStaysBoundedAhead() {
        Counting ds = new Counting();
        Sequential m = model(1);
        Trainer t = Trainer.builder(m, new Adam(m.parameters(), 1e-2))
                .loss(new CrossEntropyLoss())
                .prefetch(2)
                .build();
        trainers.add(t);
        int ahead = 2 + 2 * 2; // the trainer's prefetch + workers × prefetch factor
        StepVerifier.create(t.train(0, loader(ds, 2).flux(0)), 0)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(200))
                .then(() -> {
                    assertEquals(0, t.globalStep(), "no demand, no step");
                    assertTrue(ds.loads.get() <= ahead, "loaded " + ds.loads.get());
                })
                .thenRequest(2)
                .expectNextCount(2)
                .thenAwait(Duration.ofMillis(200))
                .then(() -> {
                    t.awaitIdle();
                    assertEquals(2, t.globalStep(), "two requested, two steps");
                    assertTrue(ds.loads.get() <= 2 + ahead, "loaded " + ds.loads.get());
                })
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(6)
                .verifyComplete();
        assertEquals(8, ds.loads.get());
    }

    @Test
    void cancellingMidStepFinishesThatStepAndStartsNoOther() throws InterruptedException {
        Sequential m = model(1);
        Trainer t = trainer(m, new Adam(m.parameters(), 1e-2));
        AtomicInteger forwards = new AtomicInteger();
        CountDownLatch inFourthStep = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        m.registerForwardHook((mod, in, out) -> {
            if (forwards.incrementAndGet() == 4) {
                inFourthStep.countDown();
                // a long CPU-bound forward: it ignores interrupts, as real kernels do
                while (!release.get()) Thread.onSpinWait();
            }
            return null;
        });
        List<StepMetrics> seen = new CopyOnWriteArrayList<>();
        Disposable sub = t.train(0, loader(data(), 2).flux(0)).subscribe(seen::add);
        assertTrue(inFourthStep.await(30, TimeUnit.SECONDS));
        sub.dispose();
        release.set(true);
        t.awaitIdle();
        assertEquals(4, t.globalStep(), "the step in progress completed");
        assertEquals(4, forwards.get(), "no step started after the cancel");
        // the metrics of the finished step may still reach the cancelled subscriber, nothing after them
        assertEquals(
                List.of(1L, 2L, 3L, 4L).subList(0, seen.size()),
                seen.stream().map(StepMetrics::step).toList());
        assertTrue(seen.size() >= 3);
        for (Tensor p : m.parameters()) assertNull(p.grad(), "zeroGrad ran");
        assertSameParameters(referenceRun(4), m);
    }

    @Test
    void anErrorInABatchEndsTheFluxWithItAndLeavesTheLastGoodState() {
        Sequential m = model(1);
        Trainer t = trainer(m, new Adam(m.parameters(), 1e-2));
        List<Batch> batches =
                new ArrayList<>(loader(data(), 0).flux(0).collectList().block());
        batches.set(2, Batch.of(Tensor.zeros(8, 5), batches.get(2).targets())); // 5 features for a 4-input layer
        StepVerifier.create(t.train(0, Flux.fromIterable(batches)))
                .expectNextCount(2)
                .expectErrorSatisfies(e -> {
                    assertTrue(e instanceof IllegalArgumentException, e.toString());
                    assertTrue(e.getMessage().contains("[8, 5]"), e.getMessage());
                })
                .verify();
        assertEquals(2, t.globalStep());
        assertSameParameters(referenceRun(2), m);
    }

    @Test
    void anErrorHalfWayThroughBackwardDiscardsThePartialGradients() {
        Sequential m = model(1);
        Adam opt = new Adam(m.parameters(), 1e-2);
        Trainer t = trainer(m, opt);
        AtomicInteger backwards = new AtomicInteger();
        // the first layer's weight gets its gradient last; by then the second layer's are accumulated
        m.parameters().get(0).registerHook(g -> {
            if (backwards.incrementAndGet() == 3) throw new IllegalStateException("replica lost during backward");
            return null;
        });
        StepVerifier.create(t.train(0, loader(data(), 0).flux(0)))
                .expectNextCount(2)
                .expectErrorMessage("replica lost during backward")
                .verify();
        for (Tensor p : m.parameters()) assertNull(p.grad(), "no half-accumulated gradient is left");
        assertEquals(2f, opt.stateDict().state().get(0).get("step").item(), "the optimizer did not step");
        assertSameParameters(referenceRun(2), m);
        // the model is still usable: training goes on from the last good state
        StepVerifier.create(t.train(0, 2, loader(data(), 0).flux(0).skip(2)))
                .expectNextCount(6)
                .verifyComplete();
        assertSameParameters(referenceRun(8), m);
    }

    @Test
    void gradientExchangeIsThePointBetweenBackwardAndStep() {
        // halving every gradient in the exchange equals SGD with half the learning rate, to the bit
        Sequential a = model(1), b = model(1);
        Trainer ta = Trainer.builder(a, new SGD(a.parameters(), 0.2f))
                .loss(new CrossEntropyLoss())
                .gradientExchange(ps -> {
                    try (var s = GradMode.noGrad()) {
                        ps.forEach(p -> p.grad().mul_(0.5f));
                    }
                })
                .build();
        Trainer tb = trainer(b, new SGD(b.parameters(), 0.1f));
        trainers.add(ta);
        StepVerifier.create(ta.train(0, loader(data(), 0).flux(0)))
                .expectNextCount(8)
                .verifyComplete();
        StepVerifier.create(tb.train(0, loader(data(), 0).flux(0)))
                .expectNextCount(8)
                .verifyComplete();
        assertSameParameters(b, a);
    }

    @Test
    void evaluationRunsUnderNoGradInEvalModeAndCountsCorrectClasses() {
        Linear l = new Linear(2, 2, true, new Generator(0));
        l.loadStateDict(Map.of("weight", Tensor.tensor(new float[][] {{1, 0}, {0, 1}}), "bias", Tensor.zeros(2)));
        List<Boolean> gradModes = new ArrayList<>(), training = new ArrayList<>();
        l.registerForwardHook((mod, in, out) -> {
            gradModes.add(GradMode.isEnabled());
            training.add(mod.isTraining());
            return null;
        });
        Trainer t = trainer(l, new SGD(l.parameters(), 0.1f));
        Tensor x = Tensor.tensor(new float[][] {{2, 0}, {0, 3}, {1, 0}});
        Tensor y = Tensor.indices(0, 1, 1); // the last one is wrong
        StepVerifier.create(t.evaluate(
                        4,
                        Flux.just(
                                Batch.of(x.narrow(0, 0, 2), y.narrow(0, 0, 2)),
                                Batch.of(x.narrow(0, 2, 1), y.narrow(0, 2, 1)))))
                .assertNext(e -> {
                    assertEquals(4, e.epoch());
                    assertEquals(3, e.samples());
                    assertEquals(2.0 / 3, e.accuracy(), 1e-12);
                    double l0 = Math.log(1 + Math.exp(-2)),
                            l1 = Math.log(1 + Math.exp(-3)),
                            l2 = Math.log(1 + Math.exp(1));
                    assertEquals((l0 + l1 + l2) / 3, e.loss(), 1e-6);
                })
                .verifyComplete();
        assertEquals(List.of(false, false), gradModes);
        assertEquals(List.of(false, false), training);
        assertTrue(l.isTraining(), "back in train mode");
        assertEquals(0, t.globalStep());
        for (Tensor p : l.parameters()) assertNull(p.grad());
    }

    @Test
    void earlyStoppingEndsTheStreamAfterPatienceItemsWithoutImprovement() {
        StepVerifier.create(Flux.just(5.0, 4.0, 4.5, 3.0, 3.05, 3.2, 3.1, 1.0, 0.5)
                        .transform(MetricsOperators.earlyStopping(v -> v, 3, 0.0, MetricsOperators.Mode.MIN)))
                .expectNext(5.0, 4.0, 4.5, 3.0, 3.05, 3.2, 3.1)
                .verifyComplete();
        StepVerifier.create(Flux.just(0.5, 0.6, 0.6, 0.65)
                        .transform(MetricsOperators.earlyStopping(v -> v, 1, 0.07, MetricsOperators.Mode.MAX)))
                .expectNext(0.5, 0.6, 0.6)
                .verifyComplete();
    }

    @Test
    void earlyStoppingOnTheTrainingStreamStopsTraining() {
        Sequential m = model(1);
        Trainer t = trainer(m, new SGD(m.parameters(), 0f)); // lr 0: the loss never improves on its best
        StepVerifier.create(t.fit(3, e -> loader(data(), 2).flux(e))
                        .transform(
                                MetricsOperators.earlyStopping(StepMetrics::loss, 4, 0.0, MetricsOperators.Mode.MIN)))
                .thenConsumeWhile(s -> true)
                .verifyComplete();
        t.awaitIdle();
        assertTrue(t.globalStep() < 24, "stopped before the 3 epochs ended: " + t.globalStep());
    }

    @TempDir
    Path dir;

    /** A run stopped after a periodic checkpoint and resumed from it gives the same next losses as an uninterrupted run. */
    @Test
    void resumeFromAPeriodicCheckpointGivesTheSameNextLosses() {
        Sequential full = model(1);
        Adam fullOpt = new Adam(full.parameters(), 1e-2);
        LRScheduler fullSched = new LRScheduler.StepLR(fullOpt, 1, 0.5);
        Trainer tf = Trainer.builder(full, fullOpt)
                .loss(new CrossEntropyLoss())
                .epochScheduler(fullSched)
                .build();
        trainers.add(tf);
        List<Double> uninterrupted = tf.fit(3, e -> loader(data(), 2).flux(e))
                .map(StepMetrics::loss)
                .collectList()
                .block();
        assertEquals(24, uninterrupted.size());

        // first run: checkpoint every 5 steps, killed after step 12 (the last checkpoint is step 10: epoch 1, batch 1)
        Path ckpt = dir.resolve("run.safetensors");
        Sequential first = model(1);
        Adam firstOpt = new Adam(first.parameters(), 1e-2);
        LRScheduler firstSched = new LRScheduler.StepLR(firstOpt, 1, 0.5);
        Trainer t1 = Trainer.builder(first, firstOpt)
                .loss(new CrossEntropyLoss())
                .epochScheduler(firstSched)
                .build();
        trainers.add(t1);
        StepVerifier.create(t1.fit(3, e -> loader(data(), 2).flux(e))
                        .transform(MetricsOperators.checkpointEvery(5, ckpt, first, firstOpt))
                        .take(12))
                .expectNextCount(12)
                .verifyComplete();

        // second run: a fresh process state restored from the file
        Sequential second = model(99);
        Adam secondOpt = new Adam(second.parameters(), 1e-3);
        LRScheduler secondSched = new LRScheduler.StepLR(secondOpt, 1, 0.5);
        Map<String, String> meta = Checkpoint.load(ckpt, second, secondOpt);
        assertEquals(Map.of("epoch", "1", "batch", "1", "step", "10"), meta);
        int epoch = Integer.parseInt(meta.get("epoch")), next = Integer.parseInt(meta.get("batch")) + 1;
        secondSched.setLastEpoch(epoch);
        Trainer t2 = Trainer.builder(second, secondOpt)
                .loss(new CrossEntropyLoss())
                .epochScheduler(secondSched)
                .build();
        trainers.add(t2);
        t2.setGlobalStep(Long.parseLong(meta.get("step")));
        List<StepMetrics> resumed = t2.train(
                        epoch, next, loader(data(), 2).flux(epoch).skip(next))
                .concatWith(reactor.core.publisher.Mono.fromRunnable(secondSched::step))
                .concatWith(
                        t2.fit(epoch + 1, 3 - epoch - 1, e -> loader(data(), 2).flux(e)))
                .collectList()
                .block();
        assertEquals(14, resumed.size());
        assertEquals(11L, resumed.get(0).step());
        assertEquals(
                uninterrupted.subList(10, 24),
                resumed.stream().map(StepMetrics::loss).toList());
        assertSameParameters(full, second);
        assertEquals(1e-2 * 0.125, secondOpt.paramGroups().get(0).lr(), 1e-15);
        assertEquals(
                fullOpt.paramGroups().get(0).lr(),
                secondOpt.paramGroups().get(0).lr());
    }
}
