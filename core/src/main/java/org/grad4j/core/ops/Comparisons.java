package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.needsGrad;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.ModeScope;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.BinaryOp;

/**
 * Selection by a condition ({@code where} and {@code masked_fill}, with their backward rules) and the comparisons that make
 * conditions (BOOL results, no gradient).
 */
public final class Comparisons {
    private Comparisons() {}

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    /** {@code cond ? a : b} elementwise, all three broadcast together. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        checkSameDevice(cond, a, b);
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", shape(cond), shape(a)), shape(b));
        Tensor out = newUninitialized(a, shape, DType.FLOAT32);
        backend(a)
                .where(
                        buffer(cond),
                        Shapes.broadcastLayout(cond, shape),
                        buffer(a),
                        Shapes.broadcastLayout(a, shape),
                        buffer(b),
                        Shapes.broadcastLayout(b, shape),
                        buffer(out));
        if (!needsGrad(a, b)) return out;
        return record(
                out,
                "WhereBackward0",
                a,
                b,
                (g, ctx) -> {
                    Tensor c = ctx.saved(0), zero = scalarLike(g, 0f);
                    return grads(ctx.needs(0) ? where(c, g, zero) : null, ctx.needs(1) ? where(c, zero, g) : null);
                },
                cond);
    }

    /**
     * {@code value} where {@code mask} is true, else {@code x}; mask and x broadcast together, as
     * PyTorch's out-of-place masked_fill. The gradient passes where the mask is false.
     */
    public static Tensor maskedFill(Tensor x, Tensor mask, float value) {
        if (mask.dtype() != DType.BOOL)
            throw new IllegalArgumentException(
                    "masked_fill_ only supports boolean masks, but got mask with dtype " + mask.dtype());
        checkSameDevice(x, mask);
        Shapes.broadcast("masked_fill", shape(mask), shape(x)); // checked before anything is made
        Tensor out;
        try (ModeScope s = GradMode.noGrad()) {
            out = where(mask, scalarLike(x, value), x);
        }
        return record(
                out,
                "MaskedFillBackward0",
                x,
                (g, ctx) -> new Tensor[] {where(ctx.saved(0), scalarLike(g, 0f), g)},
                mask);
    }

    private static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        return Pointwise.binary(op.name().toLowerCase(), op, a, b, DType.BOOL);
    }

    public static Tensor eq(Tensor a, Tensor b) {
        return compare(BinaryOp.EQ, a, b);
    }

    public static Tensor ne(Tensor a, Tensor b) {
        return compare(BinaryOp.NE, a, b);
    }

    public static Tensor lt(Tensor a, Tensor b) {
        return compare(BinaryOp.LT, a, b);
    }

    public static Tensor le(Tensor a, Tensor b) {
        return compare(BinaryOp.LE, a, b);
    }

    public static Tensor gt(Tensor a, Tensor b) {
        return compare(BinaryOp.GT, a, b);
    }

    public static Tensor ge(Tensor a, Tensor b) {
        return compare(BinaryOp.GE, a, b);
    }

    public static Tensor logicalAnd(Tensor a, Tensor b) {
        Tensor prod = Pointwise.binary("logicalAnd", BinaryOp.MUL, a, b, DType.FLOAT32);
        return Pointwise.binary("logicalAnd", BinaryOp.NE, prod, scalarLike(prod, 0f), DType.BOOL);
    }
}
