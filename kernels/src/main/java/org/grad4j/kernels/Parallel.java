package org.grad4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The intra-op thread pool ({@code torch.set_num_threads}): splits a range of independent chunks
 * over {@link #numThreads()} workers, the calling thread being one of them, so the machine's cores
 * are used and never oversubscribed. Nested calls run serially.
 */
public final class Parallel {
    private Parallel() {}

    private static volatile int threads = defaultThreads();
    private static volatile ForkJoinPool pool;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    private static int defaultThreads() {
        String p = System.getProperty("grad4j.threads");
        return p != null ? Math.max(1, Integer.parseInt(p)) : Runtime.getRuntime().availableProcessors();
    }

    public static int numThreads() {
        return threads;
    }

    /** Sets the number of threads kernels use (1 = everything on the calling thread). */
    public static synchronized void setNumThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("setNumThreads: need at least 1 thread, got " + n);
        threads = n;
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                if (pool == null) {
                    int workers = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
                    pool = new ForkJoinPool(workers, fj -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fj);
                        t.setDaemon(true);
                        t.setName("grad4j-" + t.getPoolIndex());
                        return t;
                    }, null, false);
                }
                p = pool;
            }
        }
        return p;
    }

    /** A body over chunk indices {@code [from, to)}. */
    @FunctionalInterface
    public interface Chunk {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, n)}; in parallel only when {@code work} (an estimate of the
     * operations involved) is large enough to pay for the hand-off. The range is cut into a few
     * parts per thread that the calling thread and the workers take in turn, so a worker that is
     * late to start (a busy machine) never makes the caller wait: the caller takes its parts.
     */
    public static void forRange(int n, long work, Chunk body) {
        int t = Math.min(threads, n);
        if (t <= 1 || work < 1 << 16 || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        int parts = Math.min(n, t * 4);
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            boolean outer = !INSIDE.get();
            INSIDE.set(true);
            try {
                for (int p; (p = next.getAndIncrement()) < parts; ) {
                    try {
                        body.run((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts));
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.incrementAndGet();
                    }
                }
            } finally {
                if (outer) INSIDE.set(false);
            }
        };
        ForkJoinPool p = pool();
        for (int i = 1; i < t; i++) p.execute(worker);
        worker.run();
        for (int spins = 0; done.get() < parts; spins++) { // parts taken by a worker are finishing
            if (spins < 1000) Thread.onSpinWait();
            else Thread.yield();
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error err) throw err;
        if (e != null) throw new IllegalStateException(e);
    }
}
