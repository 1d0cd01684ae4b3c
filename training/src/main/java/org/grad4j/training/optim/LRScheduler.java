package org.grad4j.training.optim;

import java.util.ArrayList;
import java.util.List;

/**
 * Base of the learning-rate schedulers ({@code torch.optim.lr_scheduler}). Each scheduler gives the
 * lr of a group as a closed form of its base lr (the group's {@code initial_lr}, recorded by the first
 * scheduler attached, and restored with the optimizer's state) and the epoch count; {@link #step()} advances the count and writes the new lrs
 * into the optimizer. As in PyTorch, constructing a scheduler applies the epoch-0 lr.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    private int lastEpoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        for (ParamGroup g : optimizer.paramGroups()) {
            if (!g.has("initial_lr")) g.set("initial_lr", g.lr());
        }
        lastEpoch = 0;
        apply();
    }

    /** The lr at {@code epoch} for a group whose base lr is {@code baseLr}. */
    protected abstract double lr(double baseLr, int epoch);

    /** Advances one epoch (or one step, if called per step) and updates the optimizer's lrs. */
    public final void step() {
        lastEpoch++;
        apply();
    }

    // the base lr is read from the group each time, so an optimizer restored from a checkpoint brings its own
    private void apply() {
        for (ParamGroup g : optimizer.paramGroups()) g.setLr(lr(g.getDouble("initial_lr"), lastEpoch));
    }

    /** {@code get_last_lr()}: the lr of each group as last set by this scheduler. */
    public final List<Double> getLastLr() {
        List<Double> out = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) out.add(lr(g.getDouble("initial_lr"), lastEpoch));
        return out;
    }

    public final int lastEpoch() {
        return lastEpoch;
    }

    /** Restores the epoch count (from a checkpoint) and applies its lrs. */
    public final void setLastEpoch(int epoch) {
        if (epoch < 0)
            throw new IllegalArgumentException(getClass().getSimpleName() + ": epoch must be >= 0, got " + epoch);
        lastEpoch = epoch;
        apply();
    }

    final Optimizer optimizer() {
        return optimizer;
    }

    // ---- the schedules ------------------------------------------------------------------------

    /** {@code StepLR}: {@code base · gamma^⌊epoch / stepSize⌋}. */
    public static final class StepLR extends LRScheduler {
        private final int stepSize;
        private final double gamma;

        public StepLR(Optimizer optimizer, int stepSize, double gamma) {
            super(check(optimizer, stepSize > 0, "StepLR: step_size must be positive, got " + stepSize));
            this.stepSize = stepSize;
            this.gamma = gamma;
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            // fields are unset during the super constructor's first apply(); setLastEpoch(0) reapplies
            return stepSize == 0 ? baseLr : baseLr * Math.pow(gamma, epoch / stepSize);
        }
    }

    /** {@code ExponentialLR}: {@code base · gamma^epoch}. */
    public static final class ExponentialLR extends LRScheduler {
        private final double gamma;

        public ExponentialLR(Optimizer optimizer, double gamma) {
            super(optimizer);
            this.gamma = gamma;
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            return baseLr * Math.pow(gamma, epoch);
        }
    }

    /** {@code CosineAnnealingLR}: {@code etaMin + (base - etaMin)·(1 + cos(π·epoch/tMax))/2}. */
    public static final class CosineAnnealingLR extends LRScheduler {
        private final int tMax;
        private final double etaMin;

        public CosineAnnealingLR(Optimizer optimizer, int tMax) {
            this(optimizer, tMax, 0);
        }

        public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
            super(check(optimizer, tMax > 0, "CosineAnnealingLR: T_max must be positive, got " + tMax));
            this.tMax = tMax;
            this.etaMin = etaMin;
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            if (tMax == 0) return baseLr;
            return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
        }
    }

    /**
     * {@code LinearLR} (warmup): the factor goes linearly from {@code startFactor} to {@code endFactor}
     * over {@code totalIters} steps, then stays: {@code base · (s + (e - s)·min(epoch, n)/n)}.
     */
    public static final class LinearLR extends LRScheduler {
        private final double startFactor, endFactor;
        private final int totalIters;

        public LinearLR(Optimizer optimizer) {
            this(optimizer, 1.0 / 3, 1.0, 5);
        }

        public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
            super(check(
                    check(
                            check(
                                    optimizer,
                                    startFactor > 0 && startFactor <= 1,
                                    "LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got "
                                            + startFactor),
                            endFactor >= 0 && endFactor <= 1,
                            "LinearLR: Ending multiplicative factor expected to be between 0 and 1, got " + endFactor),
                    totalIters > 0,
                    "LinearLR: total_iters must be positive, got " + totalIters));
            this.startFactor = startFactor;
            this.endFactor = endFactor;
            this.totalIters = totalIters;
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            if (totalIters == 0) return baseLr;
            return baseLr * (startFactor + (endFactor - startFactor) * Math.min(epoch, totalIters) / totalIters);
        }
    }

    /**
     * {@code SequentialLR}: runs {@code schedulers[i]} from {@code milestones[i-1]} on, each counting its
     * epochs from its own start (linear warmup for 5 epochs, then cosine: milestones {5}).
     */
    public static final class SequentialLR extends LRScheduler {
        private final List<LRScheduler> schedulers;
        private final int[] milestones;

        public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, int... milestones) {
            super(checkChildren(
                    "SequentialLR",
                    optimizer,
                    schedulers,
                    milestones.length == schedulers.size() - 1,
                    "SequentialLR: expects " + (schedulers.size() - 1) + " milestones for " + schedulers.size()
                            + " schedulers, got " + milestones.length));
            this.schedulers = List.copyOf(schedulers);
            this.milestones = milestones.clone();
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            if (schedulers == null) return baseLr;
            int i = 0;
            while (i < milestones.length && epoch >= milestones[i]) i++;
            return schedulers.get(i).lr(baseLr, i == 0 ? epoch : epoch - milestones[i - 1]);
        }
    }

    /** {@code ChainedScheduler}: all schedulers at once; their factors (lr / base) multiply. */
    public static final class ChainedScheduler extends LRScheduler {
        private final List<LRScheduler> schedulers;

        public ChainedScheduler(Optimizer optimizer, List<LRScheduler> schedulers) {
            super(checkChildren(
                    "ChainedScheduler",
                    optimizer,
                    schedulers,
                    !schedulers.isEmpty(),
                    "ChainedScheduler: expects at least one scheduler"));
            this.schedulers = List.copyOf(schedulers);
            setLastEpoch(0);
        }

        @Override
        protected double lr(double baseLr, int epoch) {
            if (schedulers == null || baseLr == 0) return baseLr;
            double lr = baseLr;
            for (LRScheduler s : schedulers) lr *= s.lr(baseLr, epoch) / baseLr;
            return lr;
        }
    }

    private static Optimizer check(Optimizer o, boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
        return o;
    }

    private static Optimizer checkChildren(
            String name, Optimizer o, List<LRScheduler> children, boolean ok, String message) {
        check(o, ok, message);
        for (LRScheduler s : children) {
            if (s.optimizer != o) {
                throw new IllegalArgumentException(
                        name + ": expects all schedulers to belong to the same optimizer, but got scheduler "
                                + s.getClass().getSimpleName() + " with a different optimizer");
            }
        }
        return o;
    }
}
