package org.grad4j.examples.bench;

import static org.grad4j.examples.bench.Workloads.bench;
import static org.grad4j.examples.bench.Workloads.emit;
import static org.grad4j.examples.bench.Workloads.emitRate;
import static org.grad4j.examples.bench.Workloads.emitTimes;
import static org.grad4j.examples.bench.Workloads.threadSettings;

import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
import org.grad4j.kernels.Parallel;

/**
 * The {@code attention} workload: scaled_dot_product_attention at B=4, H=4, head dim 64 and T = 64,
 * 256, 1024, forward (no grad) and forward+backward (of {@code (out * g).sum()}), plain and causal,
 * as time and tokens (B·T) per second; next to it the two products attention is made of
 * ({@code q @ kᵀ} and {@code s @ v}, the project's matmul, same shapes), the speed the blocked kernel
 * aims at. The same names as the torchref scratch copy's {@code attention} workload.
 */
final class AttentionWorkload {
    private AttentionWorkload() {}

    static final int B = 4, H = 4, E = 64;

    static void run() {
        warmUp();
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            for (int t : new int[] {64, 256, 1024}) {
                Generator gen = new Generator(t);
                Tensor q = Tensor.randn(gen, B, H, t, E), k = Tensor.randn(gen, B, H, t, E);
                Tensor v = Tensor.randn(gen, B, H, t, E), g = Tensor.randn(gen, B, H, t, E);
                Tensor qg = q.clone().requiresGrad_(),
                        kg = k.clone().requiresGrad_(),
                        vg = v.clone().requiresGrad_();
                String key = "sdpa.T" + t + ".t" + threads;
                double tokens = (double) B * t;
                double[] products;
                double[] fwd;
                double[] fwdCausal;
                try (var s = GradMode.noGrad()) {
                    products = bench(3, 7, 0.2, () -> Torch.matmul(Torch.matmul(q, k.transpose(-2, -1)), v));
                    fwd = bench(3, 7, 0.2, () -> F.scaledDotProductAttention(q, k, v));
                    fwdCausal = bench(3, 7, 0.2, () -> F.scaledDotProductAttention(q, k, v, null, 0, true, null, null));
                }
                double[] fb = bench(3, 7, 0.3, () -> step(qg, kg, vg, g, false));
                double[] fbCausal = bench(3, 7, 0.3, () -> step(qg, kg, vg, g, true));
                emitTimes(key + ".two_matmuls_ms", products, 1e3, "ms");
                emitTimes(key + ".fwd_ms", fwd, 1e3, "ms");
                emitRate(key + ".fwd_tokens_per_s", fwd, tokens, "tokens/s");
                emitTimes(key + ".fwd_causal_ms", fwdCausal, 1e3, "ms");
                emitTimes(key + ".fwd_bwd_ms", fb, 1e3, "ms");
                emitRate(key + ".fwd_bwd_tokens_per_s", fb, tokens, "tokens/s");
                emitTimes(key + ".fwd_bwd_causal_ms", fbCausal, 1e3, "ms");
                emit(key + ".fwd_over_two_matmuls", Workloads.min(fwd) / Workloads.min(products), "ratio");
            }
        }
        Parallel.setNumThreads(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Runs every variant on small shapes until the JIT has compiled the kernels: the Vector API runs
     * hundreds of times slower before C2 compiles it, and on a busy machine that takes seconds, longer
     * than one setting's warm-up (the first setting measured then showed the interpreter).
     */
    private static void warmUp() {
        Generator gen = new Generator(0);
        Tensor q = Tensor.randn(gen, 2, 2, 128, E).requiresGrad_(), k = Tensor.randn(gen, 2, 2, 128, E);
        Tensor v = Tensor.randn(gen, 2, 2, 128, E).requiresGrad_(), g = Tensor.randn(gen, 2, 2, 128, E);
        k.requiresGrad_();
        long start = System.nanoTime();
        while (System.nanoTime() - start < 3 * Workloads.WARMUP_NANOS) {
            step(q, k, v, g, false);
            step(q, k, v, g, true);
            try (var s = GradMode.noGrad()) {
                Torch.matmul(Torch.matmul(q, k.transpose(-2, -1)), v);
            }
        }
    }

    private static void step(Tensor q, Tensor k, Tensor v, Tensor g, boolean causal) {
        F.scaledDotProductAttention(q, k, v, null, 0, causal, null, null)
                .mul(g)
                .sum()
                .backward();
        try (var s = GradMode.noGrad()) {
            q.grad().zero_();
            k.grad().zero_();
            v.grad().zero_();
        }
    }
}
