package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.grad4j.core.Device;
import org.grad4j.training.data.Mnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples on the TornadoVM device give what they give on the JVM backend. */
class ExamplesOnTornadoTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    private static <T> T on(Device d, Supplier<T> body) {
        Device saved = Device.getDefault();
        Device.setDefault(d);
        try {
            return body.get();
        } finally {
            Device.setDefault(saved);
        }
    }

    @Test
    void regressionExamplesFitTheSameLine() {
        for (long seed : new long[] {0, 3}) {
            float[] cpu = on(Device.cpu(), () -> Regression.fit(seed, 800, QUIET));
            float[] tvm = on(Device.tornado(), () -> Regression.fit(seed, 800, QUIET));
            assertEquals(cpu[0], tvm[0], 1e-4f * Math.abs(cpu[0]), "w, seed " + seed);
            assertEquals(cpu[1], tvm[1], 1e-4f * Math.abs(cpu[1]), "b, seed " + seed);
            float[] sgdCpu = on(Device.cpu(), () -> SgdRegression.fit(seed, 800, QUIET));
            float[] sgdTvm = on(Device.tornado(), () -> SgdRegression.fit(seed, 800, QUIET));
            for (int i = 0; i < sgdCpu.length; i++) {
                assertEquals(
                        sgdCpu[i],
                        sgdTvm[i],
                        1e-4f * Math.max(1, Math.abs(sgdCpu[i])),
                        "SgdRegression[" + i + "], seed " + seed);
            }
        }
    }

    /** The CNN (conv, max-pool, their backward kernels) trains on the device like on the JVM backend. */
    @Test
    void fashionMnistCnnOnASubsetTracksTheJvmBackend(@TempDir Path out) {
        assumeTrue(
                Files.isDirectory(Mnist.FASHION_MNIST_DIR),
                "Fashion-MNIST not installed: " + Mnist.FASHION_MNIST_INSTALL);
        String[] common = {
            "--model", "cnn", "--train-limit", "1024", "--test-limit", "500", "--no-progress", "--workers", "1"
        };
        FashionMnist.Result cpu = FashionMnist.run(
                FashionMnist.Options.parse(
                        concat(common, "--out", out.resolve("cpu").toString())),
                QUIET);
        org.grad4j.kernels.tornado.TornadoBackend backend = org.grad4j.kernels.tornado.TornadoBackend.instance();
        long readsBefore = backend.stats().reads();
        FashionMnist.Result tvm = FashionMnist.run(
                FashionMnist.Options.parse(
                        concat(common, "--out", out.resolve("tvm").toString(), "--device", "tornado")),
                QUIET);
        // 16 steps read their loss; the one test batch its loss and its count of correct answers;
        // the checkpoint reads the 8 parameters (2 conv and 2 linear layers: weight and bias) and
        // Adam's two moments of each
        assertEquals(16 + 2 + 8 + 16, backend.stats().reads() - readsBefore, "device-to-host transfers");
        assertEquals(
                cpu.epochs().getLast().loss(),
                tvm.epochs().getLast().loss(),
                0.02 * cpu.epochs().getLast().loss());
        assertEquals(cpu.testAccuracy(), tvm.testAccuracy(), 0.02);
        assertTrue(tvm.testAccuracy() > 0.5, "accuracy " + tvm.testAccuracy());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
