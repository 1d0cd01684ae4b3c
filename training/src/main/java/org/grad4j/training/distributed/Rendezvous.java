package org.grad4j.training.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * Forms one rank's place in the ring: connects to the next rank (retrying until the deadline, so the
 * ranks may start in any order), accepts the previous rank's connection on this rank's listener, and
 * checks on both that the other side is the rank it should be, with the same world size and the same
 * address list (a hello one way, an acknowledgement back). Everything is bounded by one deadline.
 */
final class Rendezvous {
    private static final int MAGIC = 0x52344A47; // a connection whose first word differs is a stray, not a rank
    private static final int VERSION = 1;
    private static final int HELLO = 1, ACK = 2, BYTES = 32;
    private static final long RETRY_NANOS = 50_000_000L;

    private final int rank, worldSize, prev, next;
    private final List<String> addresses;
    private final long addressHash, timeoutNanos, deadline;
    private final String self;

    private Rendezvous(int rank, List<String> addresses, long timeoutNanos) {
        this.rank = rank;
        this.worldSize = addresses.size();
        this.prev = (rank - 1 + worldSize) % worldSize;
        this.next = (rank + 1) % worldSize;
        this.addresses = addresses;
        this.addressHash = fnv1a(String.join(",", addresses));
        this.timeoutNanos = timeoutNanos;
        this.deadline = System.nanoTime() + timeoutNanos;
        this.self = "ProcessGroup rank " + rank + " of " + worldSize;
    }

    /** The ring's two channels, {@code {toNext, fromPrev}}, connected and checked; closes the listener. */
    static SocketChannel[] connect(int rank, List<String> addresses, ServerSocketChannel listener, long timeoutNanos) {
        return new Rendezvous(rank, addresses, timeoutNanos).run(listener);
    }

    private SocketChannel[] run(ServerSocketChannel listener) {
        SocketChannel toNext = null, fromPrev = null;
        try (listener) {
            toNext = connectToNext();
            toNext.configureBlocking(false);
            writeFully(toNext, hello(HELLO), () -> "sending its hello to rank " + next + " at " + addresses.get(next));
            fromPrev = acceptFromPrev(listener);
            ByteBuffer ack = readFully(
                    toNext,
                    buffer(),
                    () -> "waiting for rank " + next + " at " + addresses.get(next) + " to acknowledge the connection");
            if (ack == null) {
                throw new DistributedException(self + ": rank " + next + " at " + addresses.get(next)
                        + " closed the connection during the rendezvous (is something else listening there?)");
            }
            checkPeer(ack.flip(), ACK, next, addresses.get(next));
            for (SocketChannel c : new SocketChannel[] {toNext, fromPrev})
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return new SocketChannel[] {toNext, fromPrev};
        } catch (IOException | RuntimeException e) {
            closeQuietly(toNext);
            closeQuietly(fromPrev);
            if (e instanceof DistributedException d) throw d;
            throw new DistributedException(self + ": the rendezvous failed: " + e, e);
        }
    }

