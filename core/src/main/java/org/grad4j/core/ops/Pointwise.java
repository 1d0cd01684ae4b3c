package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.needsGrad;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * Elementwise ops, each forward next to its backward rule (derivatives.yaml style). Rules are written
 * with tensor ops, so they are differentiable themselves (createGraph), and return gradients in the
 * broadcast shape: the engine sums them back to each input's shape.
 */
public final class Pointwise {
    private Pointwise() {}

    // ---- kernel launchers ----------------------------------------------------------------------

    static Tensor unary(Tensor x, UnaryOp op, float p0, float p1) {
        Tensor out = newUninitialized(x, shape(x), DType.FLOAT32);
        backend(x).unary(op, p0, p1, buffer(x), layout(x), buffer(out));
        return out;
    }

    static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b, DType dtype) {
        checkSameDevice(a, b);
        int[] shape = Shapes.broadcast(name, shape(a), shape(b));
        Tensor out = newUninitialized(a, shape, dtype);
        backend(a)
                .binary(
                        op,
                        buffer(a),
                        Shapes.broadcastLayout(a, shape),
                        buffer(b),
                        Shapes.broadcastLayout(b, shape),
                        buffer(out));
        return out;
    }

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    // ---- arithmetic ----------------------------------------------------------------------------

    public static Tensor add(Tensor a, Tensor b, float alpha) {
        Tensor bb = alpha == 1f ? b : unary(b, UnaryOp.AFFINE, alpha, 0f);
        Tensor out = binary("add", BinaryOp.ADD, a, bb, DType.FLOAT32);
        return record(out, "AddBackward0", a, b, (g, ctx) -> grads(g, alpha == 1f ? g : g.mul(alpha)));
    }

    public static Tensor sub(Tensor a, Tensor b, float alpha) {
        Tensor bb = alpha == 1f ? b : unary(b, UnaryOp.AFFINE, alpha, 0f);
        Tensor out = binary("sub", BinaryOp.SUB, a, bb, DType.FLOAT32);
        return record(out, "SubBackward0", a, b, (g, ctx) -> grads(g, ctx.needs(1) ? g.mul(-alpha) : null));
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binary("mul", BinaryOp.MUL, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(
                out,
                "MulBackward0",
                a,
                b,
                (g, ctx) -> grads(ctx.needs(0) ? g.mul(ctx.saved(1)) : null, ctx.needs(1) ? g.mul(ctx.saved(0)) : null),
                b.requiresGrad() ? a : null,
                a.requiresGrad() ? b : null);
    }

    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = binary("div", BinaryOp.DIV, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(
                out,
                "DivBackward0",
                a,
                b,
                (g, ctx) -> {
                    Tensor bs = ctx.saved(1);
                    return grads(
                            ctx.needs(0) ? g.div(bs) : null,
                            ctx.needs(1) ? g.neg().mul(ctx.saved(0)).div(bs.mul(bs)) : null);
                },
                b.requiresGrad() ? a : null,
                b);
    }

    public static Tensor addScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, 1f, s), "AddBackward0", x, (g, ctx) -> grads(g));
    }

    public static Tensor subScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, 1f, -s), "SubBackward0", x, (g, ctx) -> grads(g));
    }

    public static Tensor rsubScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, -1f, s), "RsubBackward1", x, (g, ctx) -> grads(g.neg()));
    }

    public static Tensor mulScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, s, 0f), "MulBackward0", x, (g, ctx) -> grads(g.mul(s)));
    }

    public static Tensor divScalar(Tensor x, float s) {
        // x / s, not x * (1/s): the same rounding as PyTorch
        Tensor out = binary("div", BinaryOp.DIV, x, scalarLike(x, s), DType.FLOAT32);
        return record(out, "DivBackward0", x, (g, ctx) -> grads(g.div(s)));
    }

    public static Tensor neg(Tensor x) {
        return record(unary(x, UnaryOp.NEG, 0f, 0f), "NegBackward0", x, (g, ctx) -> grads(g.neg()));
    }

    public static Tensor pow(Tensor x, float p) {
        Tensor out = unary(x, UnaryOp.POW, p, 0f);
        return record(
                out,
                "PowBackward0",
                x,
                (g, ctx) -> {
                    if (p == 0f) return grads(Tensor.zerosLike(g));
                    Tensor xs = ctx.saved(0);
                    return grads(g.mul(xs.pow(p - 1f).mul(p)));
                },
                x);
    }

    public static Tensor pow(Tensor a, Tensor b) {
        Tensor out = binary("pow", BinaryOp.POW, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(
                out,
                "PowBackward1",
                a,
                b,
                (g, ctx) -> {
                    Tensor as = ctx.saved(0), bs = ctx.saved(1);
                    // d/da a^b = b a^(b-1), taken as 0 where b == 0 (0 * 0^-1 would be NaN at a == 0)
                    Tensor ga = ctx.needs(0)
                            ? Comparisons.where(bs.eq(0f), scalarLike(g, 0f), g.mul(bs.mul(as.pow(bs.sub(1f)))))
                            : null;
                    Tensor gb = null;
                    if (ctx.needs(1)) {
                        // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention)
                        Tensor mask = as.eq(0f).logicalAnd(bs.ge(0f));
                        gb = Comparisons.where(
                                mask, scalarLike(g, 0f), g.mul(ctx.saved(2)).mul(as.log()));
                    }
                    return grads(ga, gb);
                },
                a,
                b,
                out);
    }

    /** {@code base ^ x} for a scalar base. */
    public static Tensor pow(float base, Tensor x) {
        Tensor out = unary(x, UnaryOp.POW_BASE, base, 0f);
        float lnBase = (float) Math.log(base);
        return record(
                out,
                "PowBackward2",
                x,
                (g, ctx) -> {
                    Tensor gx = g.mul(ctx.saved(0)).mul(lnBase);
                    // d/dx 0^x taken as 0 where x >= 0 (PyTorch's convention; 0 * ln 0 would be NaN)
                    return grads(base == 0f ? Comparisons.where(ctx.saved(1).ge(0f), scalarLike(g, 0f), gx) : gx);
                },
                out,
                base == 0f ? x : null);
    }

    public static Tensor maximum(Tensor a, Tensor b) {
        return extremum(a, b, true);
    }

    public static Tensor minimum(Tensor a, Tensor b) {
        return extremum(a, b, false);
    }

    private static Tensor extremum(Tensor a, Tensor b, boolean max) {
        Tensor out =
                binary(max ? "maximum" : "minimum", max ? BinaryOp.MAXIMUM : BinaryOp.MINIMUM, a, b, DType.FLOAT32);
        return record(
                out,
                max ? "MaximumBackward0" : "MinimumBackward0",
                a,
                b,
                (g, ctx) -> {
                    Tensor as = ctx.saved(0), bs = ctx.saved(1);
                    // the winner takes the gradient; ties split it evenly
                    Tensor wins = (max ? as.gt(bs) : as.lt(bs)).add(as.eq(bs).mul(0.5f));
                    return grads(ctx.needs(0) ? g.mul(wins) : null, ctx.needs(1) ? g.mul(wins.rsub(1f)) : null);
                },
                a,
                b);
    }

    // ---- functions -----------------------------------------------------------------------------

    public static Tensor exp(Tensor x) {
        Tensor out = unary(x, UnaryOp.EXP, 0f, 0f);
        return record(out, "ExpBackward0", x, (g, ctx) -> grads(g.mul(ctx.saved(0))), out);
    }

    /** d/dx erf(x) = 2/√π · exp(-x²). */
    public static Tensor erf(Tensor x) {
        return record(
                unary(x, UnaryOp.ERF, 0f, 0f),
                "ErfBackward0",
                x,
                (g, ctx) -> {
                    Tensor x0 = ctx.saved(0);
                    return grads(g.mul(x0.mul(x0).neg().exp().mul(TWO_OVER_SQRT_PI)));
                },
                x);
    }

    private static final float TWO_OVER_SQRT_PI = (float) (2 / Math.sqrt(Math.PI));

    public static Tensor log(Tensor x) {
        return record(unary(x, UnaryOp.LOG, 0f, 0f), "LogBackward0", x, (g, ctx) -> grads(g.div(ctx.saved(0))), x);
    }

    public static Tensor sqrt(Tensor x) {
        Tensor out = unary(x, UnaryOp.SQRT, 0f, 0f);
        return record(
                out, "SqrtBackward0", x, (g, ctx) -> grads(g.div(ctx.saved(0).mul(2f))), out);
    }

    public static Tensor abs(Tensor x) {
        return record(
                unary(x, UnaryOp.ABS, 0f, 0f),
                "AbsBackward0",
                x,
                (g, ctx) -> grads(g.mul(ctx.saved(0).sign())),
                x);
    }

    public static Tensor sign(Tensor x) {
        return record(unary(x, UnaryOp.SIGN, 0f, 0f), "SignBackward0", x, (g, ctx) -> grads(Tensor.zerosLike(g)));
    }

    public static Tensor reciprocal(Tensor x) {
        Tensor out = unary(x, UnaryOp.RECIPROCAL, 0f, 0f);
        return record(
                out,
                "ReciprocalBackward0",
                x,
                (g, ctx) -> {
                    Tensor y = ctx.saved(0);
                    return grads(g.neg().mul(y.mul(y)));
                },
                out);
    }

    /** {@code torch.clamp}: either bound may be null (none on that side), not both. */
    public static Tensor clamp(Tensor x, Float min, Float max) {
        if (min == null && max == null) {
            throw new IllegalArgumentException("clamp: At least one of 'min' or 'max' must not be None (null)");
        }
        return clamp(x, min, max, "ClampBackward1");
    }

    /** {@code clamp_min} and {@code clamp_max} are ops of their own in PyTorch, with their own grad_fn names. */
    public static Tensor clampMin(Tensor x, float min) {
        return clamp(x, min, null, "ClampMinBackward0");
    }

    public static Tensor clampMax(Tensor x, float max) {
        return clamp(x, null, max, "ClampMaxBackward0");
    }

    private static Tensor clamp(Tensor x, Float min, Float max, String name) {
        boolean lo = min != null, hi = max != null;
        float a = lo ? min : Float.NaN, b = hi ? max : Float.NaN; // the kernel reads NaN as "no bound"
        Tensor out;
        if ((lo && Float.isNaN(a)) || (hi && Float.isNaN(b))) {
            // a NaN bound makes every element NaN, as in PyTorch (not "no bound")
            out = newUninitialized(x, shape(x), DType.FLOAT32);
            backend(x).fill(buffer(out), layout(out), Float.NaN);
        } else {
            out = unary(x, UnaryOp.CLAMP, a, b);
        }
        return record(
                out,
                name,
                x,
                (g, ctx) -> {
                    Tensor xs = ctx.saved(0);
                    Tensor mask = !lo ? xs.le(b) : !hi ? xs.ge(a) : xs.ge(a).logicalAnd(xs.le(b));
                    return grads(Comparisons.where(
                            mask,
                            g,
                            scalarLike(g, 0f))); // where, not a product: an infinite gradient stops at a bound too
                },
                x);
    }

    // ---- direct in-place kernels (unrecorded in-place ops write into self's own storage) --------

    /** Kernels write their output contiguously from index 0: self must be laid out exactly so. */
    private static boolean denseFromZero(Tensor self) {
        return self.storageOffset() == 0 && self.isContiguous();
    }

    static boolean unaryInto(Tensor self, UnaryOp op, float p0, float p1) {
        if (!denseFromZero(self)) return false;
        backend(self).unary(op, p0, p1, buffer(self), layout(self), buffer(self));
        return true;
    }

    /** In-place op names for messages ("sub_"), made once: lower-casing per call showed in profiles. */
    private static final String[] NAMES_ = java.util.Arrays.stream(BinaryOp.values())
            .map(o -> o.name().toLowerCase() + "_")
            .toArray(String[]::new);

    /** Whether {@code self op= other} can write straight into self's storage (other broadcasts to self). */
    private static boolean writableInPlace(Tensor self, BinaryOp op, Tensor other) {
        checkSameDevice(self, other);
        return denseFromZero(self)
                && java.util.Arrays.equals(
                        Shapes.broadcast(NAMES_[op.ordinal()], shape(self), shape(other)), shape(self));
    }

    static boolean binaryInto(Tensor self, BinaryOp op, Tensor other) {
        if (!writableInPlace(self, op, other)) return false;
        backend(self)
                .binary(
                        op,
                        buffer(self),
                        layout(self),
                        buffer(other),
                        Shapes.broadcastLayout(other, shape(self)),
                        buffer(self));
        return true;
    }

    /** {@code self op= alpha * other}: one fused pass for ADD and SUB (an optimizer's update). */
    static boolean binaryInto(Tensor self, BinaryOp op, Tensor other, float alpha) {
        if (alpha == 1f) return binaryInto(self, op, other);
        if (op != BinaryOp.ADD && op != BinaryOp.SUB)
            return binaryInto(self, op, unary(other, UnaryOp.AFFINE, alpha, 0f));
        if (!writableInPlace(self, op, other)) return false;
        backend(self)
                .binaryScaled(
                        op,
                        buffer(self),
                        layout(self),
                        buffer(other),
                        Shapes.broadcastLayout(other, shape(self)),
                        alpha,
                        buffer(self));
        return true;
    }

    static boolean fillInto(Tensor self, float v) {
        backend(self).fill(buffer(self), layout(self), v);
        return true;
    }

    static boolean copyInto(Tensor self, Tensor src) {
        checkSameDevice(self, src);
        if (!java.util.Arrays.equals(Shapes.broadcast("copy_", shape(src), shape(self)), shape(self))) return false;
        backend(self).copy(buffer(src), Shapes.broadcastLayout(src, shape(self)), buffer(self), layout(self));
        return true;
    }

    // ---- out-of-place forms of fill_ and copy_ (used by the in-place machinery) ----------------

    static Tensor fill(Tensor x, float v) {
        Tensor out = v == 0f ? newEmpty(x, shape(x), DType.FLOAT32) : newUninitialized(x, shape(x), DType.FLOAT32);
        if (v != 0f) backend(out).fill(buffer(out), layout(out), v);
        return record(out, v == 0f ? "ZeroBackward0" : "FillBackward0", x, (g, ctx) -> grads(Tensor.zerosLike(g)));
    }

    static Tensor copy(Tensor self, Tensor src) {
        checkSameDevice(self, src);
        Tensor out = newUninitialized(self, shape(self), self.dtype());
        int[] shape = Shapes.broadcast("copy_", shape(src), shape(self));
        if (!java.util.Arrays.equals(shape, shape(self))) {
            throw new IllegalArgumentException("copy_: source of shape " + java.util.Arrays.toString(shape(src))
                    + " cannot be broadcast to destination shape " + java.util.Arrays.toString(shape(self)));
        }
        backend(out).copy(buffer(src), Shapes.broadcastLayout(src, shape(self)), buffer(out), layout(out));
        return record(out, "CopyBackwards", self, src, (g, ctx) -> grads(ctx.needs(0) ? Tensor.zerosLike(g) : null, g));
    }
}
