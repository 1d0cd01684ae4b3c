package org.grad4j.core;

/** SPEC example N written by hand (no optimizer): the loop the examples module also runs. */
final class Regression {
    private Regression() {}

    /** Returns {w, b} after {@code steps} updates. */
    static float[] run(long seed, int steps, float lr) {
        Generator gen = new Generator(seed);
        Tensor x = Tensor.linspace(-1, 1, 100).view(100, 1);
        Tensor y = x.pow(2).mul(3).add(2).add(Tensor.rand(gen, 100, 1).mul(0.2f));
        Tensor w = Tensor.randn(gen, 1, 1).requiresGrad_();
        Tensor b = Tensor.zeros(1, 1).requiresGrad_();
        for (int i = 0; i < steps; i++) {
            Tensor yPred = w.mul(x.pow(2)).add(b);
            Tensor loss = y.sub(yPred).pow(2).sum();
            loss.backward();
            try (var s = GradMode.noGrad()) {
                w.sub_(w.grad().mul(lr));
                b.sub_(b.grad().mul(lr));
            }
            w.grad().zero_();
            b.grad().zero_();
        }
        return new float[] {w.item(), b.item()};
    }
}
