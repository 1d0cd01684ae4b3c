package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.contiguousUntracked;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.needsGrad;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * The nonlinearities of neural networks, each forward next to its backward rule: relu, sigmoid and
 * tanh (whose backwards are fused ops of their own, differentiable again), silu, gelu, softplus and
 * leaky_relu (backwards written with tensor ops), softmax and log_softmax
 * along a dimension (one stable kernel), and dropout.
 */
public final class Activations {
    private Activations() {}

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    public static Tensor tanh(Tensor x) {
        Tensor out = Pointwise.unary(x, UnaryOp.TANH, 0f, 0f);
        return record(out, "TanhBackward0", x, (g, ctx) -> grads(tanhBackward(g, ctx.saved(0))), out);
    }

    public static Tensor sigmoid(Tensor x) {
        Tensor out = Pointwise.unary(x, UnaryOp.SIGMOID, 0f, 0f);
        return record(out, "SigmoidBackward0", x, (g, ctx) -> grads(sigmoidBackward(g, ctx.saved(0))), out);
    }

    public static Tensor relu(Tensor x) {
        Tensor out = Pointwise.unary(x, UnaryOp.RELU, 0f, 0f);
        return record(out, "ReluBackward0", x, (g, ctx) -> grads(thresholdBackward(g, ctx.saved(0))), out);
    }

    // The smooth activations of transformers: one kernel pass forward (the table's formula), the
    // backward written with tensor ops of the saved input, so it is differentiable again.

    /** x·sigmoid(x); d/dx = s·(1 + x·(1 - s)). */
    public static Tensor silu(Tensor x) {
        return record(
                Pointwise.unary(x, UnaryOp.SILU, 0f, 0f),
                "SiluBackward0",
                x,
                (g, ctx) -> {
                    Tensor x0 = ctx.saved(0), s = x0.sigmoid();
                    return grads(g.mul(s.mul(x0.mul(s.rsub(1f)).add(1f))));
                },
                x);
    }

    /**
     * GELU, exact ({@code approximate} "none": x·Φ(x), d/dx = Φ(x) + x·φ(x)) or its tanh form
     * ("tanh"), as {@code torch.nn.functional.gelu}.
     */
    public static Tensor gelu(Tensor x, String approximate) {
        boolean tanh;
        if ("none".equals(approximate)) tanh = false;
        else if ("tanh".equals(approximate)) tanh = true;
        else
            throw new IllegalArgumentException("gelu: approximate argument must be either none or tanh, got "
                    + (approximate == null ? "null" : "'" + approximate + "'"));
        Tensor out = Pointwise.unary(x, tanh ? UnaryOp.GELU_TANH : UnaryOp.GELU, 0f, 0f);
        return record(
                out,
                "GeluBackward0",
                x,
                (g, ctx) -> grads(tanh ? g.mul(geluTanhDerivative(ctx.saved(0))) : geluBackward(g, ctx.saved(0))),
                x);
    }

    /** {@code g * (Φ(x) + x·φ(x))} in one pass (PyTorch's gelu_backward); its own backward is gelu''(x) = φ(x)(2 - x²). */
    static Tensor geluBackward(Tensor g, Tensor x) {
        Tensor out = Pointwise.binary("gelu_backward", BinaryOp.GELU_BACKWARD, g, x, DType.FLOAT32);
        if (!needsGrad(g, x)) return out;
        return record(
                out,
                "GeluBackwardBackward0",
                g,
                x,
                (gg, ctx) -> {
                    Tensor g0 = ctx.saved(0), x0 = ctx.saved(1);
                    return grads(
                            ctx.needs(0) ? geluBackward(gg, x0) : null,
                            ctx.needs(1) ? gg.mul(g0).mul(geluSecondDerivative(x0)) : null);
                },
                x.requiresGrad() ? g : null,
                x);
    }

    /** φ(x)(2 - x²). */
    private static Tensor geluSecondDerivative(Tensor x) {
        Tensor x2 = x.mul(x);
        return x2.mul(-0.5f).exp().mul(INV_SQRT_2PI).mul(x2.rsub(2f));
    }

    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    /**
     * d/dx of the tanh form, (1 + t)/2 + x/2 · (1 - t²) · β(1 + 3κx²) with t = tanh(u), u = β(x + κx³),
     * written with s = sigmoid(2u) ((1 + t)/2 = s, 1 - t² = 4s(1 - s)): 1 + t cancels where t is near
     * -1, s does not, so this and its own derivative stay accurate far out on the negative side.
     */
    private static Tensor geluTanhDerivative(Tensor x) {
        Tensor x2 = x.mul(x);
        Tensor s = x.add(x2.mul(x).mul(UnaryOp.GELU_KAPPA))
                .mul(2f * UnaryOp.GELU_BETA)
                .sigmoid();
        Tensor slope = x2.mul(3f * UnaryOp.GELU_KAPPA).add(1f).mul(2f * UnaryOp.GELU_BETA);
        return s.add(x.mul(s).mul(s.rsub(1f)).mul(slope));
    }

    /**
     * log(1 + exp(beta·x)) / beta, and x where beta·x > threshold, as {@code torch.nn.functional.softplus};
     * d/dx = sigmoid(beta·x), and 1 past the threshold.
     */
    public static Tensor softplus(Tensor x, float beta, float threshold) {
        return record(
                Pointwise.unary(x, UnaryOp.SOFTPLUS, beta, threshold),
                "SoftplusBackward0",
                x,
                (g, ctx) -> {
                    Tensor bx = ctx.saved(0).mul(beta);
                    return grads(Comparisons.where(bx.gt(threshold), g, g.mul(bx.sigmoid())));
                },
                x);
    }

