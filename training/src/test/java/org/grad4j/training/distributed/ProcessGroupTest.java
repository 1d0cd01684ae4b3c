package org.grad4j.training.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessGroupTest {
    private static final Duration SHORT = Duration.ofSeconds(2), LONG = Duration.ofSeconds(20);

    /** Values over six orders of magnitude, so that the order of summation shows in the bits. */
    static float[] values(long seed, int length) {
        Random g = new Random(seed);
        float[] v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float) (g.nextGaussian() * Math.pow(10, g.nextInt(7) - 3));
        return v;
    }

    /**
     * The documented order, computed serially: element j lies in bucket j / B, in the chunk c of that
     * bucket with c*len/n <= j' < (c+1)*len/n, and is summed from rank c around the ring.
     */
    static float[] ringOrderSum(float[][] x, int bucketSize) {
        int n = x.length, total = x[0].length;
        float[] out = new float[total];
        for (int j = 0; j < total; j++) {
            int b = j / bucketSize, k = j - b * bucketSize, len = Math.min(bucketSize, total - b * bucketSize);
            int c = 0;
            while ((long) (c + 1) * len / n <= k) c++;
            float acc = x[c][j];
            for (int t = 1; t < n; t++) acc += x[(c + t) % n][j];
            out[j] = acc;
        }
        return out;
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    private static final int BUCKET = 8;

    @Test
    void allReduceSumsInTheRingOrderOnEveryRankForWorldSizes1To4() {
        boolean orderShows = false;
        for (int n = 1; n <= 4; n++) {
            List<ProcessGroup> groups = Ranks.connect(n, LONG, BUCKET);
            try {
                // empty, shorter than the world, not divisible by it, several buckets with a ragged last one
                for (int length : new int[] {0, 1, n - 1, n + 1, 7, BUCKET, 3 * BUCKET + 5, 1001}) {
                    if (length < 0) continue;
                    int len = length, world = n;
                    float[][] x = new float[n][];
                    for (int r = 0; r < n; r++) x[r] = values(100 * r + len, len);
                    float[] expected = ringOrderSum(x, BUCKET);
                    List<float[]> got = Ranks.run(n, r -> {
                        float[] d = x[r].clone();
                        groups.get(r).allReduce(d, ReduceOp.SUM);
                        return d;
                    });
                    for (int r = 0; r < n; r++) {
                        assertArrayEquals(
                                bits(expected), bits(got.get(r)), "world " + world + ", length " + len + ", rank " + r);
                    }
                    // the test would notice another order: summing in rank order differs somewhere
                    for (int j = 0; j < len && n >= 3; j++) {
                        float naive = 0;
                        for (int r = 0; r < n; r++) naive += x[r][j];
                        orderShows |= Float.floatToRawIntBits(naive) != Float.floatToRawIntBits(expected[j]);
                    }
                }
            } finally {
                Ranks.closeAll(groups);
            }
        }
        assertTrue(orderShows, "the data should make the order of summation visible");
    }

    @Test
    void averageIsTheRingSumDividedByTheWorldSizeWithTheSameBitsEverywhere() {
        int n = 3, len = 50;
        List<ProcessGroup> groups = Ranks.connect(n, LONG, BUCKET);
        try {
            float[][] x = new float[n][];
            for (int r = 0; r < n; r++) x[r] = values(7 + r, len);
            float[] sum = ringOrderSum(x, BUCKET);
            float[] expected = new float[len];
            for (int j = 0; j < len; j++) expected[j] = sum[j] / 3f;
            List<float[]> got = Ranks.run(n, r -> {
                float[] d = x[r].clone();
                groups.get(r).allReduce(d, ReduceOp.AVG);
                return d;
            });
            for (float[] g : got) assertArrayEquals(bits(expected), bits(g));
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void twoRunsWithTheSameWorldSizeGiveTheSameBits() {
        int n = 3, len = 20_000;
        float[][] x = new float[n][];
        for (int r = 0; r < n; r++) x[r] = values(31 * r, len);
        List<int[]> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            List<ProcessGroup> groups = Ranks.connect(n, LONG, 4096); // a new group each run
            try {
                runs.addAll(Ranks.run(n, r -> {
                    float[] d = x[r].clone();
                    groups.get(r).allReduce(d, ReduceOp.SUM);
                    return bits(d);
                }));
            } finally {
                Ranks.closeAll(groups);
            }
        }
        for (int[] b : runs) assertArrayEquals(runs.get(0), b);
    }

    @Test
    void allReduceOfTensorsIsTheAllReduceOfTheirConcatenation() {
        int n = 3;
        int[][] shapes = {{3, 4}, {0}, {5}, {2, 3, 2}, {1}, {17}};
        List<ProcessGroup> groups = Ranks.connect(n, LONG, BUCKET);
        try {
            List<float[][]> got = Ranks.run(n, r -> {
                List<Tensor> ts = new ArrayList<>();
                List<float[]> flat = new ArrayList<>();
                int total = 0;
                for (int i = 0; i < shapes.length; i++) {
                    Tensor t = Tensor.of(
                            values(1000 * r + i, Arrays.stream(shapes[i]).reduce(1, (a, b) -> a * b)), shapes[i]);
                    ts.add(t);
                    flat.add(t.toFloatArray());
                    total += t.numel();
                }
                float[] concat = new float[total];
                int at = 0;
                for (float[] f : flat) {
                    System.arraycopy(f, 0, concat, at, f.length);
                    at += f.length;
                }
                groups.get(r).allReduce(ts, ReduceOp.AVG);
                groups.get(r).allReduce(concat, ReduceOp.AVG);
                float[] fromTensors = new float[total];
                at = 0;
                for (int i = 0; i < ts.size(); i++) {
                    assertArrayEquals(shapes[i], ts.get(i).shape());
                    float[] f = ts.get(i).toFloatArray();
                    System.arraycopy(f, 0, fromTensors, at, f.length);
                    at += f.length;
                }
                return new float[][] {fromTensors, concat};
            });
            for (float[][] g : got) {
                assertArrayEquals(bits(g[1]), bits(g[0]));
                assertArrayEquals(bits(got.get(0)[0]), bits(g[0]));
            }
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void allGatherBroadcastAndBarrier() {
        int n = 4;
        List<ProcessGroup> groups = Ranks.connect(n, LONG, BUCKET);
        try {
            float[] source = values(5, 3 * BUCKET + 1);
            List<Object[]> got = Ranks.run(n, r -> {
                ProcessGroup g = groups.get(r);
                byte[] mine = new byte[r * 3]; // rank 0 sends nothing
                Arrays.fill(mine, (byte) (r + 1));
                byte[][] all = g.allGather(mine);
                float[] b = r == 2 ? source.clone() : new float[source.length];
                g.broadcast(b, 2);
                g.barrier();
                return new Object[] {all, b};
            });
            for (int r = 0; r < n; r++) {
                byte[][] all = (byte[][]) got.get(r)[0];
                for (int k = 0; k < n; k++) {
                    byte[] want = new byte[k * 3];
                    Arrays.fill(want, (byte) (k + 1));
                    assertArrayEquals(want, all[k], "rank " + r + "'s copy of rank " + k + "'s bytes");
                }
                assertArrayEquals(bits(source), bits((float[]) got.get(r)[1]));
            }
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void aGroupOfOneOpensNoSocketAndReturnsItsOwnValues() throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            String busy = "127.0.0.1:" + ((InetSocketAddress) taken.getLocalAddress()).getPort();
            try (ProcessGroup g = ProcessGroup.builder(0, List.of(busy)).connect()) { // would fail if it bound the port
                assertEquals(1, g.worldSize());
                float[] d = values(1, 10);
                float[] copy = d.clone();
                g.allReduce(d, ReduceOp.AVG);
                assertArrayEquals(bits(copy), bits(d));
                assertArrayEquals(new byte[] {4}, g.allGather(new byte[] {4})[0]);
                g.barrier();
            }
        }
    }

    @Test
    void ranksMayStartInAnyOrderWithinTheTimeout() {
        int n = 3;
        List<ServerSocketChannel> ls = Ranks.listeners(n);
        List<String> addrs = Ranks.addresses(ls);
        int[] delayMs = {400, 800, 0};
        List<ProcessGroup> groups = Ranks.run(n, r -> {
            Thread.sleep(delayMs[r]);
            return ProcessGroup.builder(r, addrs)
                    .listener(ls.get(r))
                    .timeout(Duration.ofSeconds(10))
                    .connect();
        });
        try {
            List<float[]> got = Ranks.run(n, r -> {
                float[] d = {r, 1};
                groups.get(r).allReduce(d, ReduceOp.SUM);
                return d;
            });
            for (float[] g : got) assertArrayEquals(new float[] {3, 3}, g);
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void aGroupBindsItsOwnAddressWhenGivenNoListener() throws Exception {
        for (int attempt = 0; ; attempt++) { // the ports are free when picked; another process could take one meanwhile
            List<ServerSocketChannel> ls = Ranks.listeners(2);
            List<String> addrs = Ranks.addresses(ls);
            for (ServerSocketChannel l : ls) l.close();
            List<Ranks.Outcome<ProcessGroup>> out = Ranks.attempt(
                    2, r -> ProcessGroup.builder(r, addrs).timeout(LONG).connect());
            if (out.stream().anyMatch(o -> o.error() != null)) {
                out.stream()
                        .filter(o -> o.value() != null)
                        .forEach(o -> o.value().close());
                if (attempt < 3
                        && out.stream()
                                .anyMatch(o -> o.error() != null
                                        && o.error().getMessage().contains("cannot listen"))) continue;
                throw new AssertionError(
                        out.get(0).error() != null
                                ? out.get(0).error()
                                : out.get(1).error());
            }
            List<ProcessGroup> groups = out.stream().map(Ranks.Outcome::value).toList();
            try {
                List<float[]> got = Ranks.run(2, r -> {
                    float[] d = {r + 1};
                    groups.get(r).allReduce(d, ReduceOp.SUM);
                    return d;
                });
                assertArrayEquals(new float[] {3}, got.get(0));
                assertArrayEquals(new float[] {3}, got.get(1));
            } finally {
                Ranks.closeAll(groups);
            }
            return;
        }
    }

    @Test
    void aRankThatNeverComesIsNamedWhenTheRendezvousTimesOut() throws Exception {
        List<ServerSocketChannel> ls = Ranks.listeners(2);
        List<String> addrs = Ranks.addresses(ls);
        ls.get(1).close(); // rank 1 never starts
        DistributedException e = assertThrows(
                DistributedException.class,
                () -> ProcessGroup.builder(0, addrs)
                        .listener(ls.get(0))
                        .timeout(Duration.ofMillis(700))
                        .connect());
        assertTrue(
                e.getMessage()
                        .contains("ProcessGroup rank 0 of 2: could not connect to rank 1 at " + addrs.get(1)
                                + " within 700 ms"),
                e.getMessage());
        assertFalse(ls.get(0).isOpen(), "the group owns the listener once connect() starts");
    }

    @Test
    void ranksGivenDifferentAddressListsAreRefusedAtTheHandshake() {
        List<ServerSocketChannel> ls = Ranks.listeners(2);
        List<String> addrs = Ranks.addresses(ls);
        // rank 1 writes rank 0's host differently: same ports, another list
        List<String> other = List.of(addrs.get(0).replace("127.0.0.1", "localhost"), addrs.get(1));
        List<Ranks.Outcome<ProcessGroup>> out = Ranks.attempt(
                2,
                r -> ProcessGroup.builder(r, r == 0 ? addrs : other)
                        .listener(ls.get(r))
                        .timeout(SHORT)
                        .connect());
        out.stream().filter(o -> o.value() != null).forEach(o -> o.value().close());
        Throwable e1 = out.get(1).error();
        assertInstanceOf(DistributedException.class, e1);
        assertTrue(
                e1.getMessage().contains("ProcessGroup rank 1 of 2: rank 0 at")
                        && e1.getMessage().contains("was given a different address list"),
                e1.getMessage());
        assertNotNull(out.get(0).error(), "rank 0 must fail too");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsOpenedOrSent() throws Exception {
        List<String> two = List.of("127.0.0.1:5000", "127.0.0.1:5001");
        assertEquals(
                "ProcessGroup: rank 2 is out of range for 2 addresses",
                assertThrows(IllegalArgumentException.class, () -> ProcessGroup.builder(2, two))
                        .getMessage());
        assertEquals(
                "ProcessGroup: addresses[0] and addresses[1] are both 127.0.0.1:5000; every rank needs its own host:port",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ProcessGroup.builder(0, List.of("127.0.0.1:5000", " 127.0.0.1:5000")))
                        .getMessage());
        assertEquals(
                "ProcessGroup: addresses[1] is 'node7', expected host:port with a port in 1..65535 (an IPv6 host in brackets: [::1]:29500)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ProcessGroup.builder(0, List.of("127.0.0.1:5000", "node7")))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcessGroup.builder(0, List.of("::1:5000")));
        assertEquals(
                "ProcessGroup: the address list is empty; give one host:port per rank",
                assertThrows(IllegalArgumentException.class, () -> ProcessGroup.builder(0, List.of()))
                        .getMessage());
        assertEquals(
                "ProcessGroup: the timeout must be at least 1 ms, got PT0S",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ProcessGroup.builder(0, two).timeout(Duration.ZERO))
                        .getMessage());
        assertEquals(
                "ProcessGroup: the bucket size must be positive, got 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ProcessGroup.builder(0, two).bucketSize(0))
                        .getMessage());
        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) l.getLocalAddress()).getPort();
            int wrong = port == 65535 ? 65534 : port + 1;
            List<String> addrs = List.of("127.0.0.1:" + wrong, "127.0.0.1:1");
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> ProcessGroup.builder(0, addrs).listener(l).connect());
            assertEquals(
                    "ProcessGroup rank 0 of 2: the listener is bound to port " + port
                            + " but this rank's address is 127.0.0.1:" + wrong
                            + "; bind it to that port, or put its port in the address list",
                    e.getMessage());
            assertTrue(l.isOpen(), "a refused listener stays the caller's, open");
        }
        List<ProcessGroup> groups = Ranks.connect(2, LONG, BUCKET);
        try {
            assertEquals(
                    "broadcast: src rank 2 is out of range for a group of 2 ranks",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> groups.get(0).broadcast(new float[1], 2))
                            .getMessage());
            assertFalse(groups.get(0).isBroken());
            List<float[]> got = Ranks.run(
                    2,
                    r -> { // still usable
                        float[] d = {r};
                        groups.get(r).allReduce(d, ReduceOp.SUM);
                        return d;
                    });
            assertArrayEquals(new float[] {1}, got.get(1));
        } finally {
            Ranks.closeAll(groups);
        }
    }

    /**
     * Each of two ranks either found the mismatch itself ({@code direct[r]}) or, when the other one found
     * it first, failed with its abort, which names the other rank and carries its text.
     */
    private static void assertDirectOrRelayed(String[] direct, List<String> addresses, List<Throwable> errors) {
        for (int r = 0; r < 2; r++) {
            Throwable e = errors.get(r);
            assertInstanceOf(DistributedException.class, e, "rank " + r);
            String relayed = "ProcessGroup rank " + r + " of 2: rank " + (1 - r) + " at " + addresses.get(1 - r)
                    + " aborted the group: " + direct[1 - r];
            assertTrue(
                    e.getMessage().equals(direct[r]) || e.getMessage().equals(relayed),
                    "rank " + r + ": " + e.getMessage());
        }
        assertTrue(
                errors.get(0).getMessage().equals(direct[0])
                        || errors.get(1).getMessage().equals(direct[1]),
                "one of them found it");
    }

    @Test
    void differentSizesOnTwoRanksFailBothNamingThePeerAndTheGroupStaysBroken() {
        List<ProcessGroup> groups = Ranks.connect(2, SHORT, BUCKET);
        try {
            List<Ranks.Outcome<Object>> out = Ranks.attempt(2, r -> {
                groups.get(r).allReduce(new float[r == 0 ? 10 : 12], ReduceOp.SUM);
                return null;
            });
            List<String> a = groups.get(0).addresses();
            Throwable e0 = out.get(0).error(), e1 = out.get(1).error();
            String[] direct = new String[2];
            for (int r = 0; r < 2; r++) {
                direct[r] = "ProcessGroup rank " + r + " of 2: rank " + (1 - r) + " at " + a.get(1 - r) + " passed "
                        + (r == 0 ? 12 : 10) + " floats to all-reduce (reduce-scatter) but this rank passed "
                        + (r == 0 ? 10 : 12) + ": every rank must pass the same size";
            }
            assertDirectOrRelayed(direct, a, List.of(e0, e1));
            assertTrue(groups.get(0).isBroken());
            DistributedException again = assertThrows(
                    DistributedException.class, () -> groups.get(0).allReduce(new float[10], ReduceOp.SUM));
            assertEquals(
                    "ProcessGroup rank 0 of 2: the group is broken by an earlier error: " + e0.getMessage(),
                    again.getMessage());
            assertEquals(e0, again.getCause());
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void aLostMessageIsASequenceNumberMismatchNamingThePeerAndBothNumbers() {
        List<ProcessGroup> groups = Ranks.connect(2, SHORT, BUCKET);
        try {
            Ranks.run(
                    2,
                    r -> { // one good exchange first: sequence numbers 0 and 1 in each direction
                        groups.get(r).allReduce(new float[3], ReduceOp.SUM);
                        return null;
                    });
            groups.get(1).ring().frame(Ring.REDUCE_SCATTER, 0, 1, 0, 3, 0); // rank 1 numbers a message it never sends
            List<Ranks.Outcome<Object>> out = Ranks.attempt(2, r -> {
                groups.get(r).allReduce(new float[3], ReduceOp.SUM);
                return null;
            });
            String a1 = groups.get(0).addresses().get(1);
            String want = "ProcessGroup rank 0 of 2: the message from rank 1 at " + a1
                    + " has sequence number 3, expected 2 (a message was lost or repeated)";
            Throwable e0 = out.get(0).error(), e1 = out.get(1).error();
            assertEquals(want, e0.getMessage());
            assertEquals(
                    "ProcessGroup rank 1 of 2: rank 0 at "
                            + groups.get(0).addresses().get(0) + " aborted the group: " + want,
                    e1.getMessage());
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void differentCollectivesOnTwoRanksAreAnErrorNamingThePeer() {
        List<ProcessGroup> groups = Ranks.connect(2, SHORT, BUCKET);
        try {
            List<Ranks.Outcome<Object>> out = Ranks.attempt(2, r -> {
                if (r == 0) groups.get(r).allReduce(new float[4], ReduceOp.SUM);
                else groups.get(r).allGather(new byte[4]);
                return null;
            });
            List<String> a = groups.get(0).addresses();
            String[] direct = {
                "ProcessGroup rank 0 of 2: rank 1 at " + a.get(1)
                        + " is in all-gather but this rank is in all-reduce (reduce-scatter): "
                        + "every rank must call the same collectives in the same order",
                "ProcessGroup rank 1 of 2: rank 0 at " + a.get(0)
                        + " is in all-reduce (reduce-scatter) but this rank is in all-gather: "
                        + "every rank must call the same collectives in the same order"
            };
            assertDirectOrRelayed(
                    direct, a, List.of(out.get(0).error(), out.get(1).error()));
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void aPeerThatClosesItsConnectionsFailsEveryOtherRankNamingIt() {
        int n = 3;
        List<ProcessGroup> groups = Ranks.connect(n, SHORT, BUCKET);
        try {
            String dead = "rank 2 at " + groups.get(0).addresses().get(2);
            groups.get(2).close(); // as if the process died
            List<Ranks.Outcome<Object>> out = Ranks.attempt(2, r -> {
                groups.get(r).allReduce(values(r, 100), ReduceOp.SUM);
                return null;
            });
            for (int r = 0; r < 2; r++) {
                Throwable e = out.get(r).error();
                assertInstanceOf(DistributedException.class, e);
                assertTrue(
                        e.getMessage().startsWith("ProcessGroup rank " + r + " of 3: ")
                                && e.getMessage().contains(dead),
                        e.getMessage());
                assertTrue(groups.get(r).isBroken());
            }
        } finally {
            Ranks.closeAll(groups);
        }
    }

    /** Small: every send fits the socket buffers. Large: the rank before the stuck one blocks sending to it. */
    @ParameterizedTest
    @ValueSource(ints = {64, 1 << 22})
    void aPeerThatStopsAnsweringFailsEveryOtherRankNamingItWithinTheTimeout(int length) {
        int n = 4;
        List<ProcessGroup> groups = Ranks.connect(n, SHORT, length);
        String stuck = "rank 1 at " + groups.get(0).addresses().get(1);
        CountDownLatch othersDone = new CountDownLatch(n - 1);
        try {
            List<Ranks.Outcome<Object>> out = Ranks.attempt(n, r -> {
                if (r == 1) { // alive, connections open, but never joins the all-reduce
                    othersDone.await();
                    return null;
                }
                try {
                    groups.get(r).allReduce(new float[length], ReduceOp.SUM);
                    return null;
                } finally {
                    othersDone.countDown();
                }
            });
            for (int r : new int[] {0, 2, 3}) {
                Throwable e = out.get(r).error();
                assertInstanceOf(DistributedException.class, e, "rank " + r);
                assertTrue(e.getMessage().contains(stuck), "rank " + r + ": " + e.getMessage());
            }
            // the one that waits on it directly says it timed out
            assertTrue(
                    out.get(2)
                            .error()
                            .getMessage()
                            .startsWith("ProcessGroup rank 2 of 4: timed out after 2000 ms waiting for all-reduce "
                                    + "(reduce-scatter) data from " + stuck),
                    out.get(2).error().getMessage());
        } finally {
            Ranks.closeAll(groups);
        }
    }

    @Test
    void closingTheGroupFailsACollectiveInProgressAtOnce() throws Exception {
        List<ProcessGroup> groups = Ranks.connect(2, Duration.ofSeconds(60), BUCKET);
        try {
            Thread closer = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                groups.get(0).close();
            });
            closer.start();
            DistributedException e =
                    assertThrows(DistributedException.class, () -> groups.get(0).allReduce(new float[5], ReduceOp.SUM));
            assertEquals("ProcessGroup rank 0 of 2: the group was closed during all-reduce", e.getMessage());
            closer.join();
            assertEquals(
                    "ProcessGroup rank 0 of 2: the group is closed",
                    assertThrows(
                                    IllegalStateException.class,
                                    () -> groups.get(0).allReduce(new float[5], ReduceOp.SUM))
                            .getMessage());
        } finally {
            Ranks.closeAll(groups);
        }
    }
}
