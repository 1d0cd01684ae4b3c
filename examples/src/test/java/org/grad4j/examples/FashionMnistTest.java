package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.DataFileException;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example end to end on a small synthetic dataset in the Fashion-MNIST layout (the real one is not needed). */
class FashionMnistTest {
    @TempDir
    Path dir;

    /** Class c is a bright band of rows 2c+4 .. 2c+5 over noise. */
    private void writeSplit(String prefix, int n, long seed) throws IOException {
        writeSplit(dir, prefix, n, seed);
    }

    static void writeSplit(Path dir, String prefix, int n, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer images = ByteBuffer.allocate(16 + n * 784)
                .putInt(0x00000803)
                .putInt(n)
                .putInt(28)
                .putInt(28);
        ByteBuffer labels = ByteBuffer.allocate(8 + n).putInt(0x00000801).putInt(n);
        for (int i = 0; i < n; i++) {
            int c = rnd.nextInt(10);
            labels.put((byte) c);
            for (int r = 0; r < 28; r++) {
                for (int col = 0; col < 28; col++) {
                    boolean band = r == 2 * c + 4 || r == 2 * c + 5;
                    images.put((byte) (band ? 180 + rnd.nextInt(76) : rnd.nextInt(90)));
                }
            }
        }
        gzip(dir.resolve(prefix + "-images-idx3-ubyte.gz"), images.array());
        gzip(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), labels.array());
    }

    private static void gzip(Path file, byte[] content) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content);
        }
    }

    @Test
    void trainsReportsAccuracyWritesAChartAndACheckpoint() throws IOException {
        writeSplit("train", 512, 1);
        writeSplit("t10k", 200, 2);
        Path out = dir.resolve("out");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        FashionMnist.Result r = FashionMnist.run(
                FashionMnist.Options.parse(
                        "--data",
                        dir.toString(),
                        "--out",
                        out.toString(),
                        "--epochs",
                        "2",
                        "--batch-size",
                        "32",
                        "--lr",
                        "3e-3",
                        "--workers",
                        "2"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("512 training and 200 test images"), text);
        assertTrue(text.contains("epoch 2/2: train loss"), text);
        assertTrue(text.contains("Final test accuracy: "), text);
        assertEquals(2, r.epochs().size());
        assertEquals(200, r.epochs().getLast().samples());
        assertTrue(r.testAccuracy() > 0.9, "the bands are easy to tell apart: accuracy " + r.testAccuracy());
        byte[] png = Files.readAllBytes(r.chart());
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        // the checkpoint holds the trained weights
        Sequential reloaded = FashionMnist.mlp(123);
        assertEquals("1", Checkpoint.loadModel(r.checkpoint(), reloaded).get("epoch"));
        assertEquals(
                r.testAccuracy(),
                Double.parseDouble(
                        Checkpoint.loadModel(r.checkpoint(), reloaded).get("test_accuracy")));
    }

    @Test
    void theCnnTrainsToo() throws IOException {
        writeSplit("train", 256, 3);
        writeSplit("t10k", 100, 4);
        FashionMnist.Result r = FashionMnist.run(
                FashionMnist.Options.parse(
                        "--data",
                        dir.toString(),
                        "--out",
                        dir.resolve("cnn").toString(),
                        "--model",
                        "cnn",
                        "--epochs",
                        "2",
                        "--batch-size",
                        "32",
                        "--lr",
                        "3e-3",
                        "--no-progress"),
                new PrintStream(OutputStream.nullOutputStream()));
        assertTrue(r.testAccuracy() > 0.9, "accuracy " + r.testAccuracy());
        assertTrue(r.checkpoint().getFileName().toString().equals("fashion-mnist-cnn.safetensors"));
        assertEquals(
                "1", Checkpoint.loadModel(r.checkpoint(), FashionMnist.cnn(5)).get("epoch"));
    }

    @Test
    void anEmptyDirectoryTrainsOnTheEmbeddedSampleAndSaysHowToGetTheFullSet() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        FashionMnist.Result r = FashionMnist.run(
                FashionMnist.Options.parse(
                        "--data", empty.toString(), "--out", dir.resolve("out").toString(), "--no-progress"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(
                text.contains("Fashion-MNIST is not in " + empty + ": training on the sample embedded in the examples"),
                text);
        assertTrue(text.contains("for the full set: sudo apt-get install dataset-fashion-mnist, or --data DIR"), text);
        assertTrue(text.contains("the embedded Fashion-MNIST sample: 4000 training and 1000 test images"), text);
        assertFalse(text.contains("installing"), "only Debian's own directory is installed into: " + text);
        assertEquals(1000, r.epochs().getLast().samples());
        // one epoch of 63 steps on real images: far above chance (0.1), below the full set's 0.85
        assertTrue(r.testAccuracy() > 0.6, "accuracy " + r.testAccuracy());
        assertTrue(Files.exists(r.checkpoint()));
    }

    @Test
    void theEmbeddedSampleIsRealFashionMnist() {
        FashionMnistData.Splits s =
                FashionMnistData.load(dir.resolve("missing"), false, new PrintStream(OutputStream.nullOutputStream()));
        assertTrue(s.embedded());
        Tensor images = s.train().tensors().get(0), labels = s.train().tensors().get(1);
        assertArrayEquals(new int[] {4000, 1, 28, 28}, images.shape());
        assertArrayEquals(new int[] {1000, 1, 28, 28}, s.test().tensors().get(0).shape());
        assertEquals(0f, images.min().item());
        assertEquals(1f, images.max().item());
        // every class is there, about 400 of each
        for (int c = 0; c < 10; c++) {
            float n = labels.eq(c).sum().item();
            assertTrue(n > 300 && n < 500, "class " + c + ": " + n);
        }
        // the first training image of Fashion-MNIST is an ankle boot (class 9)
        assertEquals(9f, labels.get(0).item());
    }

    @Test
    void anIncompleteDatasetIsAnErrorNotAFallback() throws IOException {
        writeSplit("train", 64, 5);
        DataFileException e = assertThrows(
                DataFileException.class,
                () -> FashionMnist.run(
                        FashionMnist.Options.parse("--data", dir.toString(), "--no-progress"),
                        new PrintStream(OutputStream.nullOutputStream())));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals(
                "Unknown options: '--epoch', '3'",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse("--epoch", "3"))
                        .getMessage());
        assertEquals(
                "Invalid value for option '--lr': 'fast' is not a double",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse("--lr", "fast"))
                        .getMessage());
        assertEquals(
                "Missing required parameter for option '--epochs' (N)",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse("--epochs"))
                        .getMessage());
        assertEquals(
                "--model resnet: expected mlp or cnn",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse("--model", "resnet"))
                        .getMessage());
        FashionMnist.Options o = FashionMnist.Options.parse();
        assertEquals(1, o.epochs());
        assertEquals(64, o.batchSize());
        assertEquals(1e-3, o.lr());
    }

    @Test
    void everyDefaultAndFlag() {
        assertEquals(
                new FashionMnist.Options(
                        1,
                        64,
                        1e-3,
                        0,
                        2,
                        Integer.MAX_VALUE,
                        Integer.MAX_VALUE,
                        Mnist.FASHION_MNIST_DIR,
                        Path.of("target", "fashion-mnist"),
                        "mlp",
                        true,
                        true,
                        "cpu",
                        true),
                FashionMnist.Options.parse());
        FashionMnist.Options o = FashionMnist.Options.parse("--no-install", "--no-normalize", "--no-progress");
        assertFalse(o.install());
        assertFalse(o.normalize());
        assertFalse(o.progress());
    }

    @Test
    void usageListsEveryOptionWithItsDefault() {
        String usage = Cli.usage(new FashionMnist.Options.Args());
        for (String option : List.of(
                "--epochs=N",
                "--batch-size=N",
                "--lr=X",
                "--seed=N",
                "--workers=N",
                "--train-limit=N",
                "--test-limit=N",
                "--data=DIR",
                "--no-install",
                "--out=DIR",
                "--model=mlp|cnn",
                "--no-normalize",
                "--device=D",
                "--no-progress",
                "-h, --help")) assertTrue(usage.contains(option), option + " is missing from\n" + usage);
        assertTrue(usage.matches("(?s).*--epochs=N\\s+epochs to train \\(default 1\\)\n.*"), usage);
        assertTrue(usage.contains("(default " + Path.of("target", "fashion-mnist") + ")"), usage);
        assertEquals(
                "-h/--help asks for the usage, not a run",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse("--epochs", "2", "-h"))
                        .getMessage());
    }
}
