package org.grad4j.examples.bench;

import java.util.Arrays;
import org.grad4j.core.Device;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.optim.SGD;

/**
 * The same small workloads on each device given (default: cpu, and tornado when its backend is
 * available), printed as {@code name value unit} lines: per-op overhead, matmul, a 1M-element
 * elementwise forward+backward and the MLP training step of {@link Workloads}. Timings are the
 * minimum over a few repetitions after a warm-up (which, on TornadoVM, includes its JIT compile).
 *
 * <pre>./mvnw -q -B package -DskipTests -Prun -Dexample=org.grad4j.examples.bench.DeviceComparison</pre>
 */
public final class DeviceComparison {
    private DeviceComparison() {}

    public static void main(String[] args) {
        String[] devices = args.length > 0
                ? args
                : Device.isAvailable("tornado") ? new String[] {"cpu", "tornado"} : new String[] {"cpu"};
        for (String d : devices) {
            Device device = Device.of(d);
            Device saved = Device.getDefault();
            Device.setDefault(device);
            try {
                run(device.type());
            } finally {
                Device.setDefault(saved);
            }
        }
    }

    private static void run(String dev) {
        Tensor small = Tensor.ones(16);
        emit(dev + ".op_overhead_us", min(5, 2000, () -> small.tanh()) * 1e6, "us");
        for (int n : new int[] {256, 1024}) {
            Tensor a = Tensor.rand(new Generator(1), n, n), b = Tensor.rand(new Generator(2), n, n);
            int reps = n <= 256 ? 10 : 2;
            double s = min(3, reps, () -> a.matmul(b).sum().item());
            emit(dev + ".matmul.n" + n + ".gflops", 2.0 * n * n * n / s / 1e9, "GFLOP/s");
        }
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(g, 1 << 20).requiresGrad_(),
                w = Tensor.randn(g, 1 << 20).requiresGrad_(),
                bias = Tensor.randn(g, 1 << 20).requiresGrad_();
        emit(
                dev + ".elementwise.n1M.fwd_bwd_ms",
                min(3, 5, () -> {
                            x.mul(w).add(bias).tanh().sum().backward();
                            x.grad().sum().item();
                        })
                        * 1e3,
                "ms");
        for (int bs : new int[] {64, 256}) {
            Generator gen = new Generator(0);
            Workloads.Mlp net = new Workloads.Mlp(gen);
            SGD opt = new SGD(net.parameters(), 0.01f);
            Tensor in = Tensor.randn(gen, bs, 784);
            int[] labels = new int[bs];
            for (int i = 0; i < bs; i++) labels[i] = gen.nextInt(10);
            Tensor y = Tensor.indices(labels);
            emit(
                    dev + ".mlp.b" + bs + ".ms_per_step",
                    min(3, 5, () -> {
                                Tensor loss = F.crossEntropy(net.forward(in), y);
                                loss.backward();
                                opt.step();
                                opt.zeroGrad();
                                loss.item();
                            })
                            * 1e3,
                    "ms");
        }
    }

    /** Seconds per call: the minimum over {@code rounds} rounds of {@code reps} calls, after three warm-up rounds. */
    private static double min(int rounds, int reps, Runnable body) {
        double[] t = new double[rounds];
        for (int r = -3; r < rounds; r++) { // three warm-up rounds: JIT (and, on TornadoVM, kernel compiles)
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) body.run();
            if (r >= 0) t[r] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        return Arrays.stream(t).min().orElseThrow();
    }

    private static void emit(String name, double value, String unit) {
        System.out.printf("device.%s %.4g %s%n", name, value, unit);
    }
}
