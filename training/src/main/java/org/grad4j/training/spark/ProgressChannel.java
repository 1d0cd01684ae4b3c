package org.grad4j.training.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.grad4j.training.loop.StepMetrics;

/**
 * Rank 0's progress, streamed to the driver over one TCP connection per stage attempt: a listener on the
 * driver (bound to the driver's host, port 0) and a sender on rank 0 whose own thread drains a bounded
 * queue, so a slow or unreachable driver never slows the training (records beyond the queue are
 * dropped; the result carries every step anyway). A random token per fit keeps stray connections out.
 */
final class ProgressChannel {
    private ProgressChannel() {}

    private static final int MAGIC = 0x47345053; // "G4PS"
    private static final byte STEP = 1, STATUS = 2;

    /** The driver's end: accepts the workers' connections and calls the listener on its threads, one record at a time. */
    static final class Server implements AutoCloseable {
        private final ServerSocket socket;
        private final long token;
        private final ProgressListener listener;
        private final List<Socket> open = new ArrayList<>();
        private final List<Thread> readers = new ArrayList<>();
        private volatile boolean closed;

        Server(String host, long token, ProgressListener listener) throws IOException {
            this.token = token;
            this.listener = listener;
            this.socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            Thread t = new Thread(this::accept, "grad4j-progress-server");
            t.setDaemon(true);
            t.start();
        }

        /** {@code host:port} for the workers. */
        String address() {
            String h = socket.getInetAddress().getHostAddress();
            return (h.contains(":") ? "[" + h + "]" : h) + ":" + socket.getLocalPort();
        }

        private void accept() {
            while (!closed) {
                try {
                    Socket s = socket.accept();
                    synchronized (open) {
                        if (closed) {
                            s.close();
                            return;
                        }
                        open.add(s);
                    }
                    Thread t = new Thread(() -> read(s), "grad4j-progress-reader");
                    t.setDaemon(true);
                    synchronized (open) {
                        readers.add(t);
                    }
                    t.start();
                } catch (IOException e) {
                    if (closed || socket.isClosed()) return;
                }
            }
        }

        private void read(Socket s) {
            try (s;
                    DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
                if (in.readInt() != MAGIC || in.readLong() != token) return; // not one of this fit's workers
                while (true) {
                    byte kind = in.readByte();
                    int attempt = in.readInt();
                    if (kind == STEP) {
                        StepMetrics m = new StepMetrics(
                                in.readInt(),
                                in.readLong(),
                                in.readInt(),
                                in.readDouble(),
                                in.readInt(),
                                in.readDouble(),
                                in.readDouble());
                        deliver(() -> listener.onStep(attempt, m));
                    } else if (kind == STATUS) {
                        String text = in.readUTF();
                        deliver(() -> listener.onStatus(attempt, text));
                    } else {
                        return;
                    }
                }
            } catch (EOFException e) {
                // the worker closed its end: that attempt is over
            } catch (IOException e) {
                // a broken connection only ends this attempt's progress
            }
        }

        /** One record at a time across connections (a retried attempt may overlap the end of a failed one). */
        private synchronized void deliver(Runnable r) {
            if (closed) return;
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("SparkTrainer: the progress listener threw " + e + "; progress goes on");
            }
        }

        /**
         * Stops accepting, lets the readers deliver what the workers sent before closing their ends (at most
         * {@code wait}), then closes every connection.
         */
        void close(Duration wait) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            long deadline = System.nanoTime() + wait.toNanos();
            List<Thread> ts;
            synchronized (open) {
                ts = List.copyOf(readers);
            }
            try {
                for (Thread t : ts) t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close();
        }

        @Override
        public void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            synchronized (open) {
                for (Socket s : open) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }
    }

    /** Rank 0's end. Never throws and never blocks the caller: failures end the stream quietly (with one line on stderr). */
    static final class Sender implements AutoCloseable {
        private static final Object END = new Object();
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4096);
        private final Thread thread;
        private final int attempt;

        Sender(String address, long token, int attempt) {
            this.attempt = attempt;
            this.thread = new Thread(() -> run(address, token), "grad4j-progress-sender");
            thread.setDaemon(true);
            thread.start();
        }

        void step(StepMetrics m) {
            queue.offer(m);
        }

        void status(String text) {
            queue.offer(text);
        }

        private void run(String address, long token) {
            int colon = address.lastIndexOf(':');
            String host = address.substring(0, colon).replace("[", "").replace("]", "");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))), 10_000);
                s.setTcpNoDelay(true);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                out.writeInt(MAGIC);
                out.writeLong(token);
                while (true) {
                    Object o = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (o == null) {
                        out.flush();
                        continue;
                    }
                    if (o == END) break;
                    if (o instanceof StepMetrics m) {
                        out.writeByte(STEP);
                        out.writeInt(attempt);
                        out.writeInt(m.epoch());
                        out.writeLong(m.step());
                        out.writeInt(m.batch());
                        out.writeDouble(m.loss());
                        out.writeInt(m.batchSize());
                        out.writeDouble(m.samplesPerSecond());
                        out.writeDouble(m.lr());
                    } else {
                        out.writeByte(STATUS);
                        out.writeInt(attempt);
                        String text = (String) o;
                        out.writeUTF(text.length() > 10_000 ? text.substring(0, 10_000) : text);
                    }
                    if (queue.isEmpty()) out.flush();
                }
                out.flush();
            } catch (IOException e) {
                System.err.println("SparkTrainer: cannot stream progress to the driver at " + address + " (" + e
                        + "); training goes on, the result will carry the metrics");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            queue.clear();
        }

        /** Sends what is queued (waiting at most a few seconds) and closes the connection. */
        @Override
        public void close() {
            try {
                if (thread.isAlive() && queue.offer(END, 5, TimeUnit.SECONDS)) thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
