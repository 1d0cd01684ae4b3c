package org.grad4j.training.data;

import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code torch.utils.data.DataLoader}: minibatches of a {@link Dataset}, optionally shuffled with a
 * seed, the last short batch dropped or kept. {@link #flux(int)} loads batches on a scheduler of
 * their own, {@code numWorkers} at a time, and at most {@code numWorkers · prefetchFactor} batches
 * ahead of what the consumer has requested (backpressure, PyTorch's {@code prefetch_factor});
 * iterating with {@code for (Batch b : loader)} uses the same pipeline.
 *
 * <p>The order of epoch {@code e} depends only on (seed, e), so a run resumed at epoch e sees the
 * same batches as an uninterrupted one.
 *
 * <p>With workers, the loader starts its threads when first iterated; {@link #close()} stops them
 * (a scheduler given to the builder is the caller's and is left running). A loader dropped without
 * {@code close()} leaks nothing either: its threads are stopped once it is garbage. A closed loader
 * refuses to iterate with an {@link IllegalStateException}.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    static final String CLOSED =
            "DataLoader: the loader is closed (its worker threads are stopped); build a new one to " + "iterate again";

    private final Dataset dataset;
    private final int batchSize, numWorkers, prefetchFactor;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Scheduler scheduler; // the builder's, or null: then the loader's own workers
    private final Workers workers;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;
    private final AtomicInteger iterEpoch = new AtomicInteger();

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.numWorkers = b.numWorkers;
        this.prefetchFactor = b.prefetchFactor;
        this.scheduler = b.scheduler;
        this.workers = b.scheduler == null && b.numWorkers > 0 ? new Workers(b.numWorkers) : null;
        this.cleanable = workers == null ? null : Workers.CLEANER.register(this, workers);
    }

    /**
     * The loader's own threads: at most {@code n}, daemon, made on first use, released after 10 s
     * idle, all stopped by {@link #run()} ({@code close()}, or the cleaner once the loader is garbage).
     * It holds nothing of the loader, so that the loader can become garbage.
     */
    private static final class Workers implements Runnable {
        /** One daemon thread for every loader: it stops the workers of loaders dropped without close(). */
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "grad4j-loader-cleaner");
            t.setDaemon(true);
            return t;
        });

        private final int n;
        private Scheduler scheduler;
        private boolean stopped;

        Workers(int n) {
            this.n = n;
        }

        synchronized Scheduler scheduler() {
            if (stopped) throw new IllegalStateException(CLOSED);
            if (scheduler == null)
                scheduler = Schedulers.newBoundedElastic(n, Integer.MAX_VALUE, "grad4j-loader", 10, true);
            return scheduler;
        }

        @Override
        public synchronized void run() {
            stopped = true;
            if (scheduler != null) scheduler.dispose();
        }
    }

    /**
     * Stops the loader's worker threads (a batch being loaded is interrupted) and makes further
     * iteration fail; an epoch in progress ends with an {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (cleanable != null) cleanable.clean(); // runs Workers.run at most once
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(CLOSED);
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    /** Batches of {@code batchSize}, in order, no workers. */
    public DataLoader(Dataset dataset, int batchSize) {
        this(new Builder(dataset).batchSize(batchSize));
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch ({@code len(loader)}). */
    public int numBatches() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The sample order of {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch), or 0..n-1. */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (!shuffle) return idx;
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    /** Batch {@code b} of {@code order}, loaded now on the calling thread. */
    private Batch load(int[] order, int b) {
        int start = b * batchSize, end = Math.min(order.length, start + batchSize);
        int[] idx = new int[end - start];
        System.arraycopy(order, start, idx, 0, idx.length);
        return dataset.getBatch(idx);
    }

    /**
     * The batches of {@code epoch}. With workers, batches load in parallel on the loader's scheduler and
     * come out in order; at most {@code numWorkers · prefetchFactor} are loading or loaded and not yet
     * taken. Without workers, each batch loads when requested, on the requesting thread.
     */
    public Flux<Batch> flux(int epoch) {
        checkOpen();
        return Flux.defer(() -> {
            checkOpen(); // closed between flux() and the subscription
            int[] order = order(epoch);
            Flux<Integer> ids = Flux.range(0, numBatches());
            if (numWorkers == 0)
                return ids.map(b -> {
                    checkOpen();
                    return load(order, b);
                });
            Scheduler on = scheduler != null ? scheduler : workers.scheduler();
            return ids.flatMapSequential(
                            b -> Mono.fromCallable(() -> {
                                        checkOpen();
                                        return load(order, b);
                                    })
                                    .subscribeOn(on),
                            numWorkers * prefetchFactor,
                            1)
                    // closing stops the workers: loads refused or interrupted then end the epoch with one clear error
                    .onErrorMap(
                            e -> closed && !CLOSED.equals(e.getMessage()), e -> new IllegalStateException(CLOSED, e));
        });
    }

    /** Each call iterates the next epoch (0, 1, ...), as re-iterating a PyTorch loader reshuffles. */
    @Override
    public Iterator<Batch> iterator() {
        checkOpen();
        return flux(iterEpoch.getAndIncrement()).toIterable(1).iterator();
    }

    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 1, numWorkers = 0, prefetchFactor = 2;
        private boolean shuffle, dropLast;
        private long seed;
        private Scheduler scheduler;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        public Builder batchSize(int n) {
            if (n <= 0)
                throw new IllegalArgumentException(
                        "DataLoader: batch_size should be a positive integer value, but got batch_size=" + n);
            batchSize = n;
            return this;
        }

        public Builder shuffle(boolean s) {
            shuffle = s;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder dropLast(boolean d) {
            dropLast = d;
            return this;
        }

        /** Batches loaded in parallel (0: load on the consumer's thread). */
        public Builder numWorkers(int n) {
            if (n < 0)
                throw new IllegalArgumentException("DataLoader: num_workers option should be non-negative, got " + n);
            numWorkers = n;
            return this;
        }

        /** Batches loaded in advance per worker ({@code prefetch_factor}, default 2). */
        public Builder prefetchFactor(int n) {
            if (n <= 0) throw new IllegalArgumentException("DataLoader: prefetch_factor should be positive, got " + n);
            prefetchFactor = n;
            return this;
        }

        /**
         * The scheduler loading runs on (default: the loader's own {@code numWorkers} daemon threads).
         * It stays the caller's: {@link DataLoader#close()} does not dispose it.
         */
        public Builder scheduler(Scheduler s) {
            scheduler = s;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }
}
