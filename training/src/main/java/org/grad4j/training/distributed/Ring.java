package org.grad4j.training.distributed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One rank's two connections in the ring, and the framing on them. {@code toNext} carries this rank's
 * messages to rank r+1; {@code fromPrev} brings rank r-1's. Every message is a frame: a 32-byte
 * little-endian header (sequence number, kind, bucket, chunk, length, total) and a payload, so a
 * rank that called another collective, another size, or lost a message is caught at once and named.
 *
 * <p>Both channels are non-blocking under one selector: a transfer sends one frame and receives one
 * at the same time (sending first and then receiving would deadlock the ring once a frame outgrows the
 * socket buffers), and every transfer has a deadline, so a dead or stuck neighbour is an error within
 * the timeout, never a hang.
 *
 * <p>A rank that fails sends an abort frame, carrying the first error's text, to both neighbours (on
 * {@code fromPrev} that travels backwards, the one thing that ever does); they fail with it and pass
 * it on, so every rank's error names the peer at fault, not just the neighbour that gave up first.
 */
final class Ring implements AutoCloseable {
    static final int HEADER = 32;
    static final int REDUCE_SCATTER = 1, ALL_GATHER = 2, GATHER_BYTES = 3, BROADCAST = 4, ABORT = 5;
    /** A header-only frame a rank sends on while it waits for data: it is alive, so not the one at fault. */
    static final int WAITING = 6;
    /** A frame's payload may not exceed this: a header asking for more is corrupt. */
    private static final long MAX_PAYLOAD = 1L << 30;

    private static final int MAX_ABORT_TEXT = 4096;

    private final String self;
    private final int prev, next;
    private final List<String> addresses;
    private final long timeoutNanos;
    private final SocketChannel toNext, fromPrev;
    private final Selector selector;
    private final SelectionKey nextKey, prevKey;
    private ByteBuffer out = direct(HEADER), in = direct(HEADER);
    private final ByteBuffer notice = direct(HEADER);
    /** What goes to the next rank: a pending "waiting" notice, then the current frame. */
    private final ByteBuffer[] outgoing = new ByteBuffer[2];

    private final long noticeNanos;
    private final ByteBuffer back = direct(HEADER + MAX_ABORT_TEXT);
    private long sendSeq, recvSeq;
    private boolean nextClosed;