    /** x where x > 0, else negativeSlope·x; d/dx = 1 or negativeSlope. */
    public static Tensor leakyRelu(Tensor x, float negativeSlope) {
        return record(
                Pointwise.unary(x, UnaryOp.LEAKY_RELU, negativeSlope, 0f),
                "LeakyReluBackward0",
                x,
                (g, ctx) -> grads(Comparisons.where(ctx.saved(0).gt(0f), g, g.mul(negativeSlope))),
                x);
    }

    // Fused activation backwards (one kernel pass each), ops in their own right so that
    // gradients of gradients flow through them (PyTorch's tanh_backward, sigmoid_backward,
    // threshold_backward and their backward rules).

    /** {@code g * (1 - y²)}. */
    static Tensor tanhBackward(Tensor g, Tensor y) {
        Tensor out = Pointwise.binary("tanh_backward", BinaryOp.TANH_BACKWARD, g, y, DType.FLOAT32);
        if (!needsGrad(g, y)) return out;
        return record(
                out,
                "TanhBackwardBackward0",
                g,
                y,
                (gg, ctx) -> {
                    Tensor g0 = ctx.saved(0), y0 = ctx.saved(1);
                    return grads(
                            ctx.needs(0) ? tanhBackward(gg, y0) : null,
                            ctx.needs(1) ? gg.mul(g0).mul(y0).mul(-2f) : null);
                },
                y.requiresGrad() ? g : null,
                y);
    }

    /** {@code g * y * (1 - y)}. */
    static Tensor sigmoidBackward(Tensor g, Tensor y) {
        Tensor out = Pointwise.binary("sigmoid_backward", BinaryOp.SIGMOID_BACKWARD, g, y, DType.FLOAT32);
        if (!needsGrad(g, y)) return out;
        return record(
                out,
                "SigmoidBackwardBackward0",
                g,
                y,
                (gg, ctx) -> {
                    Tensor g0 = ctx.saved(0), y0 = ctx.saved(1);
                    return grads(
                            ctx.needs(0) ? sigmoidBackward(gg, y0) : null,
                            ctx.needs(1) ? gg.mul(g0).mul(y0.mul(-2f).add(1f)) : null);
                },
                y.requiresGrad() ? g : null,
                y);
    }

    /** {@code y > 0 ? g : 0}; flat in y, so y gets no gradient. */
    static Tensor thresholdBackward(Tensor g, Tensor y) {
        Tensor out = Pointwise.binary("threshold_backward", BinaryOp.RELU_BACKWARD, g, y, DType.FLOAT32);
        return record(
                out,
                "ThresholdBackwardBackward0",
                g,
                y,
                (gg, ctx) -> grads(thresholdBackward(gg, ctx.saved(0)), ctx.needs(1) ? Tensor.zerosLike(gg) : null),
                y);
    }

    // ---- softmax --------------------------------------------------------------------------------

    /** softmax, or with {@code log} log_softmax, along {@code dimIn}, computed stably in one fused kernel. */
    public static Tensor softmax(Tensor x, int dimIn, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        int dim = Shapes.wrapDim(op, dimIn, x.dim());
        Tensor xc = contiguousUntracked(x);
        Tensor out = newUninitialized(x, shape(x), DType.FLOAT32);
        int size = x.dim() == 0 ? 1 : shape(x)[dim];
        int outer = x.dim() == 0 ? 1 : Indexing.outer(shape(x), dim),
                inner = x.dim() == 0 ? 1 : Indexing.inner(shape(x), dim);
        backend(x).softmax(buffer(xc), outer, size, inner, log, buffer(out));
        if (log) {
            // d/dx log_softmax: g - softmax * sum(g)
            return record(
                    out,
                    "LogSoftmaxBackward0",
                    x,
                    (g, ctx) -> new Tensor[] {g.sub(ctx.saved(0).exp().mul(g.sum(dim, true)))},
                    out);
        }
        // d/dx softmax: y * (g - sum(g * y))
        return record(
                out,
                "SoftmaxBackward0",
                x,
                (g, ctx) -> {
                    Tensor y = ctx.saved(0);
                    return new Tensor[] {y.mul(g.sub(g.mul(y).sum(dim, true)))};
                },
                out);
    }

    // ---- dropout --------------------------------------------------------------------------------

    /**
     * dropout: in training, each element is zeroed with probability p and the survivors are scaled by
     * 1/(1-p), so the expected value is unchanged; in eval it is the identity. As PyTorch does on the
     * CPU, the result is {@code input * noise} with a constant noise tensor, so its grad_fn is
     * {@code MulBackward0} (the gradient is masked and scaled the same way).
     */
    public static Tensor dropout(Tensor x, float p, boolean training, Generator gen) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0f) return x;
        float[] noise = new float[x.numel()];
        if (p < 1f) {
            float keep = 1f - p, scale = 1f / keep;
            for (int i = 0; i < noise.length; i++) noise[i] = gen.nextUniform() < keep ? scale : 0f;
        }
        return x.mul(newOf(x, noise, shape(x)));
    }
}
