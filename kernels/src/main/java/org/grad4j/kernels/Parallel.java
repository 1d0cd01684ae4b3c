package org.grad4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

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
     * Runs {@code body} over {@code [0, n)} split into at most numThreads() contiguous parts; in
     * parallel only when {@code work} (an estimate of the operations involved) is large enough to
     * pay for the hand-off.
     */
    public static void forRange(int n, long work, Chunk body) {
        int t = Math.min(threads, n);
        if (t <= 1 || work < 1 << 16 || INSIDE.get()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[t - 1];
        for (int i = 1; i < t; i++) {
            int from = (int) ((long) n * i / t), to = (int) ((long) n * (i + 1) / t);
            tasks[i - 1] = pool().submit(new RecursiveAction() {
                @Override
                protected void compute() {
                    INSIDE.set(true);
                    try {
                        body.run(from, to);
                    } finally {
                        INSIDE.set(false);
                    }
                }
            });
        }
        INSIDE.set(true);
        try {
            body.run(0, (int) ((long) n / t));
        } finally {
            INSIDE.set(false);
        }
        for (ForkJoinTask<?> task : tasks) task.join();
    }
}
