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
 * tanh (whose backwards are fused ops of their own, differentiable again), softmax and log_softmax
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
