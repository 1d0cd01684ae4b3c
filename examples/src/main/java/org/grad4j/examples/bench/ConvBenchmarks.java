package org.grad4j.examples.bench;

import java.util.concurrent.TimeUnit;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
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
 * JMH benchmarks of the image kernels on a small CNN's layers (batch 64, 3×3, padding 1): conv2d
 * forward, forward and backward (the input and weight gradients), and a 2×2 max-pool. Run with {@code ./mvnw -q package -DskipTests -Pjmh -Djmh.args="ConvBenchmarks -prof gc"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class ConvBenchmarks {
    static {
        BenchEnv.printOnce(); // where the figures below were taken
    }

    /** inChannels x side -> outChannels: the first and the second conv layer of the Fashion-MNIST CNN. */
    @Param({"1x28to32", "32x14to64"})
    public String layer;

    Tensor x, w, b;

    @Setup
    public void setup() {
        String[] p = layer.split("x|to");
        int in = Integer.parseInt(p[0]), side = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
        Generator gen = new Generator(3);
        x = Tensor.randn(gen, 64, in, side, side).requiresGrad_();
        w = Tensor.randn(gen, out, in, 3, 3)
                .mul((float) Math.sqrt(2.0 / (9 * in)))
                .requiresGrad_();
        b = Tensor.zeros(out).requiresGrad_();
    }

    @Benchmark
    public Tensor conv2dForward() {
        try (var s = GradMode.noGrad()) {
            return F.conv2d(x, w, b, 1, 1);
        }
    }

    @Benchmark
    public Tensor conv2dForwardBackward() {
        Tensor y = F.conv2d(x, w, b, 1, 1);
        y.sum().backward();
        Tensor gw = w.grad();
        x.setGrad(null);
        w.setGrad(null);
        b.setGrad(null);
        return gw;
    }

    @Benchmark
    public Tensor maxPool2dForward() {
        try (var s = GradMode.noGrad()) {
            return F.maxPool2d(x, 2);
        }
    }
}
