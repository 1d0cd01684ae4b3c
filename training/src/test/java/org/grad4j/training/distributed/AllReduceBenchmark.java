package org.grad4j.training.distributed;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * All-reduce bandwidth on loopback with 2 and 3 ranks, each in its own JVM (this one is rank 0 and
 * times it), next to a plain {@code System.arraycopy} of the same size. A runner, not a test: it
 * asserts nothing. Run after {@code ./mvnw -q -B test-compile -pl training -am}:
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp "training/target/test-classes:training/target/classes:$(cat cp.txt)" \
 *     org.grad4j.training.distributed.AllReduceBenchmark
 * }</pre>
 *
 * (cp.txt from {@code ./mvnw -q -B dependency:build-classpath -pl training -Dmdep.outputFile=$PWD/cp.txt}).
 */
public final class AllReduceBenchmark {
    private AllReduceBenchmark() {}

    public static void main(String[] args) throws Exception {
        int[] megabytes = {1, 4, 16, 64};
        System.out.printf("%-6s %-7s %12s %12s %14s %14s%n", "ranks", "MB", "all-reduce", "algbw MB/s", "arraycopy", "copy MB/s");
        Path dir = Files.createTempDirectory("allreduce-bench");
        for (int n : new int[] {2, 3}) {
            List<WorkerProcess> workers = new ArrayList<>();
            try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
                for (int r = 1; r < n; r++) workers.add(new WorkerProcess(r, Duration.ofSeconds(120), dir));
                List<String> addresses = new ArrayList<>();
                addresses.add("127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort());
                for (WorkerProcess w : workers) addresses.add(w.address());
                for (WorkerProcess w : workers) w.send(String.join(",", addresses));
                try (ProcessGroup group = ProcessGroup.builder(0, addresses).listener(listener).timeout(Duration.ofSeconds(120)).connect()) {
                    for (int mb : megabytes) {
                        int iters = Math.max(4, 64 / mb), warm = 2;
                        for (WorkerProcess w : workers) w.send("BENCH " + mb + " " + (iters + warm));
                        float[] d = new float[mb * (1 << 20) / 4];
                        long[] t = new long[iters];
                        for (int i = 0; i < iters + warm; i++) {
                            long t0 = System.nanoTime();
                            group.allReduce(d, ReduceOp.SUM);
                            if (i >= warm) t[i - warm] = System.nanoTime() - t0;
                        }
                        for (WorkerProcess w : workers) w.next(Duration.ofSeconds(120));
                        double ms = median(t) / 1e6, copyMs = copyMillis(d);
                        System.out.printf("%-6d %-7d %9.2f ms %12.0f %11.3f ms %14.0f%n", n, mb, ms, mb / (ms / 1e3), copyMs, mb / (copyMs / 1e3));
                    }
                }
                for (WorkerProcess w : workers) w.send("EXIT");
            } finally {
                for (WorkerProcess w : workers) w.close();
            }
        }
    }

    private static double copyMillis(float[] src) {
        float[] dst = new float[src.length];
        long[] t = new long[20];
        for (int i = 0; i < t.length + 5; i++) {
            long t0 = System.nanoTime();
            System.arraycopy(src, 0, dst, 0, src.length);
            if (i >= 5) t[i - 5] = System.nanoTime() - t0;
        }
        return median(t) / 1e6;
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