    Ring(int rank, List<String> addresses, SocketChannel toNext, SocketChannel fromPrev, long timeoutNanos)
            throws IOException {
        int n = addresses.size();
        this.self = "ProcessGroup rank " + rank + " of " + n;
        this.prev = (rank - 1 + n) % n;
        this.next = (rank + 1) % n;
        this.addresses = addresses;
        this.timeoutNanos = timeoutNanos;
        this.noticeNanos = Math.max(1_000_000L, timeoutNanos / 4);
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.selector = Selector.open();
        toNext.configureBlocking(false);
        fromPrev.configureBlocking(false);
        this.nextKey = toNext.register(selector, 0);
        this.prevKey = fromPrev.register(selector, 0);
        out.limit(0);
        notice.limit(0);
        outgoing[0] = notice;
        outgoing[1] = out;
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- building the outgoing frame and reading the incoming one ----------------------------------

    /** Starts the next outgoing frame; its payload ({@code payloadBytes}) is written with the put methods. */
    void frame(int kind, int bucket, int chunk, int length, long total, int payloadBytes) {
        if (out.capacity() < HEADER + payloadBytes) outgoing[1] = out = direct(HEADER + payloadBytes);
        out.clear();
        out.putLong(0, sendSeq++)
                .putInt(8, kind)
                .putInt(12, bucket)
                .putInt(16, chunk)
                .putInt(20, length)
                .putLong(24, total);
        out.limit(HEADER + payloadBytes);
    }

    void putFloats(float[] src, int off, int len) {
        out.slice(HEADER, len * 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer()
                .put(src, off, len);
    }

    void putBytes(byte[] src) {
        out.put(HEADER, src);
    }

    /** The received payload as floats, into {@code dst[off, off+len)}. */
    void getFloats(float[] dst, int off, int len) {
        in.slice(HEADER, len * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, off, len);
    }

    /** The received payload as bytes. */
    byte[] getBytes() {
        byte[] b = new byte[in.limit() - HEADER];
        in.get(HEADER, b);
        return b;
    }

    // ---- the transfer --------------------------------------------------------------------------

    /**
     * Sends the frame built by {@link #frame} (when {@code send}) while receiving one from the previous
     * rank (when {@code kind != 0}) that must be that kind, bucket, chunk, length ({@code -1}: any) and
     * total; returns once both are done. Throws {@link DistributedException} naming the peer on a
     * mismatch, a closed connection, an abort, or when the timeout passes without both done.
     */
    void transfer(boolean send, int kind, int bucket, int chunk, int length, long total) {
        try {
            transfer0(send, kind, bucket, chunk, length, total);
        } catch (IOException e) { // the selector itself failed
            throw new DistributedException(self + ": " + e, e);
        }
    }

    private void transfer0(boolean send, int kind, int bucket, int chunk, int length, long total) throws IOException {
        int sentKind = send ? out.getInt(8) : 0;
        boolean sendDone = !send, recvDone = kind == 0, header = false, abort = false;
        if (!recvDone) in.clear().limit(HEADER);
        pollBack(!sendDone, sentKind);
        long now = System.nanoTime();
        // what was last heard from the previous rank (any byte, a "waiting" notice included), last data from it,
        // last byte the next rank took, last notice sent
        long heard = now, data = now, taken = now, noticed = now;
        while (!(sendDone && recvDone)) {
            boolean progress = false;
            if (!sendDone) {
                if (write(sentKind) > 0) {
                    progress = true;
                    taken = System.nanoTime();
                }
                sendDone = !out.hasRemaining();
            } else if (notice.hasRemaining()) {
                try {
                    toNext.write(notice);
                } catch (IOException e) {
                    notice.limit(0); // only a courtesy: the next rank's failure shows where it matters
                }
            }
            if (!recvDone) {
                if (read(kind) > 0) {
                    progress = true;
                    heard = System.nanoTime();
                    if (header) data = heard;
                }
                if (!header && !in.hasRemaining()) {
                    progress = true;
                    int k = in.getInt(8);
                    if (k == WAITING) { // the previous rank is alive, waiting on its own previous rank
                        in.clear().limit(HEADER);
                        continue;
                    }
                    header = true;
                    data = heard;
                    abort = k == ABORT;
                    long bytes = abort
                            ? Math.min(Math.max(0, in.getInt(20)), MAX_ABORT_TEXT)
                            : check(kind, bucket, chunk, length, total);
                    if (in.capacity() < HEADER + bytes) {
                        ByteBuffer bigger = direct(HEADER + (int) bytes);
                        bigger.put(in.flip());
                        in = bigger;
                    }
                    in.limit(HEADER + (int) bytes);
                }
                if (header && !in.hasRemaining()) {
                    if (abort) throw aborted(prev, new String(getBytes(), StandardCharsets.UTF_8));
                    recvSeq++;
                    recvDone = true;
                }
            }
            if (sendDone && recvDone) break;
            now = System.nanoTime();
            if (!recvDone && sendDone && !nextClosed && !notice.hasRemaining() && now - noticed >= noticeNanos) {
                // only between frames, so the next rank reads it as a frame of its own
                notice.clear().putLong(0, -1).putInt(8, WAITING).putInt(16, -1).limit(HEADER);
                noticed = now;
                continue;
            }
            if (progress) continue;
            if (!sendDone && now - taken >= timeoutNanos) throw timedOut(false, sentKind);
            if (!recvDone && now - heard >= timeoutNanos) throw timedOut(true, kind);
            if (!recvDone && now - data >= 2 * timeoutNanos) {
                throw new DistributedException(
                        self + ": rank " + prev + " at " + addresses.get(prev) + " is alive but sent no "
                                + kindName(kind) + " data for " + 2 * timeoutNanos / 1_000_000 + " ms (message "
                                + recvSeq + "): a rank before it is "
                                + "stuck, or the ranks called different collectives or arguments");
            }
            long wait = Long.MAX_VALUE;
            if (!sendDone) wait = taken + timeoutNanos - now;
            if (!recvDone)
                wait = Math.min(
                        wait,
                        Math.min(heard + timeoutNanos, Math.min(data + 2 * timeoutNanos, noticed + noticeNanos)) - now);
            nextKey.interestOps((sendDone && !notice.hasRemaining() ? 0 : SelectionKey.OP_WRITE)
                    | (nextClosed ? 0 : SelectionKey.OP_READ));
            prevKey.interestOps(recvDone ? 0 : SelectionKey.OP_READ);
            selector.selectedKeys().clear();
            selector.select(Math.max(1, (wait + 999_999) / 1_000_000));
            if (selector.selectedKeys().contains(nextKey) && nextKey.isReadable()) pollBack(!sendDone, sentKind);
            if (Thread.currentThread().isInterrupted()) {
                throw new DistributedException(self + ": interrupted while "
                        + (recvDone
                                ? "sending " + kindName(sentKind) + " data to rank " + next
                                : "waiting for " + kindName(kind) + " data from rank " + prev));
            }
        }
    }

    /** Checks a data frame's header against what this rank expects; returns its payload size in bytes. */
    private long check(int kind, int bucket, int chunk, int length, long total) {
        long seq = in.getLong(0);
        int k = in.getInt(8), b = in.getInt(12), c = in.getInt(16), len = in.getInt(20);
        long tot = in.getLong(24);
        String from = "rank " + prev + " at " + addresses.get(prev);
        if (seq != recvSeq) {
            throw new DistributedException(self + ": the message from " + from + " has sequence number " + seq
                    + ", expected " + recvSeq + " (a message was lost or repeated)");
        }
        if (k != kind) {
            throw new DistributedException(self + ": " + from + " is in " + kindName(k) + " but this rank is in "
                    + kindName(kind) + ": every rank must call the same collectives in the same order");
        }
        String unit = kind == GATHER_BYTES ? " bytes" : " floats";
        if (tot != total) {
            throw new DistributedException(self + ": " + from + " passed " + tot + unit + " to " + kindName(kind)
                    + " but this rank passed " + total + ": every rank must pass the same size");
        }
        long bytes = (long) len * (kind == GATHER_BYTES ? 1 : 4);
        if (b != bucket || c != chunk || (length >= 0 && len != length) || len < 0 || bytes > MAX_PAYLOAD) {
            throw new DistributedException(self + ": message " + seq + " from " + from + " is bucket " + b + " chunk "
                    + c + " of " + len + unit + ", expected bucket " + bucket + " chunk " + chunk
                    + (length >= 0 ? " of " + length + unit : ""));
        }
        return bytes;
    }

    private int write(int kind) {
        if (nextClosed) throw closedBy(next, "sending " + kindName(kind) + " data");
        try {
            return (int) toNext.write(outgoing);
        } catch (IOException e) {
            throw new DistributedException(
                    self + ": the connection to rank " + next + " at " + addresses.get(next) + " failed while sending "
                            + kindName(kind) + " data: " + e,
                    e);
        }
    }

    private int read(int kind) {
        int n;
        try {
            n = fromPrev.read(in);
        } catch (IOException e) {
            throw new DistributedException(
                    self + ": the connection from rank " + prev + " at " + addresses.get(prev)
                            + " failed while receiving " + kindName(kind) + " data: " + e,
                    e);
        }
        if (n < 0) throw closedBy(prev, "receiving " + kindName(kind) + " data");
        return n;
    }

    /**
     * Reads what the next rank sent backwards: nothing, or an abort frame, or the end of the stream
     * (it closed; an error only while this rank still has something to send it).
     */
    private void pollBack(boolean sending, int kind) {
        if (nextClosed) {
            if (sending) throw closedBy(next, "sending " + kindName(kind) + " data");
            return;
        }
        int n;
        try {
            n = toNext.read(back);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            nextClosed = true;
            if (sending) throw closedBy(next, "sending " + kindName(kind) + " data");
            return;
        }
        if (back.position() < HEADER) return;
        if (back.getInt(8) != ABORT) {
            throw new DistributedException(self + ": rank " + next + " at " + addresses.get(next) + " sent "
                    + kindName(back.getInt(8)) + " data backwards (a protocol error)");
        }
        int len = Math.min(Math.max(0, back.getInt(20)), MAX_ABORT_TEXT);
        if (back.position() >= HEADER + len) {
            byte[] text = new byte[len];
            back.get(HEADER, text);
            throw aborted(next, new String(text, StandardCharsets.UTF_8));
        }
    }

    private DistributedException closedBy(int peer, String doing) {
        return new DistributedException(self + ": rank " + peer + " at " + addresses.get(peer)
                + " closed the connection while this rank was " + doing + " (the peer died or closed its group)");
    }

    private DistributedException aborted(int peer, String why) {
        return new DistributedException(
                self + ": rank " + peer + " at " + addresses.get(peer) + " aborted the group: " + why, why);
    }

    private DistributedException timedOut(boolean receiving, int kind) {
        long ms = timeoutNanos / 1_000_000;
        String what = receiving
                ? "waiting for " + kindName(kind) + " data from rank " + prev + " at " + addresses.get(prev)
                        + " (message " + recvSeq + "): it sent nothing"
                : "sending " + kindName(kind) + " data to rank " + next + " at " + addresses.get(next)
                        + ": it read nothing";
        return new DistributedException(self + ": timed out after " + ms + " ms " + what + " for " + ms
                + " ms; the peer is dead or stuck, or the timeout is too short");
    }

    static String kindName(int kind) {
        return switch (kind) {
            case REDUCE_SCATTER -> "all-reduce (reduce-scatter)";
            case ALL_GATHER -> "all-reduce (all-gather)";
            case GATHER_BYTES -> "all-gather";
            case BROADCAST -> "broadcast";
            case ABORT -> "abort";
            case WAITING -> "waiting notice";
            default -> "unknown message kind " + kind;
        };
    }

    // ---- failing and closing -------------------------------------------------------------------

    /**
     * Best effort, within a short while: tells both neighbours why this rank fails (finishing a frame
     * half sent to the next rank first, so the abort starts on a frame boundary), then closes.
     */
    void abort(String why) {
        byte[] text = why.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_ABORT_TEXT) text = java.util.Arrays.copyOf(text, MAX_ABORT_TEXT);
        ByteBuffer frame = ByteBuffer.allocate(HEADER + text.length).order(ByteOrder.LITTLE_ENDIAN);
        frame.putLong(0, -1)
                .putInt(8, ABORT)
                .putInt(16, -1)
                .putInt(20, text.length)
                .put(HEADER, text);
        ByteBuffer[] forward = {notice, out, frame.duplicate()};
        ByteBuffer backward = frame.duplicate();
        boolean fwd = !nextClosed, bwd = true;
        long deadline = System.nanoTime() + Math.min(timeoutNanos, 500_000_000L);
        try {
            while ((fwd || bwd) && System.nanoTime() < deadline) {
                if (fwd) {
                    try {
                        toNext.write(forward);
                        fwd = forward[forward.length - 1].hasRemaining();
                    } catch (IOException e) {
                        fwd = false;
                    }
                }
                if (bwd) {
                    try {
                        fromPrev.write(backward);
                        bwd = backward.hasRemaining();
                    } catch (IOException e) {
                        bwd = false;
                    }
                }
                if (fwd || bwd) {
                    nextKey.interestOps(fwd ? SelectionKey.OP_WRITE : 0);
                    prevKey.interestOps(bwd ? SelectionKey.OP_WRITE : 0);
                    selector.selectedKeys().clear();
                    selector.select(10);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // the group is failing anyway; the neighbours then see the connection close
        }
        close();
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {selector, toNext, fromPrev}) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing: nothing left to do with it
            }
        }
    }
}
