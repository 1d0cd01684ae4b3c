package org.grad4j.examples.bench;

import java.util.concurrent.TimeUnit;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.optim.SGD;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH versions of the end-to-end workloads: one iteration of the spec's regression loop, one MLP
 * training step, and tanh(x*w+b) forward+backward on 1M floats. With {@code -prof gc} JMH reports the
 * allocation per step ({@code gc.alloc.rate.norm}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class EndToEndBenchmarks {
    static {
        BenchEnv.printOnce(); // where the figures below were taken
    }

    @State(Scope.Thread)
    public static class Seed {
        Tensor x, y, w, b;

        @Setup
        public void setup() {
            Generator gen = new Generator(42);
            x = Tensor.linspace(-1, 1, 100).reshape(100, 1);
            y = x.pow(2).mul(3).add(2).add(Tensor.rand(gen, 100, 1).mul(0.2f));
            w = Tensor.randn(gen, 1, 1).requiresGrad_();
            b = Tensor.zeros(1, 1).requiresGrad_();
        }
    }

    /** One of the 800 iterations of SPEC example N. */
    @Benchmark
    public Tensor regressionIteration(Seed s) {
        Tensor loss = s.y.sub(s.w.mul(s.x.pow(2)).add(s.b)).pow(2).sum();
        loss.backward();
        try (var g = GradMode.noGrad()) {
            s.w.sub_(s.w.grad().mul(0.001f));
            s.b.sub_(s.b.grad().mul(0.001f));
            s.w.grad().zero_();
            s.b.grad().zero_();
        }
        return loss;
    }

    @State(Scope.Thread)
    public static class MlpState {
        @Param({"64", "256"})
        public int batch;

        Workloads.Mlp net;
        SGD opt;
        Tensor x;
        Tensor y;

        @Setup
        public void setup() {
            Generator gen = new Generator(0);
            net = new Workloads.Mlp(gen);
            opt = new SGD(net.parameters(), 0.01f);
            x = Tensor.randn(gen, batch, 784);
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = gen.nextInt(10);
            y = Tensor.indices(labels);
        }
    }

    /** One SGD step of the 784-256-128-10 MLP with cross-entropy. */
    @Benchmark
    public Tensor mlpStep(MlpState s) {
        Tensor loss = Workloads.crossEntropy(s.net.forward(s.x), s.y);
        loss.backward();
        s.opt.step();
        s.opt.zeroGrad();
        return loss;
    }

    @State(Scope.Thread)
    public static class Elementwise {
        Tensor x, w, b;

        @Setup
        public void setup() {
            Generator gen = new Generator(1);
            x = Tensor.randn(gen, 1_000_000);
            w = Tensor.randn(gen, 1_000_000).requiresGrad_();
            b = Tensor.randn(gen, 1_000_000).requiresGrad_();
        }
    }

    /** tanh(x*w+b) forward and backward on 1M floats. */
    @Benchmark
    public Tensor elementwiseForwardBackward(Elementwise s) {
        Tensor out = s.x.mul(s.w).add(s.b).tanh().sum();
        out.backward();
        try (var g = GradMode.noGrad()) {
            s.w.grad().zero_();
            s.b.grad().zero_();
        }
        return out;
    }
}
