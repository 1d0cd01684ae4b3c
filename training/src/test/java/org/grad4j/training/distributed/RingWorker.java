package org.grad4j.training.distributed;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * One rank in its own JVM, for the multi-process test: binds a free port on
 * loopback and prints {@code PORT p}, reads the comma-separated address list from stdin, forms the
 * group, then follows commands from stdin:
 *
 * <ul>
 *   <li>{@code REDUCE length} all-reduces {@link ProcessGroupTest#values} for its rank and prints
 *       {@code RESULT <sha-256 of the result's bits>}, or {@code ERROR <message>} and exits 3;
 *   <li>{@code EXIT} closes the group and exits 0.
 * </ul>
 *
 * <p>Arguments: {@code rank timeoutMillis}.
 */
public final class RingWorker {
    private RingWorker() {}

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[1]));
        ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        System.out.println("PORT " + ((InetSocketAddress) listener.getLocalAddress()).getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<String> addresses = List.of(in.readLine().trim().split(","));
        try (ProcessGroup group = ProcessGroup.builder(rank, addresses)
                .listener(listener)
                .timeout(timeout)
                .connect()) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] cmd = line.trim().split(" ");
                try {
                    switch (cmd[0]) {
                        case "REDUCE" -> {
                            float[] d = ProcessGroupTest.values(rank, Integer.parseInt(cmd[1]));
                            group.allReduce(d, ReduceOp.SUM);
                            System.out.println("RESULT " + sha256(d));
                        }
                        case "EXIT" -> {
                            return;
                        }
                        default -> throw new IllegalArgumentException("RingWorker: unknown command " + line);
                    }
                } catch (RuntimeException e) {
                    System.out.println("ERROR " + e.getMessage());
                    System.out.flush();
                    System.exit(3);
                }
                System.out.flush();
            }
        }
    }

    /** SHA-256 of the raw float bits, little-endian: equal hashes mean equal bits. */
    static String sha256(float[] v) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putInt(Float.floatToRawIntBits(f));
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }
}
