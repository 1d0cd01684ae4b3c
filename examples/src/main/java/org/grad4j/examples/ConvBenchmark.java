package org.grad4j.examples;

import java.nio.file.Path;
import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
import org.grad4j.training.data.Mnist;

/**
 * Forward + backward time of the convolutions of a small Fashion-MNIST CNN, batch 64:
 * conv 1→32 3×3 on 28×28 (padding 1), and conv 32→64 3×3 on 14×14 (padding 1), plus a 2×2 max pool.
 * Prints the median and minimum of repeated runs after a warm-up (a first indication, not JMH).
 * Run: {@code ./mvnw -q -B package -DskipTests -Prun -Dexample=org.grad4j.examples.ConvBenchmark}.
 *
 * <p>With the argument {@code fmnist [steps]} it trains that CNN (conv 1→16, pool, conv 16→32, pool,
 * linear 1568→10; plain SGD, batch 64) on Fashion-MNIST ({@code FMNIST_DIR}, default Debian's
 * {@code dataset-fashion-mnist} location, or the examples' embedded sample) and prints the time per step and the test accuracy.
 */
public final class ConvBenchmark {
    private ConvBenchmark() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("fmnist")) {
            trainFashionMnist(args.length > 1 ? Integer.parseInt(args[1]) : 938);
            return;
        }
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Generator gen = new Generator(0);
        Tensor x1 = Tensor.randn(gen, 64, 1, 28, 28);
        Tensor w1 = Tensor.randn(gen, 32, 1, 3, 3).mul(0.3f).requiresGrad_();
        Tensor b1 = Tensor.zeros(32).requiresGrad_();
        Tensor x2 = Tensor.randn(gen, 64, 32, 14, 14).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 64, 32, 3, 3).mul(0.05f).requiresGrad_();
        Tensor b2 = Tensor.zeros(64).requiresGrad_();

        report("conv1 1->32 3x3 28x28 b64 forward", reps, () -> F.conv2d(x1, w1, b1, 1, 1));
        report("conv1 1->32 3x3 28x28 b64 forward+backward", reps, () -> {
            F.conv2d(x1, w1, b1, 1, 1).sum().backward();
            w1.setGrad(null);
            b1.setGrad(null);
            return null;
        });
        report("conv2 32->64 3x3 14x14 b64 forward", reps, () -> F.conv2d(x2, w2, b2, 1, 1));
        report("conv2 32->64 3x3 14x14 b64 forward+backward (input grad too)", reps, () -> {
            F.conv2d(x2, w2, b2, 1, 1).sum().backward();
            x2.setGrad(null);
            w2.setGrad(null);
            b2.setGrad(null);
            return null;
        });
        report("maxPool2d 2 on 64x32x14x14 forward+backward", reps, () -> {
            F.maxPool2d(x2.detach().requiresGrad_(), 2).sum().backward();
            return null;
        });
    }

    private static void report(String name, int reps, java.util.function.Supplier<Object> body) {
        for (int i = 0; i < Math.max(5, reps / 3); i++) { // warm-up: JIT
            var _ = body.get();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            var _ = body.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("%-62s median %8.2f ms   min %8.2f ms%n", name, ms[reps / 2], ms[0]);
    }

    // ---- a small CNN on Fashion-MNIST ------------------------------------------------------------

    private static int[] labels(Tensor indices) {
        float[] f = indices.toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (int) f[i];
        return out;
    }

    private static Tensor forward(Tensor[] p, Tensor x) {
        Tensor h = F.maxPool2d(F.relu(F.conv2d(x, p[0], p[1], 1, 1)), 2);
        h = F.maxPool2d(F.relu(F.conv2d(h, p[2], p[3], 1, 1)), 2);
        return Torch.addmm(p[5], h.flatten(1, -1), p[4].t());
    }

    private static Tensor batch(float[] images, int[] order, int from, int n) {
        float[] b = new float[n * 784];
        for (int i = 0; i < n; i++) System.arraycopy(images, order[from + i] * 784, b, i * 784, 784);
        return Tensor.of(b, n, 1, 28, 28);
    }

    private static void trainFashionMnist(int steps) {
        Path dir = Path.of(System.getenv().getOrDefault("FMNIST_DIR", Mnist.FASHION_MNIST_DIR.toString()));
        FashionMnistData.Splits data = FashionMnistData.load(dir, false, System.out);
        float[] xTrain = data.train().tensors().get(0).toFloatArray(),
                xTest = data.test().tensors().get(0).toFloatArray();
        int[] yTrain = labels(data.train().tensors().get(1)),
                yTest = labels(data.test().tensors().get(1));
        Generator gen = new Generator(0);
        Tensor[] p = {
            Tensor.randn(gen, 16, 1, 3, 3).mul((float) Math.sqrt(2 / 9.0)), Tensor.zeros(16),
            Tensor.randn(gen, 32, 16, 3, 3).mul((float) Math.sqrt(2 / 144.0)), Tensor.zeros(32),
            Tensor.randn(gen, 10, 1568).mul((float) Math.sqrt(1 / 1568.0)), Tensor.zeros(10)
        };
        for (Tensor t : p) t.requiresGrad_();
        int n = yTrain.length, bs = 64;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = gen.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        float lr = 0.05f;
        double lossSum = 0;
        long t0 = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            int from = (step * bs) % (n - bs);
            Tensor x = batch(xTrain, order, from, bs);
            int[] y = new int[bs];
            for (int i = 0; i < bs; i++) y[i] = yTrain[order[from + i]];
            Tensor loss = F.crossEntropy(forward(p, x), Tensor.indices(y));
            loss.backward();
            try (var s = Torch.noGrad()) {
                for (Tensor t : p) {
                    t.sub_(t.grad().mul(lr));
                    t.setGrad(null);
                }
            }
            lossSum += loss.item();
            if ((step + 1) % 100 == 0) {
                System.out.printf(
                        "step %4d  loss (last 100) %.4f  %.1f ms/step%n",
                        step + 1, lossSum / 100, (System.nanoTime() - t0) / 1e6 / (step + 1));
                lossSum = 0;
            }
        }
        double trainS = (System.nanoTime() - t0) / 1e9;
        int correct = 0;
        int[] all = new int[yTest.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
        try (var s = Torch.noGrad()) {
            for (int from = 0; from < yTest.length; from += 500) {
                int m = Math.min(500, yTest.length - from);
                float[] pred = forward(p, batch(xTest, all, from, m)).argmax(1).toFloatArray();
                for (int i = 0; i < m; i++) if ((int) pred[i] == yTest[from + i]) correct++;
            }
        }
        System.out.printf(
                "trained %d steps of batch %d in %.1f s (%.1f ms/step); test accuracy %.4f%n",
                steps, bs, trainS, trainS * 1e3 / steps, correct / (double) yTest.length);
    }
}
