package org.grad4j.training.distributed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link RingWorker} in a JVM of its own (the same JDK and the test class path), driven line by line. */
final class WorkerProcess implements AutoCloseable {
    final int rank;
    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path stderr;
    private final Writer stdin;
    final int port;

    WorkerProcess(int rank, Duration timeout, Path dir) throws IOException {
        this.rank = rank;
        this.stderr = dir.resolve("rank" + rank + ".err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                System.getProperty("java.class.path"),
                RingWorker.class.getName(),
                String.valueOf(rank),
                String.valueOf(timeout.toMillis()));
        this.process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String l; (l = r.readLine()) != null; ) lines.add(l);
                    } catch (IOException ignored) {
                        // the process ended
                    }
                },
                "rank" + rank + "-stdout");
        reader.setDaemon(true);
        reader.start();
        String first = next(Duration.ofSeconds(30));
        if (!first.startsWith("PORT "))
            throw new IllegalStateException("rank " + rank + " said '" + first + "' " + errors());
        this.port = Integer.parseInt(first.substring(5));
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    void send(String line) {
        try {
            stdin.write(line + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + " is gone " + errors(), e);
        }
    }

    /** The next line the worker printed, waiting at most {@code wait}. */
    String next(Duration wait) {
        try {
            String l = lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (l == null)
                throw new IllegalStateException("rank " + rank + " printed nothing within " + wait + " " + errors());
            return l;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String errors() {
        try {
            return "(stderr: "
                    + (Files.exists(stderr) ? Files.readString(stderr).strip() : "") + ")";
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
