package org.grad4j.examples.bench;

import java.util.concurrent.TimeUnit;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
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
 * JMH benchmarks of each kernel family through the tensor API (what a user pays per op):
 * elementwise, reductions, matmul, softmax, and a strided copy. Run with
 * {@code ./mvnw -q package -DskipTests -Pjmh -Djmh.args="KernelBenchmarks -prof gc"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class KernelBenchmarks {
    static {
        BenchEnv.printOnce(); // where the figures below were taken
    }

    @Param({"1000", "1000000"})
    public int n;

    Tensor x, y, m, a, b, logits;

    @Setup
    public void setup() {
        Generator gen = new Generator(1);
        x = Tensor.randn(gen, n);
        y = Tensor.randn(gen, n);
        int side = (int) Math.sqrt(n);
        m = Tensor.randn(gen, side, side);
        a = Tensor.randn(gen, 256, 256);
        b = Tensor.randn(gen, 256, 256);
        logits = Tensor.randn(gen, Math.max(1, n / 1000), 1000);
    }

    @Benchmark
    public Tensor add() {
        return x.add(y);
    }

    @Benchmark
    public Tensor mulScalar() {
        return x.mul(3f);
    }

    @Benchmark
    public Tensor tanh() {
        return x.tanh();
    }

    @Benchmark
    public Tensor exp() {
        return x.exp();
    }

    @Benchmark
    public Tensor addInPlace() {
        try (var s = GradMode.noGrad()) {
            return x.add_(y, 1e-9f);
        }
    }

    @Benchmark
    public Tensor sumAll() {
        return x.sum();
    }

    @Benchmark
    public Tensor sumOverRows() {
        return m.sum(0);
    }

    @Benchmark
    public Tensor transposeCopy() {
        return m.t().contiguous();
    }

    @Benchmark
    public Tensor softmaxRows() {
        return logits.softmax(1);
    }

    @Benchmark
    public Tensor matmul256() {
        return Torch.matmul(a, b);
    }
}
