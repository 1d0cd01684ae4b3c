package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.alias;
import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.newUninitialized;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;
import static org.grad4j.core.autograd.Recorder.record;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.StridedMatrix;

/** mm, bmm, mv, dot, addmm, baddbmm and matmul (which dispatches to them, as PyTorch's does). */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    private static void check(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }

    /** out (batch×m×n, fresh) = alpha*a@b + beta*out; a is batch×m×k, b batch×k×n, given as 3-d views. */
    private static void gemm(Tensor a3, Tensor b3, Tensor out, float alpha, float beta) {
        checkSameDevice(a3, b3, out);
        int batch = shape(a3)[0], m = shape(a3)[1], k = shape(a3)[2], n = shape(b3)[2];
        backend(out).matmul(batch, m, n, k, matrix(a3), matrix(b3), buffer(out), alpha, beta);
    }

    /** A 3-d view as the batch of matrices a backend multiplies. */
    private static StridedMatrix matrix(Tensor t3) {
        int[] s = strides(t3);
        return new StridedMatrix(buffer(t3), t3.storageOffset(), s[0], s[1], s[2]);
    }

    private static Tensor as3d(Tensor t) {
        return alias(
                t,
                new Layout(
                        new int[] {1, shape(t)[0], shape(t)[1]},
                        new int[] {0, strides(t)[0], strides(t)[1]},
                        t.storageOffset()));
    }

    public static Tensor mm(Tensor a, Tensor b) {
        check(
                a.dim() == 2,
                "mm: self must be a matrix, got shape " + Arrays.toString(shape(a)) + "; use matmul for other ranks");
        check(
                b.dim() == 2,
                "mm: mat2 must be a matrix, got shape " + Arrays.toString(shape(b)) + "; use matmul (or mv) for "
                        + "other ranks");
        check(
                shape(a)[1] == shape(b)[0],
                "mm: mat1 and mat2 shapes cannot be multiplied (" + shape(a)[0] + "x" + shape(a)[1]
                        + " and " + shape(b)[0] + "x" + shape(b)[1]
                        + "): the columns of mat1 must equal the rows of mat2; transpose "
                        + "or reshape an operand");
        Tensor out = newUninitialized(a, new int[] {shape(a)[0], shape(b)[1]}, DType.FLOAT32);
        gemm(as3d(a), as3d(b), out, 1f, 0f);
        if (!Recorder.needsGrad(a, b)) return out;
        return record(
                out,
                "MmBackward0",
                a,
                b,
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? g.mm(ctx.saved(1).t()) : null,
                    ctx.needs(1) ? mat2Grad(ctx.saved(0), g, strides(b)) : null
                },
                b.requiresGrad() ? a : null,
                a.requiresGrad() ? b : null);
    }

    /**
     * {@code a.t() @ g}, laid out like mat2 was: when mat2 is a transposed contiguous matrix (a Linear
     * layer's {@code w.t()}), computing {@code (g.t() @ a).t()} makes the weight's gradient come out
     * contiguous, so accumulating it is a plain copy (PyTorch's mm_mat2_backward does the same).
     */
    private static Tensor mat2Grad(Tensor a, Tensor g, int[] mat2Strides) {
        boolean transposed = mat2Strides[0] == 1 && mat2Strides[1] != 1;
        return transposed ? g.t().mm(a).t() : a.t().mm(g);
    }

    public static Tensor bmm(Tensor a, Tensor b) {
        check(a.dim() == 3, "bmm: batch1 must be a 3D tensor, got shape " + Arrays.toString(shape(a)));
        check(b.dim() == 3, "bmm: batch2 must be a 3D tensor, got shape " + Arrays.toString(shape(b)));
        check(
                shape(a)[0] == shape(b)[0],
                "bmm: batch1 and batch2 must have same number of batches, got " + shape(a)[0] + " and " + shape(b)[0]);
        check(
                shape(a)[2] == shape(b)[1],
                "bmm: Expected size for first two dimensions of batch2 tensor to be: [" + shape(a)[0] + ", "
                        + shape(a)[2] + "] but got: [" + shape(b)[0] + ", " + shape(b)[1] + "].");
        Tensor out = newUninitialized(a, new int[] {shape(a)[0], shape(a)[1], shape(b)[2]}, DType.FLOAT32);
        gemm(a, b, out, 1f, 0f);
        if (!Recorder.needsGrad(a, b)) return out;
        return record(
                out,
                "BmmBackward0",
                a,
                b,
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? g.bmm(ctx.saved(1).transpose(1, 2)) : null,
                    ctx.needs(1) ? ctx.saved(0).transpose(1, 2).bmm(g) : null
                },
                b.requiresGrad() ? a : null,
                a.requiresGrad() ? b : null);
    }

    public static Tensor mv(Tensor a, Tensor v) {
        check(
                a.dim() == 2 && v.dim() == 1,
                "mv: expected a matrix and a vector, got shapes " + Arrays.toString(shape(a)) + " and "
                        + Arrays.toString(shape(v)));
        check(
                shape(a)[1] == shape(v)[0],
                "mv: size mismatch, got input (" + shape(a)[0] + "x" + shape(a)[1] + "), vec (" + shape(v)[0] + ")");
        Tensor out = newUninitialized(a, new int[] {shape(a)[0]}, DType.FLOAT32);
        Tensor v3 =
                alias(v, new Layout(new int[] {1, shape(v)[0], 1}, new int[] {0, strides(v)[0], 1}, v.storageOffset()));
        gemm(as3d(a), v3, out, 1f, 0f);
        if (!Recorder.needsGrad(a, v)) return out;
        return record(
                out,
                "MvBackward0",
                a,
                v,
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? g.unsqueeze(1).mm(ctx.saved(1).unsqueeze(0)) : null,
                    ctx.needs(1) ? ctx.saved(0).t().mv(g) : null
                },
                v.requiresGrad() ? a : null,
                a.requiresGrad() ? v : null);
    }

    public static Tensor dot(Tensor a, Tensor b) {
        check(
                a.dim() == 1 && b.dim() == 1,
                "dot: 1D tensors expected, but got " + a.dim() + "D and " + b.dim() + "D tensors");
        check(
                shape(a)[0] == shape(b)[0],
                "dot: inconsistent tensor size, expected tensor [" + shape(a)[0]
                        + "] and src [" + shape(b)[0] + "] to have the same number of elements, but got " + shape(a)[0]
                        + " and "
                        + shape(b)[0] + " elements respectively");
        Tensor out = newUninitialized(a, new int[0], DType.FLOAT32);
        Tensor a3 =
                alias(a, new Layout(new int[] {1, 1, shape(a)[0]}, new int[] {0, 0, strides(a)[0]}, a.storageOffset()));
        Tensor b3 =
                alias(b, new Layout(new int[] {1, shape(b)[0], 1}, new int[] {0, strides(b)[0], 1}, b.storageOffset()));
        gemm(a3, b3, out, 1f, 0f);
        if (!Recorder.needsGrad(a, b)) return out;
        return record(
                out,
                "DotBackward0",
                a,
                b,
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? ctx.saved(1).mul(g) : null,
                    ctx.needs(1) ? ctx.saved(0).mul(g) : null
                },
                b.requiresGrad() ? a : null,
                a.requiresGrad() ? b : null);
    }

    /** {@code beta*input + alpha*(a @ b)}, input broadcast to the product's shape (the Linear layer's op). */
    public static Tensor addmm(Tensor input, Tensor a, Tensor b, float beta, float alpha) {
        checkSameDevice(input, a, b);
        check(
                a.dim() == 2 && b.dim() == 2,
                "addmm: mat1 and mat2 must be matrices, got shapes " + Arrays.toString(shape(a)) + " and "
                        + Arrays.toString(shape(b)));
        check(
                shape(a)[1] == shape(b)[0],
                "addmm: mat1 and mat2 shapes cannot be multiplied (" + shape(a)[0] + "x" + shape(a)[1] + " and "
                        + shape(b)[0] + "x" + shape(b)[1] + ")");
        int[] shape = {shape(a)[0], shape(b)[1]};
        int[] bshape = Shapes.broadcast("addmm", shape(input), shape);
        check(
                Arrays.equals(bshape, shape),
                "addmm: input of shape " + Arrays.toString(shape(input))
                        + " cannot be broadcast to the product's shape " + Arrays.toString(shape));
        Tensor out = newUninitialized(a, shape, DType.FLOAT32);
        Layout c = Shapes.broadcastLayout(input, shape);
        Tensor a3 = as3d(a), b3 = as3d(b);
        backend(out)
                .addmm(
                        buffer(input),
                        new Layout(
                                new int[] {1, shape[0], shape[1]},
                                new int[] {0, c.strides()[0], c.strides()[1]},
                                c.offset()),
                        1,
                        shape[0],
                        shape[1],
                        shape(a)[1],
                        matrix(a3),
                        matrix(b3),
                        buffer(out),
                        alpha,
                        beta);
        Tensor[] inputs = {input, a, b};
        if (!Recorder.needsGrad(inputs)) return out;
        return Recorder.record(
                out,
                "AddmmBackward0",
                inputs,
                new Tensor[] {b.requiresGrad() ? a : null, a.requiresGrad() ? b : null},
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? (beta == 1f ? g : g.mul(beta)) : null,
                    ctx.needs(1) ? scale(g.mm(ctx.saved(1).t()), alpha) : null,
                    ctx.needs(2) ? scale(mat2Grad(ctx.saved(0), g, strides(b)), alpha) : null
                });
    }

    /**
     * {@code beta*input + alpha*(batch1 @ batch2)} over a batch of matrices, input broadcast to the
     * product's shape; with {@code beta == 0} input is not read (its NaNs and infinities are ignored).
     */
    public static Tensor baddbmm(Tensor input, Tensor b1, Tensor b2, float beta, float alpha) {
        checkSameDevice(input, b1, b2);
        if (b1.dim() != 3 || b2.dim() != 3) { // messages built only on failure (attention calls this per step)
            throw new IllegalArgumentException("baddbmm: batch" + (b1.dim() != 3 ? 1 : 2)
                    + " must be a 3D tensor, got shape " + Arrays.toString(shape(b1.dim() != 3 ? b1 : b2)));
        }
        int batch = shape(b1)[0], m = shape(b1)[1], k = shape(b1)[2], n = shape(b2)[2];
        if (shape(b2)[0] != batch || shape(b2)[1] != k) {
            throw new IllegalArgumentException(
                    "baddbmm: Expected size for first two dimensions of batch2 tensor to be: [" + batch + ", " + k
                            + "] but got: [" + shape(b2)[0] + ", " + shape(b2)[1] + "].");
        }
        int[] shape = {batch, m, n};
        checkExpandable("baddbmm", shape(input), shape);
        Tensor out = newUninitialized(b1, shape, DType.FLOAT32);
        backend(out)
                .addmm(
                        buffer(input),
                        Shapes.broadcastLayout(input, shape),
                        batch,
                        m,
                        n,
                        k,
                        matrix(b1),
                        matrix(b2),
                        buffer(out),
                        alpha,
                        beta);
        Tensor[] inputs = {input, b1, b2};
        if (!Recorder.needsGrad(inputs)) return out;
        return Recorder.record(
                out,
                "BaddbmmBackward0",
                inputs,
                new Tensor[] {b2.requiresGrad() ? b1 : null, b1.requiresGrad() ? b2 : null},
                (g, ctx) -> new Tensor[] {
                    ctx.needs(0) ? (beta == 1f ? g : g.mul(beta)) : null,
                    ctx.needs(1) ? scale(g.bmm(ctx.saved(1).transpose(1, 2)), alpha) : null,
                    ctx.needs(2) ? scale(ctx.saved(0).transpose(1, 2).bmm(g), alpha) : null
                });
    }

    /**
     * {@code input @ weight.T + bias} over any leading dimensions, composed as PyTorch's linear is: a
     * 2-d input with a bias is one addmm (AddmmBackward0); a contiguous 3-d one (or 1-d) with a bias is
     * an addmm over its rows viewed back (ViewBackward0); otherwise matmul, then the bias added.
     */
    public static Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        // messages are built only on failure: this is every Linear layer's forward
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear(): weight must be 2-d [out_features, in_features], got shape "
                    + Arrays.toString(shape(weight)));
        }
        if (input.dim() == 0) {
            throw new IllegalArgumentException("linear(): input must have at least 1 dimension, got a 0-d tensor");
        }
        int in = shape(weight)[1], outF = shape(weight)[0];
        int d = input.dim(), last = shape(input)[d - 1];
        if (last != in) {
            int rows = d == 1 ? 1 : input.numel() / Math.max(last, 1);
            throw new IllegalArgumentException("linear(): mat1 and mat2 shapes cannot be multiplied (" + rows + "x"
                    + last + " and " + in + "x" + outF + "): input of shape " + Arrays.toString(shape(input))
                    + " needs a last dimension of " + in + " for weight of shape " + Arrays.toString(shape(weight)));
        }
        if (bias != null && bias.dim() > 1) {
            throw new IllegalArgumentException(
                    "linear(): bias must be 1-d [out_features], got shape " + Arrays.toString(shape(bias)));
        }
        if (bias != null) checkExpandable("linear", shape(bias), new int[] {outF});
        Tensor wt = weight.t();
        if (bias != null && d == 2) return addmm(bias, input, wt, 1f, 1f);
        if (bias != null && (d == 1 || (d == 3 && input.isContiguous()))) {
            int[] outShape = shape(input).clone();
            outShape[d - 1] = outF;
            return addmm(bias, input.reshape(-1, in), wt, 1f, 1f).view(outShape);
        }
        Tensor y = input.matmul(wt);
        return bias == null ? y : y.add(bias);
    }

    /** PyTorch's expand check and message: {@code from} must broadcast to exactly {@code to}. */
    private static void checkExpandable(String op, int[] from, int[] to) {
        if (from.length > to.length) {
            throw new IllegalArgumentException(op + ": the number of sizes provided (" + to.length + ") must be "
                    + "greater or equal to the number of dimensions in the tensor (" + from.length
                    + "); input of shape "
                    + Arrays.toString(from));
        }
        for (int i = 0; i < from.length; i++) {
            int d = to.length - from.length + i;
            if (from[i] != 1 && from[i] != to[d]) {
                throw new IllegalArgumentException(op + ": The expanded size of the tensor (" + to[d]
                        + ") must match the existing size (" + from[i] + ") at non-singleton dimension " + d
                        + ".  Target sizes: " + Arrays.toString(to) + ".  Tensor sizes: " + Arrays.toString(from));
            }
        }
    }

    private static Tensor scale(Tensor t, float alpha) {
        return alpha == 1f ? t : t.mul(alpha);
    }

    /** NumPy/PyTorch matmul: dot, mv, mm, or a broadcast batched product, by the operands' ranks. */
    public static Tensor matmul(Tensor a, Tensor b) {
        int da = a.dim(), db = b.dim();
        check(da > 0 && db > 0, "matmul: both arguments need at least 1 dimension, got " + da + "D and " + db + "D");
        // checked here for every case, so that the message names matmul and both shapes (not mm, mv or dot)
        int ka = shape(a)[da - 1], kb = shape(b)[db == 1 ? 0 : db - 2];
        check(
                ka == kb,
                "matmul: shapes " + Arrays.toString(shape(a)) + " and " + Arrays.toString(shape(b)) + " cannot be "
                        + "multiplied: the last dimension of the first (" + ka + ") must equal the "
                        + (db == 1 ? "length of the vector" : "second-to-last dimension of the second") + " (" + kb
                        + "); transpose "
                        + "or reshape an operand");
        if (da == 1 && db == 1) return dot(a, b);
        if (da == 2 && db == 1) return mv(a, b);
        if (da == 1 && db == 2) return a.unsqueeze(0).mm(b).squeeze(0);
        if (da == 2 && db == 2) return mm(a, b);
        if (da >= 3 && db <= 2) {
            // fold the batch into rows: (..., m, k) @ (k, n), or @ (k) with mv; then PyTorch's _unsafe_view
            // straight to the result shape (so grad_fn is UnsafeViewBackward0, as in PyTorch)
            int k = shape(a)[da - 1];
            int[] outShape = db == 1 ? Arrays.copyOf(shape(a), da - 1) : shape(a).clone();
            if (db == 2) outShape[da - 1] = shape(b)[1];
            Tensor folded = a.reshape(-1, k);
            return Views.unsafeView(db == 1 ? folded.mv(b) : folded.mm(b), outShape);
        }
        // general broadcast batched product
        Tensor a2 = da == 1 ? a.unsqueeze(0) : a, b2 = db == 1 ? b.unsqueeze(1) : b;
        int m = shape(a2)[a2.dim() - 2], k = shape(a2)[a2.dim() - 1], n = shape(b2)[b2.dim() - 1];
        int[] batchA = Arrays.copyOf(shape(a2), a2.dim() - 2), batchB = Arrays.copyOf(shape(b2), b2.dim() - 2);
        int[] batch = Shapes.broadcast("matmul", batchA, batchB);
        int nb = 1;
        for (int d : batch) nb *= d;
        int[] ea = concat(batch, m, k), eb = concat(batch, k, n);
        Tensor r = a2.expand(ea).reshape(nb, m, k).bmm(b2.expand(eb).reshape(nb, k, n));
        // PyTorch: one _unsafe_view of the bmm to the result shape, the vector dims already left out
        int[] outShape = Arrays.copyOf(batch, batch.length + (da == 1 ? 0 : 1) + (db == 1 ? 0 : 1));
        int o = batch.length;
        if (da != 1) outShape[o++] = m;
        if (db != 1) outShape[o] = n;
        return Views.unsafeView(r, outShape);
    }

    private static int[] concat(int[] head, int x, int y) {
        int[] out = Arrays.copyOf(head, head.length + 2);
        out[head.length] = x;
        out[head.length + 1] = y;
        return out;
    }
}
