package org.grad4j.examples.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
import org.grad4j.examples.CharGpt;
import org.grad4j.examples.LocalSpark;
import org.grad4j.kernels.Parallel;
import org.grad4j.training.optim.SGD;

/**
 * The end-to-end workloads of shared/bench/torchref, measured the same way (warm-up, then timed
 * windows; min and median) and printed in the same {@code name value unit} lines, so the two
 * outputs can be put side by side. Usage: {@code Workloads [seed,matmul,mlp,elementwise|all]}; by name only:
 * {@code chargpt} (the CharGpt example's training step), {@code attention} ({@link AttentionWorkload}), {@code conv} ({@link ConvWorkload}); the
 * distributed ones ({@link DistributedWorkloads}) by name: {@code allreduce,ddp,rendezvous}, or
 * {@code distributed} for the three.
 */
public final class Workloads {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    public static void main(String[] args) {
        Set<String> todo = new LinkedHashSet<>();
        for (String a : args) for (String s : a.split("[,\\s]+")) if (!s.isBlank()) todo.add(s.trim());
        if (todo.isEmpty() || todo.remove("all")) todo.addAll(List.of("seed", "matmul", "mlp", "elementwise"));
        if (todo.remove("distributed")) todo.addAll(List.of("allreduce", "ddp", "rendezvous"));
        // Spark's local-cluster needs SPARK_HOME and module openings: this JVM may run again with them
        if (todo.contains("rendezvous"))
            LocalSpark.ensureDriverSetup(Workloads.class, args, Path.of("target", "spark-home"));
        emit("env.java_version", System.getProperty("java.version"), "-");
        for (String[] l : BenchEnv.lines()) emit(l[0], l[1], l[2]);
        emit("env.threads_default", CORES, "threads");
        emit("env.simd", org.grad4j.kernels.jvm.Simd.AVAILABLE ? 1 : 0, "bool");
        emit("env.loadavg_start", loadavg(), "load1m");
        for (String w : todo) {
            switch (w) {
                case "seed" -> seed();
                case "matmul" -> matmul();
                case "mlp" -> mlp();
                case "elementwise" -> elementwise();
                case "chargpt" -> charGpt();
                case "attention" -> AttentionWorkload.run();
                case "conv" -> ConvWorkload.run();
                case "allreduce" -> DistributedWorkloads.allReduce();
                case "ddp" -> DistributedWorkloads.ddp();
                case "rendezvous" -> DistributedWorkloads.rendezvous();
                default ->
                    throw new IllegalArgumentException(
                            "unknown workload: " + w
                                    + " (seed, matmul, mlp, elementwise, all; chargpt, attention, conv; allreduce, ddp, rendezvous, distributed)");
            }
        }
        emit("env.loadavg_end", loadavg(), "load1m");
    }

    // ---- output and timing, as torchref does it -------------------------------------------------

    static void emit(String name, Object value, String unit) {
        String v = value instanceof Double d ? fmt(d) : String.valueOf(value);
        System.out.println(name + " " + v.replace(' ', '_') + " " + unit);
    }

    static String fmt(double d) {
        return Math.abs(d) >= 1e5 || d == Math.rint(d)
                ? String.format(Locale.ROOT, "%.1f", d)
                : String.format(Locale.ROOT, "%.5g", d);
    }

    static double min(double[] s) {
        return Arrays.stream(s).min().orElse(Double.NaN);
    }

    static double median(double[] s) {
        double[] c = s.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : 0.5 * (c[c.length / 2 - 1] + c[c.length / 2]);
    }

    static void emitTimes(String name, double[] secs, double scale, String unit) {
        emit(name + ".min", min(secs) * scale, unit);
        emit(name + ".median", median(secs) * scale, unit);
    }

    static void emitRate(String name, double[] secs, double work, String unit) {
        emit(name + ".best", work / min(secs), unit);
        emit(name + ".median", work / median(secs), unit);
    }

    /** Every setting runs at least this long before it is measured: the JIT's C2 tier (which on 2 busy cores takes seconds). */
    static final long WARMUP_NANOS = Long.getLong("bench.warmupMillis", 2000) * 1_000_000L;

