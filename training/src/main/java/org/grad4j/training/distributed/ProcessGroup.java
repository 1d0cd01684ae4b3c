package org.grad4j.training.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * A group of processes (ranks {@code 0 .. worldSize-1}) that run collectives together, as
 * {@code torch.distributed} does: all-reduce, all-gather, broadcast, barrier. Usable without Spark:
 * any launcher that gives every rank the same list of {@code host:port} addresses (one per rank) and
 * the rank's own index will do. Rank r listens on its own address, connects to rank r+1 and accepts
 * rank r-1, forming a ring; the ranks may start in any order within the timeout.
 *
 * <p>All-reduce is the ring algorithm, reduce-scatter then all-gather, bucket by bucket (a bucket is
 * {@link Builder#bucketSize} floats, 4 MiB by default, so the network buffers stay small whatever the
 * model's size). Each bucket is cut into {@code worldSize} chunks, chunk c holding elements
 * {@code [c*len/n, (c+1)*len/n)}; chunk c is summed along the ring starting at rank c:
 * {@code ((x[c] + x[c+1]) + x[c+2]) + ... + x[c-1]} (ranks mod n). That order depends only on the world
 * size and the chunk index, so two runs with the same world size give the same bits; the reduced chunk
 * then travels around the ring as it is, so every rank ends with exactly the same bits.
 *
 * <p>Every message carries a sequence number, its kind, bucket, chunk, length and total size; a
 * mismatch (another collective, another size, a lost message) is an error naming the peer and both
 * values. Every transfer has a deadline ({@link Builder#timeout}, default 60 s): a dead or stuck peer
 * makes each rank fail with a {@link DistributedException} naming that peer's rank and address, never
 * a hang. The timeout must also cover how far the ranks may drift apart between collectives (a slow
 * forward pass on one of them). After a failure the group is broken: every later call throws at once,
 * naming the first error. A group is used by one thread at a time; {@link #close()} may come from
 * any thread, and fails a collective in progress.
 *
 * <p>Why plain {@code java.nio}: no kept Java library of collectives exists (Spark's TorchDistributor
 * hands the gradients to Gloo or NCCL, which have no Java binding), and a ring needs just two sockets
 * and one selector per rank, which {@code java.nio} gives; Netty would add a dependency for that.
 */
public final class ProcessGroup implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** Floats per bucket: 4 MiB. */
    public static final int DEFAULT_BUCKET_SIZE = 1 << 20;

    private final int rank, worldSize, bucketSize;
    private final List<String> addresses;
    private final Duration timeout;
    private final Ring ring; // null for a group of one
    private final String self;
    private final Object lock = new Object();
    private volatile DistributedException broken;
    private volatile boolean closed;
    private float[] bucket = new float[0], scratch = new float[0];

    private ProcessGroup(int rank, List<String> addresses, Duration timeout, int bucketSize, Ring ring) {
        this.rank = rank;
        this.worldSize = addresses.size();
        this.addresses = addresses;
        this.timeout = timeout;
        this.bucketSize = bucketSize;
        this.ring = ring;
        this.self = "ProcessGroup rank " + rank + " of " + worldSize;
    }

    /** A group in which this process is {@code rank}; {@code addresses.get(r)} is rank r's {@code host:port}. */
    public static Builder builder(int rank, List<String> addresses) {
        return new Builder(rank, addresses);
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    /** Each rank's {@code host:port}, by rank. */
    public List<String> addresses() {
        return addresses;
    }

    public Duration timeout() {
        return timeout;
    }

    public int bucketSize() {
        return bucketSize;
    }

    /** The connections (null for a group of one); for the tests of the wire protocol. */
    Ring ring() {
        return ring;
    }

    /** True once a collective has failed (the group is then unusable). */
    public boolean isBroken() {
        return broken != null;
    }

    // ---- collectives ---------------------------------------------------------------------------

    /**
     * Replaces {@code data} on every rank by the sum (or average) over the ranks, in place
     * ({@code dist.all_reduce}). Every rank must pass the same length. After an error the contents of
     * {@code data} are unspecified.
     */
    public void allReduce(float[] data, ReduceOp op) {
        Objects.requireNonNull(data, "allReduce: data is null");
        Objects.requireNonNull(op, "allReduce: op is null");
        collective("all-reduce", () -> {
            int buckets = Math.max(1, (data.length + bucketSize - 1) / bucketSize);
            for (int b = 0; b < buckets; b++) {
                int off = b * bucketSize;
                ringAllReduce(data, off, Math.min(bucketSize, data.length - off), b, data.length, op);
            }
        });
    }

    /**
     * All-reduces the values of {@code tensors} in place, flattened one after another into buckets
     * ({@code all_reduce_coalesced}); every rank must pass tensors of the same sizes in the same order.
     */
    public void allReduce(List<Tensor> tensors, ReduceOp op) {
        Objects.requireNonNull(op, "allReduce: op is null");
        allReduceSegments(tensorSegments("allReduce", tensors), op);
    }

    /** Every rank's {@code data}, by rank ({@code dist.all_gather_object} for bytes); lengths may differ. */
    public byte[][] allGather(byte[] data) {
        Objects.requireNonNull(data, "allGather: data is null");
        byte[][] out = new byte[worldSize][];
        out[rank] = data.clone();
        collective("all-gather", () -> {
            for (int s = 0; s < worldSize - 1; s++) {
                int send = mod(rank - s), recv = mod(rank - s - 1);
                ring.frame(Ring.GATHER_BYTES, 0, send, out[send].length, 0, out[send].length);
                ring.putBytes(out[send]);
                ring.transfer(true, Ring.GATHER_BYTES, 0, recv, -1, 0);
                out[recv] = ring.getBytes();
            }
        });
        return out;
    }

    /** Copies rank {@code src}'s {@code data} into every rank's {@code data} ({@code dist.broadcast}). */
    public void broadcast(float[] data, int src) {
        Objects.requireNonNull(data, "broadcast: data is null");
        checkSrc(src);
        broadcastSegments(
                new Segments() {
                    public int count() {
                        return 1;
                    }

                    public int length(int i) {
                        return data.length;
                    }

                    public float[] read(int i) {
                        return data;
                    }

                    public void write(int i, float[] values) {
                        if (values != data) System.arraycopy(values, 0, data, 0, data.length);
                    }
                },
                src);
    }

    /** Copies rank {@code src}'s tensor values into every rank's tensors, in place. */
    public void broadcast(List<Tensor> tensors, int src) {
        checkSrc(src);
        broadcastSegments(tensorSegments("broadcast", tensors), src);
    }

    /** Returns once every rank has called it ({@code dist.barrier}). */
    public void barrier() {
        allGather(new byte[0]);
    }

    // ---- the ring algorithms -------------------------------------------------------------------

    /** Reduce-scatter then all-gather of {@code a[off, off+len)}, one bucket of a collective over {@code total} floats. */
    private void ringAllReduce(float[] a, int off, int len, int b, long total, ReduceOp op) {
        int n = worldSize;
        if (scratch.length < (len + n - 1) / n) scratch = new float[(len + n - 1) / n];
        for (int s = 0; s < n - 1; s++) {
            int send = mod(rank - s), recv = mod(rank - s - 1);
            sendChunk(Ring.REDUCE_SCATTER, a, off, len, b, send, total);
            int from = off + chunkStart(recv, len), m = off + chunkStart(recv + 1, len) - from;
            ring.transfer(true, Ring.REDUCE_SCATTER, b, recv, m, total);
            ring.getFloats(scratch, 0, m);
            // the partial sum so far (from the previous rank) plus this rank's value: the documented order
            for (int i = 0; i < m; i++) a[from + i] = scratch[i] + a[from + i];
        }
        if (op == ReduceOp.AVG) {
            int own = mod(rank + 1);
            float div = n;
            for (int i = off + chunkStart(own, len), end = off + chunkStart(own + 1, len); i < end; i++)
                a[i] = a[i] / div;
        }
        for (int s = 0; s < n - 1; s++) {
            int send = mod(rank + 1 - s), recv = mod(rank - s);
            sendChunk(Ring.ALL_GATHER, a, off, len, b, send, total);
            int from = off + chunkStart(recv, len), m = off + chunkStart(recv + 1, len) - from;
            ring.transfer(true, Ring.ALL_GATHER, b, recv, m, total);
            ring.getFloats(a, from, m);
        }
    }

    private void sendChunk(int kind, float[] a, int off, int len, int b, int chunk, long total) {
        int from = chunkStart(chunk, len), m = chunkStart(chunk + 1, len) - from;
        ring.frame(kind, b, chunk, m, total, m * 4);
        ring.putFloats(a, off + from, m);
    }

    private int chunkStart(int c, int len) {
        return (int) ((long) c * len / worldSize);
    }

    private int mod(int r) {
        return Math.floorMod(r, worldSize);
    }

    /** Flat float segments read and written one at a time, so a model never needs one flat copy of itself. */
    interface Segments {
        int count();

        int length(int i);

        /** Segment i's values, in a fresh array the collective may overwrite. */
        float[] read(int i);

        /** Segment i's result, once all of it is done; segments finish in order. */
        void write(int i, float[] values);
    }

    void allReduceSegments(Segments segments, ReduceOp op) {
        collective(
                "all-reduce",
                () -> forEachBucket(segments, (a, len, b, total) -> ringAllReduce(a, 0, len, b, total, op)));
    }

    void broadcastSegments(Segments segments, int src) {
        Segments in = rank == src
                ? segments
                : new Segments() { // other ranks' values are overwritten: not read
                    public int count() {
                        return segments.count();
                    }

                    public int length(int i) {
                        return segments.length(i);
                    }

                    public float[] read(int i) {
                        return new float[segments.length(i)];
                    }

                    public void write(int i, float[] values) {
                        segments.write(i, values);
                    }
                };
        collective(
                "broadcast",
                () -> forEachBucket(in, (a, len, b, total) -> {
                    if (rank == src) {
                        ring.frame(Ring.BROADCAST, b, 0, len, total, len * 4);
                        ring.putFloats(a, 0, len);
                        ring.transfer(true, 0, 0, 0, 0, 0);
                        return;
                    }
                    ring.transfer(false, Ring.BROADCAST, b, 0, len, total);
                    ring.getFloats(a, 0, len);
                    if (mod(rank + 1) != src) {
                        ring.frame(Ring.BROADCAST, b, 0, len, total, len * 4);
                        ring.putFloats(a, 0, len);
                        ring.transfer(true, 0, 0, 0, 0, 0);
                    }
                }));
    }

    private interface BucketOp {
        void run(float[] bucket, int len, int index, long total);
    }

    private record Piece(int segment, float[] values, int from, int at, int len) {}

    /** Packs the segments into buckets in order, runs {@code op} on each, and copies the results back. */
    private void forEachBucket(Segments s, BucketOp op) {
        int count = s.count();
        long total = 0;
        for (int i = 0; i < count; i++) total += s.length(i);
        int cap = (int) Math.min(bucketSize, total);
        if (bucket.length < cap) bucket = new float[cap];
        List<Piece> pieces = new ArrayList<>();
        int seg = 0, pos = 0, index = 0;
        float[] cur = null;
        do {
            int fill = 0;
            pieces.clear();
            while (seg < count && (fill < cap || pos == s.length(seg))) {
                if (cur == null) {
                    cur = s.read(seg);
                    if (cur.length != s.length(seg)) {
                        throw new IllegalStateException(self + ": segment " + seg + " has " + cur.length
                                + " values, expected " + s.length(seg));
                    }
                }
                int k = Math.min(cap - fill, cur.length - pos);
                System.arraycopy(cur, pos, bucket, fill, k);
                pieces.add(new Piece(seg, cur, pos, fill, k));
                fill += k;
                pos += k;
                if (pos == cur.length) {
                    seg++;
                    pos = 0;
                    cur = null;
                }
            }
            op.run(bucket, fill, index++, total);
            for (Piece p : pieces) {
                System.arraycopy(bucket, p.at(), p.values(), p.from(), p.len());
                if (p.from() + p.len() == p.values().length) s.write(p.segment(), p.values());
            }
        } while (seg < count);
    }

    private Segments tensorSegments(String op, List<Tensor> tensors) {
        Objects.requireNonNull(tensors, op + ": tensors is null");
        List<Tensor> ts = List.copyOf(tensors);
        for (int i = 0; i < ts.size(); i++) {
            if (ts.get(i).dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException(op + ": tensors[" + i + "] has dtype "
                        + ts.get(i).dtype() + "; only float32 tensors can be reduced");
            }
        }
        return new Segments() {
            public int count() {
                return ts.size();
            }

            public int length(int i) {
                return ts.get(i).numel();
            }

            public float[] read(int i) {
                return ts.get(i).toFloatArray();
            }

            public void write(int i, float[] values) {
                copyInto(ts.get(i), values);
            }
        };
    }

    /** Writes {@code values} into {@code t} in place, on t's device, unrecorded. */
    static void copyInto(Tensor t, float[] values) {
        try (var s = GradMode.noGrad()) {
            t.copy_(Tensor.of(values, t.shape()).to(t.device()));
        }
    }

    private void checkSrc(int src) {
        if (src < 0 || src >= worldSize) {
            throw new IllegalArgumentException(
                    "broadcast: src rank " + src + " is out of range for a group of " + worldSize + " ranks");
        }
    }

    // ---- state ---------------------------------------------------------------------------------

    /** Runs one collective: one at a time; a failure in the middle breaks the group and tells the others. */
    private void collective(String name, Runnable body) {
        synchronized (lock) {
            if (closed) throw new IllegalStateException(self + ": the group is closed");
            DistributedException first = broken;
            if (first != null)
                throw new DistributedException(
                        self + ": the group is broken by an earlier error: " + first.getMessage(), first);
            if (ring == null) return; // a group of one: the result is this rank's own values
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                DistributedException d = closed
                        ? new DistributedException(self + ": the group was closed during " + name, e)
                        : e instanceof DistributedException de
                                ? de
                                : new DistributedException(self + ": " + name + " failed on this rank: " + e, e);
                broken = d;
                ring.abort(d.firstError());
                if (closed) throw d;
                throw e;
            }
        }
    }

    /**
     * Closes the connections. A collective in progress on another thread fails; the other ranks see
     * the connection close and fail naming this rank, if they still had something to exchange with it.
     */
    @Override
    public void close() {
        closed = true;
        if (ring != null) ring.close();
    }

    @Override
    public String toString() {
        return self + " " + addresses;
    }

    // ---- building ------------------------------------------------------------------------------

    public static final class Builder {
        private final int rank;
        private final List<String> addresses;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int bucketSize = DEFAULT_BUCKET_SIZE;
        private ServerSocketChannel listener;

        private Builder(int rank, List<String> addresses) {
            Objects.requireNonNull(addresses, "ProcessGroup: addresses is null");
            if (addresses.isEmpty())
                throw new IllegalArgumentException(
                        "ProcessGroup: the address list is empty; give one host:port per rank");
            List<String> clean = new ArrayList<>();
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < addresses.size(); i++) {
                String a = checkAddress(i, addresses.get(i));
                Integer other = seen.putIfAbsent(a, i);
                if (other != null) {
                    throw new IllegalArgumentException("ProcessGroup: addresses[" + other + "] and addresses[" + i
                            + "] are both " + a + "; every rank needs its own host:port");
                }
                clean.add(a);
            }
            if (rank < 0 || rank >= clean.size()) {
                throw new IllegalArgumentException(
                        "ProcessGroup: rank " + rank + " is out of range for " + clean.size() + " addresses");
            }
            this.rank = rank;
            this.addresses = List.copyOf(clean);
        }

        private static String checkAddress(int i, String a) {
            if (a == null) throw new IllegalArgumentException("ProcessGroup: addresses[" + i + "] is null");
            String s = a.trim();
            int colon = s.lastIndexOf(':');
            String host = colon < 0 ? "" : s.substring(0, colon);
            int port = -1;
            try {
                if (colon >= 0) port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (host.isEmpty()
                    || port < 1
                    || port > 65535
                    || (host.contains(":") && !(host.startsWith("[") && host.endsWith("]")))) {
                throw new IllegalArgumentException("ProcessGroup: addresses[" + i + "] is '" + a
                        + "', expected host:port with a port in 1..65535 (an IPv6 host in brackets: [::1]:29500)");
            }
            return s;
        }

        /** How long a transfer, and the whole rendezvous, may take before the peer is declared dead (default 60 s). */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "ProcessGroup: timeout is null");
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() == 0) {
                throw new IllegalArgumentException("ProcessGroup: the timeout must be at least 1 ms, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Floats per all-reduce bucket (default 2^20, 4 MiB); every rank should use the same. */
        public Builder bucketSize(int floats) {
            if (floats <= 0)
                throw new IllegalArgumentException("ProcessGroup: the bucket size must be positive, got " + floats);
            this.bucketSize = floats;
            return this;
        }

        /**
         * A listener this process has already bound to its own address (bind to port 0, learn the
         * port, then share it: no race for a free port). The group closes it once the ring is formed.
         */
        public Builder listener(ServerSocketChannel listener) {
            this.listener = Objects.requireNonNull(listener, "ProcessGroup: listener is null");
            return this;
        }

        /**
         * Forms the ring: binds this rank's address (unless a listener was given), connects to the next
         * rank and accepts the previous one, waiting at most the timeout for them. A group of one opens
         * no socket.
         */
        public ProcessGroup connect() {
            String self = "ProcessGroup rank " + rank + " of " + addresses.size();
            String own = addresses.get(rank);
            int ownPort = Integer.parseInt(own.substring(own.lastIndexOf(':') + 1));
            if (listener != null) {
                int bound;
                try {
                    bound = listener.getLocalAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
                } catch (IOException e) {
                    bound = -1;
                }
                if (bound != ownPort) {
                    throw new IllegalArgumentException(
                            self + ": the listener is bound to port " + bound + " but this rank's address is " + own
                                    + "; bind it to that port, or put its port in the address list");
                }
            }
            if (addresses.size() == 1) {
                Rendezvous.closeQuietly(listener);
                return new ProcessGroup(rank, addresses, timeout, bucketSize, null);
            }
            ServerSocketChannel l = listener;
            if (l == null) {
                String host = own.substring(0, own.lastIndexOf(':'));
                if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
                try {
                    l = ServerSocketChannel.open();
                    l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    l.bind(new InetSocketAddress(host, ownPort));
                } catch (IOException | RuntimeException e) {
                    Rendezvous.closeQuietly(l);
                    throw new DistributedException(self + ": cannot listen on " + own + ": " + e, e);
                }
            }
            long nanos = timeout.toNanos();
            SocketChannel[] ch = Rendezvous.connect(rank, addresses, l, nanos);
            try {
                return new ProcessGroup(
                        rank, addresses, timeout, bucketSize, new Ring(rank, addresses, ch[0], ch[1], nanos));
            } catch (IOException e) {
                Rendezvous.closeQuietly(ch[0]);
                Rendezvous.closeQuietly(ch[1]);
                throw new DistributedException(self + ": cannot set up the connections: " + e, e);
            }
        }
    }
}
