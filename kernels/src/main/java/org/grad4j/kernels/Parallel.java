package org.grad4j.kernels;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The intra-op thread pool ({@code torch.set_num_threads}): splits a range of independent chunks
 * over {@link #numThreads()} workers, the calling thread being one of them, so the machine's cores
 * are used and never oversubscribed. Nested calls, and calls while another thread's range is
 * running, run serially on the calling thread.
 *
 * <p>Workers spin briefly after each range before parking: a training step issues many short
 * kernels back to back, and waking a parked thread costs tens of microseconds, as much as a whole
 * small kernel (measured: 2-thread matmuls of 256×256 ran slower than 1-thread ones with a plain
 * ForkJoinPool). The spin lasts 200 µs ({@code -Dgrad4j.spin=nanos} changes it; 0 parks at once):
 * the serial stretch between an MLP's forward and backward products is 50–80 µs, and with a 50 µs
 * spin the worker parked there twice a step and missed the next product (measured). The spin yields
 * the core at each turn: with nothing else runnable that returns at once, but a training loop has
 * other threads (the JIT compilers early on, data loaders, the GC) that a busy spin kept waiting.
 */
public final class Parallel {
    private Parallel() {}

    private static volatile int threads = defaultThreads();
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final long SPIN_NANOS = Long.getLong("grad4j.spin", 200_000);

    private static final ConcurrentLinkedQueue<Runnable> IDLE_TASKS = new ConcurrentLinkedQueue<>();

    private static volatile Runnable job;
    private static volatile long generation;
    private static volatile Worker[] workers = new Worker[0];

    private static int defaultThreads() {
        String p = System.getProperty("grad4j.threads");
        return p != null
                ? Math.max(1, Integer.parseInt(p))
                : Runtime.getRuntime().availableProcessors();
    }

    public static int numThreads() {
        return threads;
    }

    /** Sets the number of threads kernels use (1 = everything on the calling thread). */
    public static synchronized void setNumThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("setNumThreads: need at least 1 thread, got " + n);
        threads = n;
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
        if (t <= 1 || work < 1 << 16 || INSIDE.get() || !BUSY.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            int parts = Math.min(n, t * 4);
            AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable worker = () -> {
                for (int p; (p = next.getAndIncrement()) < parts; ) {
                    try {
                        body.run((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts));
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.incrementAndGet();
                    }
                }
            };
            Worker[] ws = ensureWorkers(t - 1);
            job = worker;
            generation++; // publishes the job (volatile write after the job's)
            for (int i = 0; i < t - 1; i++) ws[i].wake();
            INSIDE.set(true);
            try {
                worker.run();
            } finally {
                INSIDE.set(false);
            }
            for (int spins = 0; done.get() < parts; spins++) { // parts taken by a worker are finishing
                if (spins < 10_000) Thread.onSpinWait();
                else Thread.yield();
            }
            job = null;
            Throwable e = failure.get();
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * Hands {@code task} to a worker that is waiting for the next range (it would only spin): the
     * caller's serial stretches, e.g. the JVM zeroing a fresh 4 MB output, then overlap with work
     * for later ops. Returns false, and keeps nothing, when one thread is set or no worker is
     * running: a task must never use a core that {@link #setNumThreads} did not grant. A parked
     * worker is woken for it. A task runs once, on a worker, between ranges.
     */
    public static boolean runWhenIdle(Runnable task) {
        Worker[] ws = workers;
        if (threads <= 1 || ws.length == 0) return false;
        IDLE_TASKS.add(task);
        ws[0].wake();
        return true;
    }

    private static Worker[] ensureWorkers(int count) {
        Worker[] ws = workers;
        if (ws.length >= count) return ws;
        synchronized (Parallel.class) {
            ws = workers;
            if (ws.length >= count) return ws;
            Worker[] grown = java.util.Arrays.copyOf(ws, count);
            for (int i = ws.length; i < count; i++) {
                grown[i] = new Worker(generation);
                Thread th = new Thread(grown[i], "grad4j-worker-" + i);
                th.setDaemon(true);
                grown[i].thread = th;
                th.start();
            }
            workers = grown;
            return grown;
        }
    }

    /** A pool thread: runs each new job once, spinning a little between jobs, then parking. */
    private static final class Worker implements Runnable {
        volatile Thread thread;
        volatile boolean parked;
        private long seen;

        Worker(long generation) {
            this.seen = generation;
        }

        void wake() {
            if (parked) LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            INSIDE.set(true);
            while (true) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (generation == seen) {
                    Runnable idle = IDLE_TASKS.poll();
                    if (idle != null) {
                        runIdle(idle);
                        deadline = System.nanoTime() + SPIN_NANOS;
                        continue;
                    }
                    if (System.nanoTime() < deadline) {
                        Thread.yield(); // not onSpinWait: a runnable JIT or loader thread gets the core
                        continue;
                    }
                    parked = true;
                    if (generation == seen) LockSupport.park(this); // a wake() after this check unparks us
                    parked = false;
                    deadline = System.nanoTime() + SPIN_NANOS;
                }
                seen = generation;
                Runnable r = job;
                if (r != null) r.run();
            }
        }

        private static void runIdle(Runnable task) {
            try {
                task.run();
            } catch (Throwable e) { // a helper's failure (out of memory) must not end the worker
                Thread t = Thread.currentThread();
                t.getUncaughtExceptionHandler().uncaughtException(t, e);
            }
        }
    }
}
