package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.spark.SparkTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed example end to end on the synthetic Fashion-MNIST layout of {@link FashionMnistTest},
 * on Spark's local mode (two worker threads in this JVM: the multi-JVM runs are training's SparkTrainerTest).
 */
class DistributedFashionMnistTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void trainsOnTwoWorkersAndEndsWithTheTestAccuracy() throws IOException {
        FashionMnistTest.writeSplit(dir, "train", 512, 1);
        FashionMnistTest.writeSplit(dir, "t10k", 200, 2);
        Path out = dir.resolve("out");
        Files.createDirectories(out.resolve("checkpoints"));
        Files.writeString(
                out.resolve("checkpoints").resolve("step-000000001.safetensors"),
                "a previous run's: cleared unless --resume");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        SparkTrainer.Result r = DistributedFashionMnist.run(
                DistributedFashionMnist.Options.parse(
                        "--master",
                        "local[2]",
                        "--workers",
                        "2",
                        "--data",
                        dir.toString(),
                        "--out",
                        out.toString(),
                        "--epochs",
                        "2",
                        "--batch-size",
                        "16",
                        "--lr",
                        "3e-3",
                        "--checkpoint-every",
                        "10",
                        "--no-progress"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("512 training and 200 test images"), text);
        assertTrue(text.contains("2 workers x batch 16 = global batch 32; 16 steps per epoch, 2 epoch(s)"), text);
        assertTrue(text.contains("[attempt 0] 2 workers formed their ring in "), text);
        assertTrue(text.contains("epoch 2/2, step 16/16: loss "), text);
        assertTrue(text.contains("epoch 2/2: train loss "), text);
        assertEquals(32, r.steps().size());
        String last = text.lines()
                .filter(l -> l.startsWith("Final test accuracy: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(text));
        double accuracy = Double.parseDouble(
                last.substring("Final test accuracy: ".length()).split(" ")[0]);
        assertTrue(accuracy > 0.9, "the bands are easy to tell apart: " + last);
        // the weights on disk are the trained ones
        Sequential reloaded = FashionMnist.mlp(42);
        Checkpoint.loadModel(out.resolve("fashion-mnist-mlp-distributed.safetensors"), reloaded);
        assertArrayEquals(
                r.stateDict().get("5.bias").toFloatArray(),
                reloaded.stateDict().get("5.bias").toFloatArray());
        byte[] png = Files.readAllBytes(out.resolve("fashion-mnist-mlp-distributed.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        assertFalse(
                Files.exists(out.resolve("checkpoints").resolve("step-000000001.safetensors")),
                "the old run's checkpoints were cleared");
        assertTrue(
                Files.exists(out.resolve("checkpoints").resolve("step-000000032.safetensors")), "the final checkpoint");
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals(
                "--workers 0: expected at least 1",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> DistributedFashionMnist.Options.parse("--workers", "0"))
                        .getMessage());
        assertEquals(
                "Invalid value for option '--batch-size': 'x' is not an int",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> DistributedFashionMnist.Options.parse("--batch-size", "x"))
                        .getMessage());
        assertEquals(
                "Missing required parameter for option '--master' (URL)",
                assertThrows(IllegalArgumentException.class, () -> DistributedFashionMnist.Options.parse("--master"))
                        .getMessage());
        assertEquals(
                "Unknown options: '--model', 'cnn'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> DistributedFashionMnist.Options.parse("--model", "cnn"))
                        .getMessage());
        DistributedFashionMnist.Options o = DistributedFashionMnist.Options.parse("--out", "x");
        assertEquals(Path.of("x", "checkpoints"), o.checkpointDir());
        assertEquals(2, o.workers());
    }

    @Test
    void everyDefaultAndFlag() {
        Path out = Path.of("target", "distributed-fashion-mnist");
        assertEquals(
                new DistributedFashionMnist.Options(
                        2,
                        null,
                        1024,
                        1,
                        64,
                        1e-3,
                        0,
                        Integer.MAX_VALUE,
                        Integer.MAX_VALUE,
                        Mnist.FASHION_MNIST_DIR,
                        true,
                        out,
                        out.resolve("checkpoints"),
                        100,
                        false,
                        60,
                        true),
                DistributedFashionMnist.Options.parse());
        DistributedFashionMnist.Options o = DistributedFashionMnist.Options.parse(
                "--no-install", "--resume", "--no-progress", "--checkpoint-dir", "shared/ckpt");
        assertFalse(o.install());
        assertTrue(o.resume());
        assertFalse(o.progress());
        assertEquals(Path.of("shared", "ckpt"), o.checkpointDir());
    }

    @Test
    void usageListsEveryOptionWithItsDefault() {
        String usage = Cli.usage(new DistributedFashionMnist.Options.Args());
        for (String option : List.of(
                "--workers=N",
                "--master=URL",
                "--executor-memory=M",
                "--epochs=N",
                "--batch-size=N",
                "--lr=X",
                "--seed=N",
                "--train-limit=N",
                "--test-limit=N",
                "--data=DIR",
                "--no-install",
                "--out=DIR",
                "--checkpoint-dir=D",
                "--checkpoint-every=K",
                "--resume",
                "--timeout=S",
                "--no-progress",
                "-h, --help")) assertTrue(usage.contains(option), option + " is missing from\n" + usage);
        assertTrue(
                usage.matches("(?s).*--executor-memory=M\\s+local-cluster executor heap in MB \\(default 1024\\)\n.*"),
                usage);
        assertEquals(
                "-h/--help asks for the usage, not a run",
                assertThrows(IllegalArgumentException.class, () -> DistributedFashionMnist.Options.parse("-h"))
                        .getMessage());
    }
}
