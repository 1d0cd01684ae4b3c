package org.grad4j.training.loop;

import java.lang.ref.Cleaner;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import org.grad4j.core.Device;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.data.Batch;
import org.grad4j.training.nn.Loss;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.ClipGrad;
import org.grad4j.training.optim.LRScheduler;
import org.grad4j.training.optim.Optimizer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The training loop as a Reactor pipeline: a {@code Flux<Batch>} in, a {@code Flux<StepMetrics>} out.
 *
 * <p>Each batch runs forward → loss → {@code backward()} → {@link GradientExchange} → (clipping) →
 * {@code optimizer.step()} → {@code zeroGrad()}, strictly in order on the trainer's one training
 * thread. The batches are requested {@code prefetch} ahead, so loading (on the data loader's own
 * scheduler) runs ahead of training, and no further than that (backpressure); steps run only as the
 * metrics subscriber requests them.
 *
 * <p>Cancelling the subscription lets the current step finish and starts no other. An exception in a
 * batch (loading, forward, loss, backward, exchange) ends the flux with that exception; the
 * gradients of that batch are discarded and the optimizer does not step, so model and optimizer are
 * as they were after the last good step.
 *
 * <p>The training thread starts with the first epoch; {@link #close()} stops it, and so does the
 * garbage collector for a trainer dropped without {@code close()}. A closed trainer refuses to train.
 */
public final class Trainer implements AutoCloseable {
    private final Module model;
    private final Optimizer optimizer;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    private final GradientExchange exchange;
    private final double clipGradNorm;
    private final LRScheduler epochScheduler, stepScheduler;
    private final int prefetch;
    private final Device device;
    private final TrainingThread thread;
    private final Cleaner.Cleanable cleanable;
    private final List<Tensor> params;
    private volatile long globalStep;

    private Trainer(Builder b) {
        this.model = b.model;
        this.optimizer = b.optimizer;
        this.loss = b.loss;
        this.exchange = b.exchange;
        this.clipGradNorm = b.clipGradNorm;
        this.epochScheduler = b.epochScheduler;
        this.stepScheduler = b.stepScheduler;
        this.prefetch = b.prefetch;
        this.device = b.device;
        this.thread = new TrainingThread();
        this.cleanable = TrainingThread.CLEANER.register(this, thread);
        this.params = model.parameters();
    }

    public static Builder builder(Module model, Optimizer optimizer) {
        return new Builder(model, optimizer);
    }

    /** Optimizer steps taken so far. */
    public long globalStep() {
        return globalStep;
    }

    /** Sets the step count (when resuming from a checkpoint). */
    public void setGlobalStep(long step) {
        globalStep = step;
    }

    public Module model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** One epoch over {@code batches}, numbered from batch 0. */
    public Flux<StepMetrics> train(int epoch, Flux<Batch> batches) {
        return train(epoch, 0, batches);
    }

    /** Part of an epoch whose first batch has index {@code firstBatch} (resuming mid-epoch). */
    public Flux<StepMetrics> train(int epoch, int firstBatch, Flux<Batch> batches) {
        return Flux.defer(() -> batches.publishOn(thread.scheduler(), prefetch)
                .scan(new Progress(firstBatch, System.nanoTime(), null), (p, batch) -> {
                    StepMetrics m = step(epoch, p.nextBatch(), batch, p.sinceNanos());
                    return new Progress(p.nextBatch() + 1, System.nanoTime(), m);
                })
                .skip(1) // the seed
                .map(Progress::metrics));
    }

    /** Where an epoch stands between steps: the next batch's index, when the last step ended, its metrics. */
    private record Progress(int nextBatch, long sinceNanos, StepMetrics metrics) {}

    /** Several epochs: {@code data.apply(e)} gives epoch e's batches; an epoch LR scheduler steps after each. */
    public Flux<StepMetrics> fit(int epochs, IntFunction<Flux<Batch>> data) {
        return fit(0, epochs, data);
    }

    /** Epochs {@code firstEpoch} .. {@code firstEpoch + epochs - 1}. */
    public Flux<StepMetrics> fit(int firstEpoch, int epochs, IntFunction<Flux<Batch>> data) {
        return Flux.range(firstEpoch, epochs)
                .concatMap(
                        e -> {
                            Flux<StepMetrics> f = train(e, data.apply(e));
                            return epochScheduler == null ? f : f.concatWith(Mono.fromRunnable(epochScheduler::step));
                        },
                        0);
    }

    private StepMetrics step(int epoch, int batchIndex, Batch batch, long since) {
        model.train();
        double lr = optimizer.paramGroups().get(0).lr();
        float value;
        try {
            Tensor out = model.call(onDevice(batch.inputs()));
            Tensor l = loss.apply(out, onDevice(batch.targets()));
            value = l.item(); // the step's one read-back from the device
            l.backward();
            exchange.exchange(params);
            if (clipGradNorm > 0) ClipGrad.clipGradNorm(params, clipGradNorm);
        } catch (RuntimeException | Error e) {
            // drop this batch's (possibly partial) gradients: the next step starts from the last good state
            optimizer.zeroGrad();
            throw e;
        }
        optimizer.step();
        optimizer.zeroGrad();
        if (stepScheduler != null) stepScheduler.step();
        long now = System.nanoTime();
        long step = ++globalStep;
        return new StepMetrics(
                epoch, step, batchIndex, value, batch.size(), batch.size() / Math.max(1e-9, (now - since) / 1e9), lr);
    }

    /**
     * Mean loss and accuracy over {@code batches} in eval mode and without recording, on the training
     * thread (so never during a step); the model returns to train mode afterwards.
     */
    public Mono<EvalMetrics> evaluate(int epoch, Flux<Batch> batches) {
        return Flux.defer(() -> {
                    long start = System.nanoTime();
                    return batches.publishOn(thread.scheduler(), prefetch)
                            .map(this::evaluateBatch)
                            .reduce(EvalTotals.NONE, EvalTotals::plus)
                            .map(t -> new EvalMetrics(
                                    epoch,
                                    t.lossSum() / t.samples(),
                                    t.classes() ? t.correct() / t.samples() : Double.NaN,
                                    t.samples(),
                                    (System.nanoTime() - start) / 1e9));
                })
                .single();
    }

    /** One batch's summed loss, correct predictions and size, in eval mode and without recording. */
    private EvalTotals evaluateBatch(Batch batch) {
        boolean wasTraining = model.isTraining();
        model.eval();
        try (var s = GradMode.noGrad()) {
            Tensor out = model.call(onDevice(batch.inputs()));
            Tensor t = onDevice(batch.targets());
            int n = batch.size();
            double lossSum = loss.apply(out, t).item() * n;
            boolean classes = out.dim() == 2 && t.dim() == 1; // accuracy only for class-index targets
            return new EvalTotals(lossSum, classes ? out.argmax(1).eq(t).sum().item() : 0, n, classes);
        } finally {
            model.train(wasTraining);
        }
    }

    /** Running sums of an evaluation; accuracy is defined only if every batch had class-index targets. */
    private record EvalTotals(double lossSum, double correct, long samples, boolean classes) {
        static final EvalTotals NONE = new EvalTotals(0, 0, 0, true);

        EvalTotals plus(EvalTotals b) {
            return new EvalTotals(lossSum + b.lossSum, correct + b.correct, samples + b.samples, classes && b.classes);
        }
    }

    /** The batch tensor on the trainer's device (a host-to-device copy when it is elsewhere). */
    private Tensor onDevice(Tensor t) {
        return device == null ? t : t.to(device);
    }

    /** Blocks until the step in progress, if any, has finished (the training thread runs tasks in order). */
    public void awaitIdle() {
        Mono.fromRunnable(() -> {}).subscribeOn(thread.scheduler()).block();
    }

    /** Stops the training thread (after any step in progress); then the trainer refuses to train. Idempotent. */
    @Override
    public void close() {
        cleanable.clean(); // runs TrainingThread.run at most once
    }

    /**
     * The one training thread, made on first use and stopped by {@link #run()} ({@code close()}, or
     * the cleaner once the trainer is garbage). It holds nothing of the trainer, so that the trainer
     * can become garbage.
     */
    private static final class TrainingThread implements Runnable {
        /** One daemon thread for every trainer: it stops the threads of trainers dropped without close(). */
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "grad4j-trainer-cleaner");
            t.setDaemon(true);
            return t;
        });

        private Scheduler scheduler;
        private boolean stopped;

        synchronized Scheduler scheduler() {
            if (stopped)
                throw new IllegalStateException("Trainer: the trainer is closed (its training thread is stopped); "
                        + "build a new one to train again");
            if (scheduler == null) scheduler = Schedulers.newSingle("grad4j-train", true);
            return scheduler;
        }

        @Override
        public synchronized void run() {
            stopped = true;
            if (scheduler != null) scheduler.dispose();
        }
    }

    public static final class Builder {
        private final Module model;
        private final Optimizer optimizer;
        private BiFunction<Tensor, Tensor, Tensor> loss;
        private GradientExchange exchange = GradientExchange.LOCAL;
        private double clipGradNorm;
        private LRScheduler epochScheduler, stepScheduler;
        private int prefetch = 2;
        private Device device;

        private Builder(Module model, Optimizer optimizer) {
            this.model = model;
            this.optimizer = optimizer;
        }

        public Builder loss(Loss loss) {
            this.loss = loss::call;
            return this;
        }

        /** Any {@code (output, target) -> loss}. */
        public Builder loss(BiFunction<Tensor, Tensor, Tensor> loss) {
            this.loss = loss;
            return this;
        }

        public Builder gradientExchange(GradientExchange exchange) {
            this.exchange = exchange;
            return this;
        }

        /** Clip the total gradient 2-norm to {@code maxNorm} before each step (after the exchange). */
        public Builder clipGradNorm(double maxNorm) {
            this.clipGradNorm = maxNorm;
            return this;
        }

        /** An LR scheduler stepped after every epoch of {@link Trainer#fit}. */
        public Builder epochScheduler(LRScheduler s) {
            this.epochScheduler = s;
            return this;
        }

        /** An LR scheduler stepped after every optimizer step (warmup by steps, say). */
        public Builder stepScheduler(LRScheduler s) {
            this.stepScheduler = s;
            return this;
        }

        /**
         * The device the model lives on (move it first with {@code model.to(device)}): each batch is
         * copied there before the forward pass. Unset, batches are used where they are.
         */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /** Batches requested ahead of the step in progress (default 2). */
        public Builder prefetch(int n) {
            if (n <= 0) throw new IllegalArgumentException("Trainer: prefetch must be positive, got " + n);
            this.prefetch = n;
            return this;
        }

        public Trainer build() {
            if (loss == null)
                throw new IllegalStateException("Trainer: no loss function; call loss(...) on the builder");
            return new Trainer(this);
        }
    }
}
