package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.ModeScope;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.Layout;

/**
 * scaled_dot_product_attention: {@code dropout(softmax(scale·Q Kᵀ + mask)) V} as one recorded node,
 * {@code ScaledDotProductFlashAttentionForCpuBackward0} (the node PyTorch's CPU flash kernel records;
 * PyTorch falls back to its unfused math path, several nodes, for dropout, E ≠ Ev or broadcast batch
 * dimensions, which this one node also covers). The forward runs the backend's blocked kernel and keeps
 * q, k, v, the output and each row's log-sum-exp; the backward recomputes the probabilities from them
 * (and the dropout seed), so the saved state is linear in the sequence length. When the backward is
 * itself recorded (createGraph) or the float mask wants a gradient, it is written with tensor ops
 * instead, making the queries×keys matrices, so that it can be differentiated again.
 */
public final class ScaledDotProductAttention {
    private ScaledDotProductAttention() {}

    private static final String OP = "scaled_dot_product_attention";

    public static Tensor scaledDotProductAttention(
            Tensor q,
            Tensor k,
            Tensor v,
            Tensor mask,
            double dropoutP,
            boolean isCausal,
            Double scale,
            Generator generator) {
        int[] qs = shape(q), ks = shape(k), vs = shape(v);
        if (qs.length < 2 || ks.length < 2 || vs.length < 2)
            throw new IllegalArgumentException(OP
                    + ": Expected query, key, and value to all be at least 2 dimensional, "
                    + "but got query.dim: " + qs.length + " key.dim: " + ks.length + " and value.dim: " + vs.length
                    + " instead.");
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype())
            throw new IllegalArgumentException(OP + ": Expected query, key, and value to have the same dtype, but got "
                    + "query.dtype: " + q.dtype() + " key.dtype: " + k.dtype() + " and value.dtype: " + v.dtype()
                    + " instead.");
        if (!q.dtype().isFloatingPoint())
            throw new IllegalArgumentException(
                    OP + ": Expected query, key, and value to be floating point, but got " + q.dtype());
        if (mask == null) checkSameDevice(q, k, v);
        else checkSameDevice(q, k, v, mask);
        int L = qs[qs.length - 2], E = qs[qs.length - 1], S = ks[ks.length - 2], Ev = vs[vs.length - 1];
        if (ks[ks.length - 1] != E)
            throw new IllegalArgumentException(OP + ": query and key must have the same last dimension (the embedding "
                    + "size E), but got query " + Arrays.toString(qs) + " and key " + Arrays.toString(ks));
        if (vs[vs.length - 2] != S)
            throw new IllegalArgumentException(OP + ": key and value must have the same sequence length (dimension "
                    + "-2), but got key " + Arrays.toString(ks) + " and value " + Arrays.toString(vs));
        int[] batch = Shapes.broadcast(OP, Shapes.broadcast(OP, lead(qs), lead(ks)), lead(vs));
        int[] weights = with(batch, L, S);
        if (mask != null) {
            if (isCausal)
                throw new IllegalArgumentException(OP + ": Explicit attn_mask should not be set when is_causal=True");
            if (mask.dtype() != DType.BOOL && mask.dtype() != DType.FLOAT32)
                throw new IllegalArgumentException(OP + ": Expected attn_mask dtype to be bool or float or to match "
                        + "query dtype, but got attn_mask.dtype: " + mask.dtype() + " and query.dtype: " + q.dtype()
                        + " instead.");
            if (!broadcastsTo(shape(mask), weights))
                throw new IllegalArgumentException(OP + ": attn_mask of shape " + Arrays.toString(shape(mask))
                        + " cannot be broadcast to the attention weights' shape " + Arrays.toString(weights)
                        + " (batch dimensions, L, S)");
        }
        if (!(dropoutP >= 0 && dropoutP <= 1))
            throw new IllegalArgumentException(
                    OP + ": dropout probability has to be between 0 and 1, but got " + dropoutP);
        float sc = scale != null ? scale.floatValue() : (float) (1 / Math.sqrt(E));
        long seed = dropoutP > 0
                ? (generator != null ? generator : Generator.defaultGenerator()).nextLong()
                : 0L; // the dropout mask is a function of this seed: backward draws it again
        Attention a = new Attention(Layout.numel(batch), L, S, E, Ev, sc, isCausal, (float) dropoutP, seed);

