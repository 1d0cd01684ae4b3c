package org.grad4j.training.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Ranks in separate JVMs (this one is rank 0), forming a group with no launcher but the address list. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MultiProcessTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10), WAIT = Duration.ofSeconds(30);

    @Test
    void threeJvmsAllReduceToTheSameBitsAndAKilledOneIsNamedByTheOthers(@TempDir Path dir) throws Exception {
        int len = 10_007;
        try (WorkerProcess w1 = new WorkerProcess(1, TIMEOUT, dir);
                WorkerProcess w2 = new WorkerProcess(2, TIMEOUT, dir);
                ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            String self = "127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort();
            List<String> addresses = List.of(self, w1.address(), w2.address());
            w1.send(String.join(",", addresses));
            w2.send(String.join(",", addresses));
            try (ProcessGroup group = ProcessGroup.builder(0, addresses)
                    .listener(listener)
                    .timeout(TIMEOUT)
                    .connect()) {
                w1.send("REDUCE " + len);
                w2.send("REDUCE " + len);
                float[] d = ProcessGroupTest.values(0, len);
                group.allReduce(d, ReduceOp.SUM);
                float[][] x = {
                    ProcessGroupTest.values(0, len), ProcessGroupTest.values(1, len), ProcessGroupTest.values(2, len)
                };
                assertArrayEquals(
                        ProcessGroupTest.bits(ProcessGroupTest.ringOrderSum(x, ProcessGroup.DEFAULT_BUCKET_SIZE)),
                        ProcessGroupTest.bits(d));
                String mine = "RESULT " + RingWorker.sha256(d);
                assertEquals(mine, w1.next(WAIT), w1.errors());
                assertEquals(mine, w2.next(WAIT), w2.errors());

                w2.process.destroyForcibly(); // rank 2 dies
                w2.process.waitFor();
                w1.send("REDUCE " + len);
                String dead = "rank 2 at " + w2.address();
                DistributedException e =
                        assertThrows(DistributedException.class, () -> group.allReduce(new float[len], ReduceOp.SUM));
                assertTrue(
                        e.getMessage().startsWith("ProcessGroup rank 0 of 3: ")
                                && e.getMessage().contains(dead),
                        e.getMessage());
                String line = w1.next(WAIT);
                assertTrue(line.startsWith("ERROR ProcessGroup rank 1 of 3: ") && line.contains(dead), line);
                assertTrue(w1.process.waitFor(30, TimeUnit.SECONDS));
                assertEquals(3, w1.process.exitValue());
            }
        }
    }
}
