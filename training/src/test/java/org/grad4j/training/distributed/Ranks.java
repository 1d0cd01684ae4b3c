package org.grad4j.training.distributed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Test helpers: groups of ranks on threads, on loopback, each listener bound to a free port first (no port race). */
final class Ranks {
    private Ranks() {}

    /** n listeners on 127.0.0.1, each on a port the system picked. */
    static List<ServerSocketChannel> listeners(int n) {
        List<ServerSocketChannel> out = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) out.add(ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static List<String> addresses(List<ServerSocketChannel> listeners) {
        List<String> out = new ArrayList<>();
        for (ServerSocketChannel l : listeners) {
            try {
                out.add("127.0.0.1:" + ((InetSocketAddress) l.getLocalAddress()).getPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** n connected ranks, by rank. */
    static List<ProcessGroup> connect(int n, Duration timeout, int bucketSize) {
        List<ServerSocketChannel> ls = listeners(n);
        List<String> addrs = addresses(ls);
        return run(
                n,
                r -> ProcessGroup.builder(r, addrs)
                        .listener(ls.get(r))
                        .timeout(timeout)
                        .bucketSize(bucketSize)
                        .connect());
    }

    interface RankTask<T> {
        T run(int rank) throws Exception;
    }

    /** Runs {@code task} for ranks 0..n-1 on n threads; returns the results by rank, or throws the first failure. */
    static <T> List<T> run(int n, RankTask<T> task) {
        List<Outcome<T>> outcomes = attempt(n, task);
        List<T> out = new ArrayList<>();
        for (Outcome<T> o : outcomes) {
            if (o.error() != null)
                throw new AssertionError("rank " + outcomes.indexOf(o) + " failed: " + o.error(), o.error());
            out.add(o.value());
        }
        return out;
    }

    record Outcome<T>(T value, Throwable error) {}

    /** Runs {@code task} for ranks 0..n-1 on n threads; returns each rank's result or exception. */
    static <T> List<Outcome<T>> attempt(int n, RankTask<T> task) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                fs.add(pool.submit(() -> task.run(rank)));
            }
            List<Outcome<T>> out = new ArrayList<>();
            for (Future<T> f : fs) {
                try {
                    out.add(new Outcome<>(f.get(), null));
                } catch (ExecutionException e) {
                    out.add(new Outcome<>(null, e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static void closeAll(List<ProcessGroup> groups) {
        if (groups != null) groups.forEach(ProcessGroup::close);
    }
}
