package org.grad4j.examples;

import java.io.PrintStream;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * SPEC example N: fit {@code y = w·x² + b} to {@code 3x² + 2 + noise} by gradient descent, with the
 * update written by hand in a no-grad scope. Prints the loss, w and b as it goes.
 *
 * <p>Usage: {@code Regression [seed] [steps]} (defaults 0 and 800).
 */
public final class Regression {
    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 0L;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 800;
        fit(seed, steps, System.out);
    }

    /** Runs the loop, printing progress to {@code out}; returns {w, b}. */
    public static float[] fit(long seed, int steps, PrintStream out) {
        float lr = 0.001f;

        Generator gen = new Generator(seed);
        Tensor x = Tensor.linspace(-1, 1, 100).view(100, 1);
        Tensor y = x.pow(2).mul(3).add(2).add(Tensor.rand(gen, 100, 1).mul(0.2f));
        Tensor w = Tensor.randn(gen, 1, 1).requiresGrad_();
        Tensor b = Tensor.zeros(1, 1).requiresGrad_();

        out.printf("Fitting y = w*x^2 + b to 3x^2 + 2 + 0.2*U(0,1) (seed %d, %d steps, lr %s)%n", seed, steps, lr);
        long start = System.nanoTime();
        for (int i = 1; i <= steps; i++) {
            Tensor yPred = w.mul(x.pow(2)).add(b);
            Tensor loss = y.sub(yPred).pow(2).sum();
            loss.backward();
            try (var s = GradMode.noGrad()) {
                w.sub_(w.grad().mul(lr));
                b.sub_(b.grad().mul(lr));
            }
            w.grad().zero_();
            b.grad().zero_();
            if (i == 1 || i % 100 == 0) {
                out.printf("step %4d  loss %10.4f  w %.4f  b %.4f%n", i, loss.item(), w.item(), b.item());
            }
        }
        double ms = (System.nanoTime() - start) / 1e6;
        out.printf(
                "final w = %.4f (target 3), b = %.4f (target about 2.1), %d steps in %.1f ms%n",
                w.item(), b.item(), steps, ms);
        return new float[] {w.item(), b.item()};
    }
}