    private SocketChannel connectToNext() {
        String target = addresses.get(next);
        Exception last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new DistributedException(self + ": could not connect to rank " + next + " at " + target
                        + " within " + timeoutNanos / 1_000_000 + " ms" + (last == null ? "" : ": " + last)
                        + " (is it running, with the same addresses?)");
            }
            SocketChannel ch = null;
            try {
                int colon = target.lastIndexOf(':');
                String host = target.substring(0, colon);
                if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
                InetSocketAddress address = new InetSocketAddress(host, Integer.parseInt(target.substring(colon + 1)));
                if (address.isUnresolved()) throw new IOException("cannot resolve host " + host);
                ch = SocketChannel.open();
                ch.socket().connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                return ch;
            } catch (IOException e) {
                closeQuietly(ch);
                last = e;
                sleepNanos(Math.min(RETRY_NANOS, deadline - System.nanoTime()));
            }
        }
    }

    private SocketChannel acceptFromPrev(ServerSocketChannel listener) throws IOException {
        listener.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            listener.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                SocketChannel ch = listener.accept();
                if (ch == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new DistributedException(self + ": rank " + prev + " at " + addresses.get(prev)
                                + " did not connect to " + addresses.get(rank) + " within " + timeoutNanos / 1_000_000
                                + " ms (is it running, with the same addresses?)");
                    }
                    selector.select(Math.max(1, left / 1_000_000));
                    selector.selectedKeys().clear();
                    continue;
                }
                ch.configureBlocking(false);
                String remote = String.valueOf(ch.getRemoteAddress());
                ByteBuffer hello =
                        readFully(ch, buffer(), () -> "waiting for the hello of a connection from " + remote);
                if (hello == null || hello.getInt(0) != MAGIC) { // a stray connection: not one of ours
                    closeQuietly(ch);
                    continue;
                }
                try {
                    checkPeer(hello.flip(), HELLO, prev, remote);
                    writeFully(ch, hello(ACK), () -> "acknowledging rank " + prev + " at " + remote);
                } catch (RuntimeException e) {
                    closeQuietly(ch);
                    throw e;
                }
                return ch;
            }
        }
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer hello(int kind) {
        ByteBuffer b = buffer();
        b.putInt(MAGIC)
                .putInt(VERSION)
                .putInt(kind)
                .putInt(rank)
                .putInt(worldSize)
                .putInt(0)
                .putLong(addressHash);
        return b.flip();
    }

    /** The other side must be {@code expectedRank}, speak this version, and have the same world size and addresses. */
    private void checkPeer(ByteBuffer b, int kind, int expectedRank, String where) {
        int magic = b.getInt(), version = b.getInt(), k = b.getInt(), r = b.getInt(), n = b.getInt();
        b.getInt();
        long hash = b.getLong();
        String peer = "the process at " + where;
        if (magic != MAGIC || k != kind) {
            throw new DistributedException(self + ": " + peer + " is not a Grad4j process group rank (bad handshake)");
        }
        if (version != VERSION) {
            throw new DistributedException(self + ": " + peer + " speaks protocol version " + version + ", this rank "
                    + VERSION + ": every rank must run the same Grad4j version");
        }
        if (n != worldSize) {
            throw new DistributedException(
                    self + ": " + peer + " is rank " + r + " of " + n + ", but this rank's world size is " + worldSize
                            + ": every rank must be given the same address list");
        }
        if (r != expectedRank) {
            throw new DistributedException(self + ": " + peer + " is rank " + r + ", but rank " + expectedRank + " (at "
                    + addresses.get(expectedRank)
                    + ") should be there: every rank must be given the same address list");
        }
        if (hash != addressHash) {
            throw new DistributedException(
                    self + ": rank " + r + " at " + where + " was given a different address list than this rank's "
                            + addresses + ": every rank must be given the same address list");
        }
    }

    /** Fills {@code b} before the deadline; null when the other side closed first. */
    private ByteBuffer readFully(SocketChannel ch, ByteBuffer b, Supplier<String> doing) throws IOException {
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_READ);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) return null;
                if (!b.hasRemaining()) break;
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new DistributedException(
                            self + ": timed out after " + timeoutNanos / 1_000_000 + " ms " + doing.get());
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
        return b;
    }

    private void writeFully(SocketChannel ch, ByteBuffer b, Supplier<String> doing) throws IOException {
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_WRITE);
            while (b.hasRemaining()) {
                ch.write(b);
                if (!b.hasRemaining()) break;
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new DistributedException(
                            self + ": timed out after " + timeoutNanos / 1_000_000 + " ms " + doing.get());
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
    }

    /** 64-bit FNV-1a of the address list: ranks given different lists find out at the handshake. */
    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static void sleepNanos(long nanos) {
        if (nanos <= 0) return;
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("ProcessGroup: interrupted during the rendezvous", e);
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing after a failure: nothing more to do
        }
    }
}