    /** Warm-up, then {@code samples} windows of k iterations (k chosen so a window lasts ~targetSec). */
    static double[] bench(int warmup, int samples, double targetSec, Runnable body) {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - start < WARMUP_NANOS; i++) body.run();
        long t0 = System.nanoTime();
        body.run();
        double one = Math.max((System.nanoTime() - t0) / 1e9, 1e-7);
        int k = (int) Math.max(1, Math.min(100_000, Math.round(targetSec / one)));
        double[] s = new double[samples];
        for (int r = 0; r < samples; r++) {
            t0 = System.nanoTime();
            for (int i = 0; i < k; i++) body.run();
            s[r] = (System.nanoTime() - t0) / 1e9 / k;
        }
        return s;
    }

    static int[] threadSettings() {
        return CORES == 1 ? new int[] {1} : new int[] {CORES, 1};
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "NaN";
        }
    }

    // ---- 1. the spec's regression loop -----------------------------------------------------------

    static void seed() {
        Generator gen = new Generator(42);
        Tensor x = Tensor.linspace(-1, 1, 100).reshape(100, 1);
        Tensor y = x.pow(2).mul(3).add(2).add(Tensor.rand(gen, 100, 1).mul(0.2f));
        Tensor w0 = Tensor.randn(gen, 1, 1);
        int runs = 7, iters = 800;
        double[] t = new double[runs];
        float[] result = new float[3]; // w, b, the last loss
        // The first run is timed on its own (a cold JIT); then, as for every workload here, runs go on
        // until the warm-up time has passed, and the next seven are measured (torchref: one warm-up run).
        double cold = regressionRun(x, y, w0, iters, result);
        long start = System.nanoTime();
        while (System.nanoTime() - start < WARMUP_NANOS) regressionRun(x, y, w0, iters, result);
        for (int r = 0; r < runs; r++) t[r] = regressionRun(x, y, w0, iters, result);
        emit("seed.w", Float.toString(result[0]), "-");
        emit("seed.b", Float.toString(result[1]), "-");
        emit("seed.final_loss", Float.toString(result[2]), "-");
        emit("seed.cold_first_800iter_ms", cold * 1e3, "ms");
        emitTimes("seed.total_800iter_ms", t, 1e3, "ms");
        emitTimes("seed.per_iter_us", t, 1e6 / iters, "us");
        Tensor p = Tensor.randn(gen, 1, 1), q = Tensor.randn(gen, 1, 1);
        emitTimes("dispatch.add_1x1_nograd_us", bench(5000, 9, 0.1, () -> p.add(q)), 1e6, "us");
        Tensor pg = Tensor.randn(gen, 1, 1).requiresGrad_();
        emitTimes("dispatch.add_1x1_requires_grad_us", bench(5000, 9, 0.1, () -> pg.add(q)), 1e6, "us");
    }

    /** One run of the spec's loop from w0 and b = 0, in seconds; leaves w, b and the last loss in result. */
    static double regressionRun(Tensor x, Tensor y, Tensor w0, int iters, float[] result) {
        Tensor w = w0.clone().requiresGrad_();
        Tensor b = Tensor.zeros(1, 1).requiresGrad_();
        float loss = Float.NaN;
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) {
            Tensor l = y.sub(w.mul(x.pow(2)).add(b)).pow(2).sum();
            l.backward();
            try (var s = GradMode.noGrad()) {
                w.sub_(w.grad().mul(0.001f));
                b.sub_(b.grad().mul(0.001f));
                w.grad().zero_();
                b.grad().zero_();
            }
            if (i == iters - 1) loss = l.item();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        result[0] = w.item();
        result[1] = b.item();
        result[2] = loss;
        return secs;
    }

    // ---- 2. matmul -------------------------------------------------------------------------------

    static void matmul() {
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            for (int n : new int[] {256, 512, 1024, 2048}) {
                Generator gen = new Generator(n);
                Tensor a = Tensor.randn(gen, n, n), b = Tensor.randn(gen, n, n);
                double[] t = bench(3, 9, 0.15, () -> Torch.matmul(a, b));
                emitRate("matmul.n" + n + ".t" + threads + ".gflops", t, 2.0 * n * n * n / 1e9, "GFLOP/s");
            }
        }
        Parallel.setNumThreads(CORES);
    }

    // ---- 3. MLP training step ----------------------------------------------------------------------

    /** 784-256-128-10 with ReLU, PyTorch's default Linear initialisation. */
    static final class Mlp {
        final Tensor w1, b1, w2, b2, w3, b3;

        Mlp(Generator gen) {
            w1 = uniform(gen, 1 / Math.sqrt(784), 256, 784);
            b1 = uniform(gen, 1 / Math.sqrt(784), 256);
            w2 = uniform(gen, 1 / Math.sqrt(256), 128, 256);
            b2 = uniform(gen, 1 / Math.sqrt(256), 128);
            w3 = uniform(gen, 1 / Math.sqrt(128), 10, 128);
            b3 = uniform(gen, 1 / Math.sqrt(128), 10);
        }

        static Tensor uniform(Generator gen, double bound, int... shape) {
            return Tensor.rand(gen, shape)
                    .mul((float) (2 * bound))
                    .sub((float) bound)
                    .requiresGrad_();
        }

        Tensor forward(Tensor x) {
            Tensor h = Torch.addmm(b1, x, w1.t()).relu();
            h = Torch.addmm(b2, h, w2.t()).relu();
            return Torch.addmm(b3, h, w3.t());
        }

        List<Tensor> parameters() {
            return List.of(w1, b1, w2, b2, w3, b3);
        }
    }

    /** Cross-entropy with class-index targets (log_softmax + nll_loss, mean over the batch). */
    static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return F.crossEntropy(logits, targets);
    }

    static void mlp() {
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            for (int bs : new int[] {64, 256}) {
                Generator gen = new Generator(0);
                Mlp net = new Mlp(gen);
                SGD opt = new SGD(net.parameters(), 0.01f);
                Tensor x = Tensor.randn(gen, bs, 784);
                int[] labels = new int[bs];
                for (int i = 0; i < bs; i++) labels[i] = gen.nextInt(10);
                Tensor y = Tensor.indices(labels);
                double[] t = bench(50, 9, 0.3, () -> {
                    Tensor loss = crossEntropy(net.forward(x), y);
                    loss.backward();
                    opt.step();
                    opt.zeroGrad();
                });
                String key = "mlp.b" + bs + ".t" + threads;
                emitTimes(key + ".ms_per_step", t, 1e3, "ms");
                emitRate(key + ".steps_per_s", t, 1, "steps/s");
                emitRate(key + ".samples_per_s", t, bs, "samples/s");
            }
        }
        Parallel.setNumThreads(CORES);
    }

    // ---- 4. elementwise tanh(x*w+b) ---------------------------------------------------------------

    static void elementwise() {
        int n = 1_000_000;
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            Generator gen = new Generator(1);
            Tensor x = Tensor.randn(gen, n),
                    w = Tensor.randn(gen, n).requiresGrad_(),
                    b = Tensor.randn(gen, n).requiresGrad_();
            double[] fwd = bench(5, 9, 0.2, () -> x.mul(w).add(b).tanh());
            double[] fb = bench(5, 9, 0.3, () -> {
                x.mul(w).add(b).tanh().sum().backward();
                try (var s = GradMode.noGrad()) {
                    w.grad().zero_();
                    b.grad().zero_();
                }
            });
            String key = "elementwise.n1M.t" + threads;
            emitTimes(key + ".fwd_ms", fwd, 1e3, "ms");
            emitTimes(key + ".fwd_bwd_ms", fb, 1e3, "ms");
        }
        Parallel.setNumThreads(CORES);
    }

    // ---- 5. CharGpt's training step ------------------------------------------------------------------

    /** One training step of the CharGpt example's default model: characters (batch × context) per second. */
    static void charGpt() {
        CharGpt.Options o = CharGpt.Options.parse();
        for (int threads : threadSettings()) {
            Parallel.setNumThreads(threads);
            double[] t = bench(3, 7, 1.0, CharGpt.trainingStep(o));
            String key =
                    "chargpt.l" + o.layers() + "_e" + o.embd() + "_b" + o.batch() + "x" + o.block() + ".t" + threads;
            emitTimes(key + ".ms_per_step", t, 1e3, "ms");
            emitRate(key + ".tokens_per_s", t, (double) o.batch() * o.block(), "tokens/s");
        }
        Parallel.setNumThreads(CORES);
    }
}
