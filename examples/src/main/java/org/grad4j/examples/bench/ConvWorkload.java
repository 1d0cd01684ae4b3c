package org.grad4j.examples.bench;

import static org.grad4j.examples.bench.Workloads.bench;
import static org.grad4j.examples.bench.Workloads.emitTimes;
import static org.grad4j.examples.bench.Workloads.threadSettings;

import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.Parallel;

/**
 * The {@code conv} workload: the two convolutions of the Fashion-MNIST CNN at batch 64 (3×3,
 * padding 1): 1→32 on 28×28 (the first layer: no input gradient) and 32→64 on 14×14 (input gradient
 * too), forward (no grad) and forward+backward ({@code out.backward(g)} with a random g, as the next
 * layer would send), and the 2×2 max-pool after them. The same names as the torchref scratch copy's
 * {@code conv} workload.
 */
final class ConvWorkload {
    private ConvWorkload() {}

    /** in channels, out channels, side; the input gradient is asked for when the layer is not the first. */
    private record Layer(String name, int in, int out, int side, boolean inputGrad) {}

    private static final Layer[] LAYERS = {
        new Layer("c1_32_28", 1, 32, 28, false), new Layer("c32_64_14", 32, 64, 14, true)
    };
    static final int BATCH = 64;

    static void run() {
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            for (Layer layer : LAYERS) {
                Generator gen = new Generator(layer.in());
                Tensor x = Tensor.randn(gen, BATCH, layer.in(), layer.side(), layer.side());
                Tensor w = Tensor.randn(gen, layer.out(), layer.in(), 3, 3).mul(0.1f);
                Tensor b = Tensor.randn(gen, layer.out());
                Tensor g = Tensor.randn(gen, BATCH, layer.out(), layer.side(), layer.side());
                Tensor xg = layer.inputGrad() ? x.clone().requiresGrad_() : x;
                Tensor wg = w.clone().requiresGrad_(), bg = b.clone().requiresGrad_();
                double[] fwd;
                try (var s = GradMode.noGrad()) {
                    fwd = bench(5, 9, 0.2, () -> F.conv2d(x, w, b, 1, 1));
                }
                double[] fb = bench(5, 9, 0.3, () -> {
                    F.conv2d(xg, wg, bg, 1, 1).backward(g);
                    xg.setGrad(null);
                    wg.setGrad(null);
                    bg.setGrad(null);
                });
                String key = "conv." + layer.name() + ".b" + BATCH + ".t" + threads;
                emitTimes(key + ".fwd_ms", fwd, 1e3, "ms");
                emitTimes(key + ".fwd_bwd_ms", fb, 1e3, "ms");
            }
            Generator gen = new Generator(2);
            Tensor p = Tensor.randn(gen, BATCH, 32, 28, 28).requiresGrad_();
            Tensor pg = Tensor.randn(gen, BATCH, 32, 14, 14);
            double[] pool = bench(5, 9, 0.2, () -> {
                F.maxPool2d(p, 2).backward(pg);
                p.setGrad(null);
            });
            emitTimes("conv.maxpool2_32_28.b" + BATCH + ".t" + threads + ".fwd_bwd_ms", pool, 1e3, "ms");
        }
        Parallel.setNumThreads(Runtime.getRuntime().availableProcessors());
    }
}
