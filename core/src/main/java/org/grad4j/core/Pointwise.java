package org.grad4j.core;

import static org.grad4j.core.Recorder.needsGrad;
import static org.grad4j.core.Recorder.record;

import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * Elementwise ops, each forward next to its backward rule (derivatives.yaml style). Rules are written
 * with tensor ops, so they are differentiable themselves (createGraph), and return gradients in the
 * broadcast shape: the engine sums them back to each input's shape.
 */
final class Pointwise {
    private Pointwise() {}

    // ---- kernel launchers ----------------------------------------------------------------------

    static Tensor unary(Tensor x, UnaryOp op, float p0, float p1) {
        Tensor out = x.newUninitialized(x.shape, DType.FLOAT32);
        x.backend().unary(op, p0, p1, x.buffer, x.layout(), out.buffer);
        return out;
    }

    static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b, DType dtype) {
        Devices.checkSame(a, b);
        int[] shape = Shapes.broadcast(name, a.shape, b.shape);
        Tensor out = a.newUninitialized(shape, dtype);
        a.backend().binary(op, a.buffer, Shapes.broadcastLayout(a, shape), b.buffer, Shapes.broadcastLayout(b, shape), out.buffer);
        return out;
    }

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    // ---- arithmetic ----------------------------------------------------------------------------

    static Tensor add(Tensor a, Tensor b, float alpha) {
        Tensor bb = alpha == 1f ? b : unary(b, UnaryOp.AFFINE, alpha, 0f);
        Tensor out = binary("add", BinaryOp.ADD, a, bb, DType.FLOAT32);
        return record(out, "AddBackward0", a, b,
                (g, ctx) -> grads(g, alpha == 1f ? g : g.mul(alpha)));
    }

    static Tensor sub(Tensor a, Tensor b, float alpha) {
        Tensor bb = alpha == 1f ? b : unary(b, UnaryOp.AFFINE, alpha, 0f);
        Tensor out = binary("sub", BinaryOp.SUB, a, bb, DType.FLOAT32);
        return record(out, "SubBackward0", a, b,
                (g, ctx) -> grads(g, ctx.needs(1) ? g.mul(-alpha) : null));
    }

    static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binary("mul", BinaryOp.MUL, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(out, "MulBackward0", a, b,
                (g, ctx) -> grads(ctx.needs(0) ? g.mul(ctx.saved(1)) : null, ctx.needs(1) ? g.mul(ctx.saved(0)) : null),
                b.requiresGrad() ? a : null, a.requiresGrad() ? b : null);
    }

    static Tensor div(Tensor a, Tensor b) {
        Tensor out = binary("div", BinaryOp.DIV, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(out, "DivBackward0", a, b, (g, ctx) -> {
            Tensor bs = ctx.saved(1);
            return grads(ctx.needs(0) ? g.div(bs) : null,
                    ctx.needs(1) ? g.neg().mul(ctx.saved(0)).div(bs.mul(bs)) : null);
        }, b.requiresGrad() ? a : null, b);
    }

    static Tensor addScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, 1f, s), "AddBackward0", x, (g, ctx) -> grads(g));
    }

    static Tensor subScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, 1f, -s), "SubBackward0", x, (g, ctx) -> grads(g));
    }

    static Tensor rsubScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, -1f, s), "RsubBackward1", x, (g, ctx) -> grads(g.neg()));
    }

    static Tensor mulScalar(Tensor x, float s) {
        return record(unary(x, UnaryOp.AFFINE, s, 0f), "MulBackward0", x, (g, ctx) -> grads(g.mul(s)));
    }

    static Tensor divScalar(Tensor x, float s) {
        // x / s, not x * (1/s): the same rounding as PyTorch
        Tensor out = binary("div", BinaryOp.DIV, x, x.scalarLike(s), DType.FLOAT32);
        return record(out, "DivBackward0", x, (g, ctx) -> grads(g.div(s)));
    }

    static Tensor neg(Tensor x) {
        return record(unary(x, UnaryOp.NEG, 0f, 0f), "NegBackward0", x, (g, ctx) -> grads(g.neg()));
    }

    static Tensor pow(Tensor x, float p) {
        Tensor out = unary(x, UnaryOp.POW, p, 0f);
        return record(out, "PowBackward0", x, (g, ctx) -> {
            if (p == 0f) return grads(Tensor.zerosLike(g));
            Tensor xs = ctx.saved(0);
            return grads(g.mul(xs.pow(p - 1f).mul(p)));
        }, x);
    }

    static Tensor pow(Tensor a, Tensor b) {
        Tensor out = binary("pow", BinaryOp.POW, a, b, DType.FLOAT32);
        if (!needsGrad(a, b)) return out;
        return record(out, "PowBackward1", a, b, (g, ctx) -> {
            Tensor as = ctx.saved(0), bs = ctx.saved(1);
            // d/da a^b = b a^(b-1), taken as 0 where b == 0 (0 * 0^-1 would be NaN at a == 0)
            Tensor ga = ctx.needs(0) ? Torch.where(bs.eq(0f), g.scalarLike(0f), g.mul(bs.mul(as.pow(bs.sub(1f))))) : null;
            Tensor gb = null;
            if (ctx.needs(1)) {
                // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention)
                Tensor mask = as.eq(0f).logicalAnd(bs.ge(0f));
                gb = Torch.where(mask, g.scalarLike(0f), g.mul(ctx.saved(2)).mul(as.log()));
            }
            return grads(ga, gb);
        }, a, b, out);
    }

    /** {@code base ^ x} for a scalar base. */
    static Tensor pow(float base, Tensor x) {
        Tensor out = unary(x, UnaryOp.POW_BASE, base, 0f);
        float lnBase = (float) Math.log(base);
        return record(out, "PowBackward2", x, (g, ctx) -> {
            Tensor gx = g.mul(ctx.saved(0)).mul(lnBase);
            // d/dx 0^x taken as 0 where x >= 0 (PyTorch's convention; 0 * ln 0 would be NaN)
            return grads(base == 0f ? Torch.where(ctx.saved(1).ge(0f), g.scalarLike(0f), gx) : gx);
        }, out, base == 0f ? x : null);
    }

    static Tensor maximum(Tensor a, Tensor b) {
        return extremum(a, b, true);
    }

    static Tensor minimum(Tensor a, Tensor b) {
        return extremum(a, b, false);
    }

    private static Tensor extremum(Tensor a, Tensor b, boolean max) {
        Tensor out = binary(max ? "maximum" : "minimum", max ? BinaryOp.MAXIMUM : BinaryOp.MINIMUM, a, b, DType.FLOAT32);
        return record(out, max ? "MaximumBackward0" : "MinimumBackward0", a, b, (g, ctx) -> {
            Tensor as = ctx.saved(0), bs = ctx.saved(1);
            // the winner takes the gradient; ties split it evenly
            Tensor wins = (max ? as.gt(bs) : as.lt(bs)).add(as.eq(bs).mul(0.5f));
            return grads(ctx.needs(0) ? g.mul(wins) : null, ctx.needs(1) ? g.mul(wins.rsub(1f)) : null);
        }, a, b);
    }

    // ---- functions -----------------------------------------------------------------------------

    static Tensor exp(Tensor x) {
        Tensor out = unary(x, UnaryOp.EXP, 0f, 0f);
        return record(out, "ExpBackward0", x, (g, ctx) -> grads(g.mul(ctx.saved(0))), out);
    }

    static Tensor log(Tensor x) {
        return record(unary(x, UnaryOp.LOG, 0f, 0f), "LogBackward0", x, (g, ctx) -> grads(g.div(ctx.saved(0))), x);
    }

    static Tensor sqrt(Tensor x) {
        Tensor out = unary(x, UnaryOp.SQRT, 0f, 0f);
        return record(out, "SqrtBackward0", x, (g, ctx) -> grads(g.div(ctx.saved(0).mul(2f))), out);
    }

    static Tensor abs(Tensor x) {
        return record(unary(x, UnaryOp.ABS, 0f, 0f), "AbsBackward0", x, (g, ctx) -> grads(g.mul(ctx.saved(0).sign())), x);
    }

    static Tensor sign(Tensor x) {
        return record(unary(x, UnaryOp.SIGN, 0f, 0f), "SignBackward0", x, (g, ctx) -> grads(Tensor.zerosLike(g)));
    }

    static Tensor reciprocal(Tensor x) {
        Tensor out = unary(x, UnaryOp.RECIPROCAL, 0f, 0f);
        return record(out, "ReciprocalBackward0", x, (g, ctx) -> {
            Tensor y = ctx.saved(0);
            return grads(g.neg().mul(y.mul(y)));
        }, out);
    }

    static Tensor tanh(Tensor x) {
        Tensor out = unary(x, UnaryOp.TANH, 0f, 0f);
        return record(out, "TanhBackward0", x, (g, ctx) -> grads(tanhBackward(g, ctx.saved(0))), out);
    }

    static Tensor sigmoid(Tensor x) {
        Tensor out = unary(x, UnaryOp.SIGMOID, 0f, 0f);
        return record(out, "SigmoidBackward0", x, (g, ctx) -> grads(sigmoidBackward(g, ctx.saved(0))), out);
    }

    static Tensor relu(Tensor x) {
        Tensor out = unary(x, UnaryOp.RELU, 0f, 0f);
        return record(out, "ReluBackward0", x, (g, ctx) -> grads(thresholdBackward(g, ctx.saved(0))), out);
    }

    // Fused activation backwards (one kernel pass each), ops in their own right so that
    // gradients of gradients flow through them (PyTorch's tanh_backward, sigmoid_backward,
    // threshold_backward and their backward rules).

    /** {@code g * (1 - y²)}. */
    static Tensor tanhBackward(Tensor g, Tensor y) {
        Tensor out = binary("tanh_backward", BinaryOp.TANH_BACKWARD, g, y, DType.FLOAT32);
        if (!needsGrad(g, y)) return out;
        return record(out, "TanhBackwardBackward0", g, y, (gg, ctx) -> {
            Tensor g0 = ctx.saved(0), y0 = ctx.saved(1);
            return grads(ctx.needs(0) ? tanhBackward(gg, y0) : null, ctx.needs(1) ? gg.mul(g0).mul(y0).mul(-2f) : null);
        }, y.requiresGrad() ? g : null, y);
    }

    /** {@code g * y * (1 - y)}. */
    static Tensor sigmoidBackward(Tensor g, Tensor y) {
        Tensor out = binary("sigmoid_backward", BinaryOp.SIGMOID_BACKWARD, g, y, DType.FLOAT32);
        if (!needsGrad(g, y)) return out;
        return record(out, "SigmoidBackwardBackward0", g, y, (gg, ctx) -> {
            Tensor g0 = ctx.saved(0), y0 = ctx.saved(1);
            return grads(ctx.needs(0) ? sigmoidBackward(gg, y0) : null,
                    ctx.needs(1) ? gg.mul(g0).mul(y0.mul(-2f).add(1f)) : null);
        }, y.requiresGrad() ? g : null, y);
    }

    /** {@code y > 0 ? g : 0}; flat in y, so y gets no gradient. */
    static Tensor thresholdBackward(Tensor g, Tensor y) {
        Tensor out = binary("threshold_backward", BinaryOp.RELU_BACKWARD, g, y, DType.FLOAT32);
        return record(out, "ThresholdBackwardBackward0", g, y,
                (gg, ctx) -> grads(thresholdBackward(gg, ctx.saved(0)), ctx.needs(1) ? Tensor.zerosLike(gg) : null), y);
    }

    /** {@code torch.clamp}: either bound may be null (none on that side), not both. */
    static Tensor clamp(Tensor x, Float min, Float max) {
        if (min == null && max == null) {
            throw new IllegalArgumentException("clamp: At least one of 'min' or 'max' must not be None (null)");
        }
        return clamp(x, min, max, "ClampBackward1");
    }

    /** {@code clamp_min} and {@code clamp_max} are ops of their own in PyTorch, with their own grad_fn names. */
    static Tensor clampMin(Tensor x, float min) {
        return clamp(x, min, null, "ClampMinBackward0");
    }

    static Tensor clampMax(Tensor x, float max) {
        return clamp(x, null, max, "ClampMaxBackward0");
    }

    private static Tensor clamp(Tensor x, Float min, Float max, String name) {
        boolean lo = min != null, hi = max != null;
        float a = lo ? min : Float.NaN, b = hi ? max : Float.NaN; // the kernel reads NaN as "no bound"
        Tensor out;
        if ((lo && Float.isNaN(a)) || (hi && Float.isNaN(b))) {
            // a NaN bound makes every element NaN, as in PyTorch (not "no bound")
            out = x.newUninitialized(x.shape, DType.FLOAT32);
            x.backend().fill(out.buffer, out.layout(), Float.NaN);
        } else {
            out = unary(x, UnaryOp.CLAMP, a, b);
        }
        return record(out, name, x, (g, ctx) -> {
            Tensor xs = ctx.saved(0);
            Tensor mask = !lo ? xs.le(b) : !hi ? xs.ge(a) : xs.ge(a).logicalAnd(xs.le(b));
            return grads(Torch.where(mask, g, 0f)); // where, not a product: an infinite gradient stops at a bound too
        }, x);
    }

    // ---- selection and comparison --------------------------------------------------------------

    /** {@code cond ? a : b} elementwise, all three broadcast together. */
    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Devices.checkSame(cond, a, b);
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape, a.shape), b.shape);
        Tensor out = a.newUninitialized(shape, DType.FLOAT32);
        a.backend().where(cond.buffer, Shapes.broadcastLayout(cond, shape), a.buffer, Shapes.broadcastLayout(a, shape),
                b.buffer, Shapes.broadcastLayout(b, shape), out.buffer);
        if (!needsGrad(a, b)) return out;
        return record(out, "WhereBackward0", a, b, (g, ctx) -> {
            Tensor c = ctx.saved(0), zero = g.scalarLike(0f);
            return grads(ctx.needs(0) ? Torch.where(c, g, zero) : null, ctx.needs(1) ? Torch.where(c, zero, g) : null);
        }, cond);
    }

    static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        return binary(op.name().toLowerCase(), op, a, b, DType.BOOL);
    }

    static Tensor logicalAnd(Tensor a, Tensor b) {
        Tensor prod = binary("logicalAnd", BinaryOp.MUL, a, b, DType.FLOAT32);
        return binary("logicalAnd", BinaryOp.NE, prod, prod.scalarLike(0f), DType.BOOL);
    }

    // ---- direct in-place kernels (unrecorded in-place ops write into self's own storage) --------

    /** Kernels write their output contiguously from index 0: self must be laid out exactly so. */
    private static boolean denseFromZero(Tensor self) {
        return self.offset == 0 && self.isContiguous();
    }

    static boolean unaryInto(Tensor self, UnaryOp op, float p0, float p1) {
        if (!denseFromZero(self)) return false;
        self.backend().unary(op, p0, p1, self.buffer, self.layout(), self.buffer);
        return true;
    }

    /** In-place op names for messages ("sub_"), made once: lower-casing per call showed in profiles. */
    private static final String[] NAMES_ = java.util.Arrays.stream(BinaryOp.values()).map(o -> o.name().toLowerCase() + "_")
            .toArray(String[]::new);

    /** Whether {@code self op= other} can write straight into self's storage (other broadcasts to self). */
    private static boolean writableInPlace(Tensor self, BinaryOp op, Tensor other) {
        Devices.checkSame(self, other);
        return denseFromZero(self)
                && java.util.Arrays.equals(Shapes.broadcast(NAMES_[op.ordinal()], self.shape, other.shape), self.shape);
    }

    static boolean binaryInto(Tensor self, BinaryOp op, Tensor other) {
        if (!writableInPlace(self, op, other)) return false;
        self.backend().binary(op, self.buffer, self.layout(), other.buffer, Shapes.broadcastLayout(other, self.shape), self.buffer);
        return true;
    }

    /** {@code self op= alpha * other}: one fused pass for ADD and SUB (an optimizer's update). */
    static boolean binaryInto(Tensor self, BinaryOp op, Tensor other, float alpha) {
        if (alpha == 1f) return binaryInto(self, op, other);
        if (op != BinaryOp.ADD && op != BinaryOp.SUB) return binaryInto(self, op, unary(other, UnaryOp.AFFINE, alpha, 0f));
        if (!writableInPlace(self, op, other)) return false;
        self.backend().binaryScaled(op, self.buffer, self.layout(), other.buffer, Shapes.broadcastLayout(other, self.shape), alpha,
                self.buffer);
        return true;
    }

    static boolean fillInto(Tensor self, float v) {
        self.backend().fill(self.buffer, self.layout(), v);
        return true;
    }

    static boolean copyInto(Tensor self, Tensor src) {
        Devices.checkSame(self, src);
        if (!java.util.Arrays.equals(Shapes.broadcast("copy_", src.shape, self.shape), self.shape)) return false;
        self.backend().copy(src.buffer, Shapes.broadcastLayout(src, self.shape), self.buffer, self.layout());
        return true;
    }

    // ---- out-of-place forms of fill_ and copy_ (used by the in-place machinery) ----------------

    static Tensor fill(Tensor x, float v) {
        Tensor out = v == 0f ? x.newEmpty(x.shape, DType.FLOAT32) : x.newUninitialized(x.shape, DType.FLOAT32);
        if (v != 0f) out.backend().fill(out.buffer, out.layout(), v);
        return record(out, v == 0f ? "ZeroBackward0" : "FillBackward0", x, (g, ctx) -> grads(Tensor.zerosLike(g)));
    }

    static Tensor copy(Tensor self, Tensor src) {
        Devices.checkSame(self, src);
        Tensor out = self.newUninitialized(self.shape, self.dtype);
        int[] shape = Shapes.broadcast("copy_", src.shape, self.shape);
        if (!java.util.Arrays.equals(shape, self.shape)) {
            throw new IllegalArgumentException("copy_: source of shape " + java.util.Arrays.toString(src.shape)
                    + " cannot be broadcast to destination shape " + java.util.Arrays.toString(self.shape));
        }
        out.backend().copy(src.buffer, Shapes.broadcastLayout(src, self.shape), out.buffer, out.layout());
        return record(out, "CopyBackwards", self, src, (g, ctx) -> grads(ctx.needs(0) ? Tensor.zerosLike(g) : null, g));
    }
}