        Tensor out, lse;
        try (ModeScope m = GradMode.noGrad()) {
            out = newUninitialized(q, with(batch, L, Ev), DType.FLOAT32);
            lse = newUninitialized(q, with(batch, L), DType.FLOAT32);
            backend(q)
                    .attention(
                            a,
                            buffer(dense(q, with(batch, L, E))),
                            buffer(dense(k, with(batch, S, E))),
                            buffer(dense(v, with(batch, S, Ev))),
                            maskOperand(mask, weights),
                            buffer(out),
                            buffer(lse));
        }
        return record(
                out,
                "ScaledDotProductFlashAttentionForCpuBackward0",
                new Tensor[] {q, k, v, mask},
                new Tensor[] {q, k, v, out, lse, mask},
                (g, ctx) -> {
                    Tensor q0 = ctx.saved(0), k0 = ctx.saved(1), v0 = ctx.saved(2);
                    Tensor m0 = mask == null ? null : ctx.saved(5);
                    if (GradMode.isEnabled() || ctx.needs(3))
                        return differentiableBackward(a, g, q0, k0, v0, m0, ctx.saved(4), batch);
                    Tensor gq = newUninitialized(q0, with(batch, L, E), DType.FLOAT32);
                    Tensor gk = newUninitialized(q0, with(batch, S, E), DType.FLOAT32);
                    Tensor gv = newUninitialized(q0, with(batch, S, Ev), DType.FLOAT32);
                    backend(q0)
                            .attentionBackward(
                                    a,
                                    buffer(dense(q0, with(batch, L, E))),
                                    buffer(dense(k0, with(batch, S, E))),
                                    buffer(dense(v0, with(batch, S, Ev))),
                                    maskOperand(m0, weights),
                                    buffer(dense(ctx.saved(3), with(batch, L, Ev))),
                                    buffer(ctx.saved(4)),
                                    buffer(dense(g, with(batch, L, Ev))),
                                    buffer(gq),
                                    buffer(gk),
                                    buffer(gv));
                    return new Tensor[] {gq, gk, gv, null}; // OpNode sums broadcast batch dimensions back
                });
    }

    /**
     * The gradients as tensor ops of q, k, v and g (so they are differentiable again): the
     * probabilities recomputed as a softmax of the scores (rows whose saved log-sum-exp is -inf, every
     * key masked, give zeros), then the products' and softmax's rules; the float mask's gradient is
     * that of the scores.
     */
    private static Tensor[] differentiableBackward(
            Attention a, Tensor g, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor lse, int[] batch) {
        int L = a.queries(), S = a.keys();
        Tensor s = q.matmul(k.transpose(-2, -1)).mul(a.scale());
        if (mask != null)
            s = mask.dtype() == DType.BOOL ? s.maskedFill(mask.eq(0f), Float.NEGATIVE_INFINITY) : s.add(mask);
        if (a.causal())
            s = s.maskedFill(Triangular.triangle(onesLike(q, L, S), 1, false).ne(0f), Float.NEGATIVE_INFINITY);
        Tensor dead = lse.eq(Float.NEGATIVE_INFINITY).unsqueeze(-1), zero = scalarLike(q, 0f);
        Tensor p =
                Comparisons.where(dead, zero, Comparisons.where(dead, zero, s).softmax(-1));
        Tensor pd = p;
        Tensor z = null;
        if (a.dropoutP() > 0f) {
            z = dropoutFactors(a, q, with(batch, L, S));
            pd = p.mul(z);
        }
        Tensor gv = pd.transpose(-2, -1).matmul(g);
        Tensor dp = g.matmul(v.transpose(-2, -1));
        if (z != null) dp = dp.mul(z);
        Tensor ds = p.mul(dp.sub(dp.mul(p).sum(-1, true)));
        Tensor gq = ds.matmul(k).mul(a.scale());
        Tensor gk = ds.transpose(-2, -1).matmul(q).mul(a.scale());
        return new Tensor[] {gq, gk, gv, mask != null && mask.requiresGrad() ? ds : null};
    }

    /** The dropout mask the kernels draw, as a tensor of factors 0 or 1/(1-p) (the double-backward path only). */
    private static Tensor dropoutFactors(Attention a, Tensor like, int[] shape) {
        float[] z = new float[Layout.numel(shape)];
        float keep = a.dropoutScale();
        int keys = a.keys();
        for (int i = 0; i < z.length; i++)
            z[i] = Attention.dropoutUniform(a.seed(), i / keys, i % keys) >= a.dropoutP() ? keep : 0f;
        return newOf(like, z, shape);
    }

    private static Tensor onesLike(Tensor like, int rows, int cols) {
        float[] ones = new float[rows * cols];
        Arrays.fill(ones, 1f);
        return newOf(like, ones, rows, cols);
    }

    /** The mask as the kernels read it: broadcast to the weights' shape by its strides, no copy. */
    private static AttentionMask maskOperand(Tensor mask, int[] weights) {
        return mask == null
                ? null
                : new AttentionMask(buffer(mask), Shapes.broadcastLayout(mask, weights), mask.dtype() == DType.FLOAT32);
    }

    /** {@code t} broadcast to {@code shape}, contiguous from offset 0 (itself when it already is). */
    private static Tensor dense(Tensor t, int[] shape) {
        Layout l = TensorInternals.layout(t);
        if (Arrays.equals(l.shape(), shape) && l.isContiguous() && l.offset() == 0) return t;
        Tensor d = newUninitialized(t, shape, DType.FLOAT32);
        backend(t).copy(buffer(t), Shapes.broadcastLayout(t, shape), buffer(d), Layout.contiguous(shape));
        return d;
    }

    /** Whether {@code from} expands to {@code to} (aligned from the right, sizes equal or 1). */
    private static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) return false;
        for (int i = 1; i <= from.length; i++) {
            int f = from[from.length - i];
            if (f != 1 && f != to[to.length - i]) return false;
        }
        return true;
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }

    private static int[] with(int[] batch, int... last) {
        int[] s = Arrays.copyOf(batch, batch.length + last.length);
        System.arraycopy(last, 0, s, batch.length, last.length);
        return s;
    }
}
