package org.grad4j.examples;

import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * Forward + backward time of the convolutions of a small Fashion-MNIST CNN, batch 64:
 * conv 1→32 3×3 on 28×28 (padding 1), and conv 32→64 3×3 on 14×14 (padding 1), plus a 2×2 max pool.
 * Prints the median and minimum of repeated runs after a warm-up (a first indication, not JMH).
 * Run: {@code ./mvnw -q -B package -DskipTests -Prun -Dexample=org.grad4j.examples.ConvBenchmark}.
 */
public final class ConvBenchmark {
    private ConvBenchmark() {}

    public static void main(String[] args) {
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
        for (int i = 0; i < Math.max(5, reps / 3); i++) body.get(); // warm-up: JIT
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("%-62s median %8.2f ms   min %8.2f ms%n", name, ms[reps / 2], ms[0]);
    }
}
