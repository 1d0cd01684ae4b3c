package org.grad4j.core.tools;

import static org.grad4j.core.TensorInternals.newEmpty;
import static org.grad4j.core.TensorInternals.newOf;

import java.util.Arrays;
import java.util.function.Function;
import org.grad4j.core.Autograd;
import org.grad4j.core.DType;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;

/**
 * Functional transforms, as {@code torch.autograd.functional}: {@link #vjp}, {@link #jvp},
 * {@link #jacobian}, {@link #hessian}, {@link #hvp} and {@link #vhp} of a function of tensors.
 *
 * <p>The function is called on differentiable copies of the inputs (detached leaves that require
 * grad), with grad mode on, so it may be given tensors that do not require grad. Results are detached
 * unless {@code createGraph} is true; then they are differentiable functions of the original inputs
 * (those that require grad), for a further derivative. jvp uses the double-vjp trick: the vjp
 * {@code u -> J^T u} is linear in u, and its vjp with v is {@code J v}.
 */
public final class AutogradFunctional {
    private AutogradFunctional() {}

    /** The function's output and one product per input (null-free: zeros where an input is not used). */
    public record Result(Tensor output, Tensor[] products) {
        /** The product for the first (or only) input. */
        public Tensor product() {
            return products[0];
        }
    }

    // ---- vjp / jvp ---------------------------------------------------------------------------

    /** {@code v^T J}: one tensor per input, each of the input's shape. */
    public static Result vjp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor v) {
        return vjp(fn, inputs, v, false);
    }

    public static Result vjp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor v, boolean createGraph) {
        Tensor[] xs = differentiable(inputs, createGraph);
        Tensor out = call("vjp", fn, xs);
        Tensor vv = vectorFor("vjp", "v", v, out);
        Tensor[] g = out.requiresGrad()
                ? Autograd.grad(new Tensor[] {out}, xs, new Tensor[] {vv}, createGraph, createGraph, true)
                : new Tensor[xs.length];
        return new Result(finish(out, createGraph), fill(g, xs, createGraph));
    }

    /** {@code J v}: the directional derivative along {@code v} (one tensor per input), of the output's shape. */
    public static Result jvp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v) {
        return jvp(fn, inputs, v, false);
    }

    public static Result jvp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v, boolean createGraph) {
        checkVectors("jvp", inputs, v);
        Tensor[] xs = differentiable(inputs, createGraph);
        Tensor out = call("jvp", fn, xs);
        Tensor jv = null;
        if (out.requiresGrad()) {
            Tensor u;
            try (var s = GradMode.enableGrad()) {
                u = Tensor.zerosLike(out).requiresGrad_(); // a dummy cotangent: J^T u is linear in u
            }
            Tensor[] g = Autograd.grad(new Tensor[] {out}, xs, new Tensor[] {u}, true, true, true);
            int n = 0;
            for (Tensor gi : g) if (gi != null && gi.requiresGrad()) n++;
            Tensor[] outs = new Tensor[n], vs = new Tensor[n];
            for (int i = 0, k = 0; i < g.length; i++) {
                if (g[i] != null && g[i].requiresGrad()) {
                    outs[k] = g[i];
                    vs[k++] = v[i];
                }
            }
            if (n > 0) jv = Autograd.grad(outs, new Tensor[] {u}, vs, createGraph, createGraph, true)[0];
        }
        if (jv == null) jv = Tensor.zerosLike(out);
        return new Result(finish(out, createGraph), new Tensor[] {createGraph ? jv : jv.detach()});
    }

    // ---- jacobian ----------------------------------------------------------------------------

    /** The Jacobian of a function of one tensor: shape {@code output.shape() ++ input.shape()}. */
    public static Tensor jacobian(Function<Tensor, Tensor> fn, Tensor input) {
        return jacobian(xs -> fn.apply(xs[0]), new Tensor[] {input}, false)[0];
    }

    /** One Jacobian per input, each of shape {@code output.shape() ++ input_i.shape()}; one backward per output element. */
    public static Tensor[] jacobian(Function<Tensor[], Tensor> fn, Tensor[] inputs, boolean createGraph) {
        Tensor[] xs = differentiable(inputs, createGraph);
        Tensor out = call("jacobian", fn, xs);
        return jacobianOf(out, xs, createGraph);
    }

    /** Rows of d out / d xs, by one vector-Jacobian product with each one-hot vector. */
    private static Tensor[] jacobianOf(Tensor out, Tensor[] xs, boolean createGraph) {
        int m = out.numel();
        Tensor[][] rows = new Tensor[xs.length][m];
        for (int k = 0; k < m; k++) {
            Tensor[] g = out.requiresGrad()
                    ? Autograd.grad(new Tensor[] {out}, xs, new Tensor[] {oneHot(out, k)}, true, createGraph, true)
                    : new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) rows[i][k] = g[i] != null ? g[i] : Tensor.zerosLike(xs[i]);
        }
        Tensor[] jac = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int[] shape = concat(out.shape(), xs[i].shape());
            Tensor j = m == 0
                    ? newEmpty(xs[i], shape, DType.FLOAT32)
                    : Torch.stack(Arrays.asList(rows[i]), 0).reshape(shape);
            jac[i] = createGraph ? j : j.detach();
        }
        return jac;
    }

    // ---- hessian / hvp / vhp -----------------------------------------------------------------

    /** The Hessian of a one-element function of one tensor: shape {@code input.shape() ++ input.shape()}. */
    public static Tensor hessian(Function<Tensor, Tensor> fn, Tensor input) {
        return hessian(xs -> fn.apply(xs[0]), new Tensor[] {input}, false)[0][0];
    }

    /** Blocks {@code H[i][j] = d² f / d x_i d x_j}, each of shape {@code x_i.shape() ++ x_j.shape()}. */
    public static Tensor[][] hessian(Function<Tensor[], Tensor> fn, Tensor[] inputs, boolean createGraph) {
        Tensor[] xs = differentiable(inputs, createGraph);
        Tensor out = call("hessian", fn, xs);
        scalarOutput("hessian", out);
        Tensor[] g = out.requiresGrad()
                ? Autograd.grad(new Tensor[] {out}, xs, null, true, true, true)
                : new Tensor[xs.length];
        Tensor[][] h = new Tensor[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            Tensor gi = g[i] != null ? g[i] : Tensor.zerosLike(xs[i]);
            h[i] = jacobianOf(gi, xs, createGraph);
        }
        return h;
    }

    /** {@code H v} of a one-element function: one tensor per input (the gradient's vjp with v). */
    public static Result hvp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v) {
        return hvp(fn, inputs, v, false);
    }

    public static Result hvp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v, boolean createGraph) {
        return secondOrderProduct("hvp", fn, inputs, v, createGraph);
    }

    /** {@code v^T H}; the same as {@link #hvp} for the symmetric Hessians of smooth functions. */
    public static Result vhp(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v) {
        return secondOrderProduct("vhp", fn, inputs, v, false);
    }

    private static Result secondOrderProduct(
            String op, Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor[] v, boolean createGraph) {
        checkVectors(op, inputs, v);
        Tensor[] xs = differentiable(inputs, createGraph);
        Tensor out = call(op, fn, xs);
        scalarOutput(op, out);
        Tensor[] prod = new Tensor[xs.length];
        if (out.requiresGrad()) {
            Tensor[] g = Autograd.grad(new Tensor[] {out}, xs, null, true, true, true);
            // d/dx (g . v) = H v: one more backward through the recorded gradient
            Tensor dot = null;
            for (int i = 0; i < g.length; i++) {
                if (g[i] == null || !g[i].requiresGrad()) continue;
                Tensor term = g[i].mul(v[i]).sum();
                dot = dot == null ? term : dot.add(term);
            }
            if (dot != null) prod = Autograd.grad(new Tensor[] {dot}, xs, null, createGraph, createGraph, true);
        }
        return new Result(finish(out, createGraph), fill(prod, xs, createGraph));
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * Leaves to differentiate at: detached copies that require grad; under createGraph, an input that
     * requires grad is used through a view of itself, so the results stay connected to it.
     */
    private static Tensor[] differentiable(Tensor[] inputs, boolean createGraph) {
        Tensor[] xs = new Tensor[inputs.length];
        try (var s = GradMode.enableGrad()) {
            for (int i = 0; i < inputs.length; i++) {
                Tensor x = inputs[i];
                if (!x.dtype().isFloatingPoint()) {
                    throw new IllegalArgumentException("autograd functional: input " + i + " has dtype " + x.dtype()
                            + "; only float32 inputs can be differentiated");
                }
                xs[i] = createGraph && x.requiresGrad()
                        ? x.view(x.shape())
                        : x.detach().requiresGrad_();
            }
        }
        return xs;
    }

    private static Tensor call(String op, Function<Tensor[], Tensor> fn, Tensor[] xs) {
        Tensor out;
        try (var s = GradMode.enableGrad()) {
            out = fn.apply(xs);
        }
        if (out == null) throw new IllegalArgumentException(op + ": the function returned null instead of a Tensor");
        return out;
    }

    private static Tensor finish(Tensor out, boolean createGraph) {
        return createGraph ? out : out.detach();
    }

    private static Tensor[] fill(Tensor[] g, Tensor[] xs, boolean createGraph) {
        Tensor[] r = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            Tensor gi = g[i] != null ? g[i] : Tensor.zerosLike(xs[i]);
            r[i] = createGraph ? gi : gi.detach();
        }
        return r;
    }

    private static Tensor vectorFor(String op, String name, Tensor v, Tensor out) {
        if (v == null) {
            if (out.numel() != 1) {
                throw new IllegalArgumentException(
                        op + ": the vector " + name + " can only be omitted when the function "
                                + "returns a single element, but it returned shape " + Arrays.toString(out.shape()));
            }
            return Tensor.onesLike(out);
        }
        if (!Arrays.equals(v.shape(), out.shape())) {
            throw new IllegalArgumentException(op + ": the vector " + name + " has shape " + Arrays.toString(v.shape())
                    + " but the function's output has shape " + Arrays.toString(out.shape()) + "; they must match");
        }
        return v;
    }

    private static void checkVectors(String op, Tensor[] inputs, Tensor[] v) {
        if (v == null || v.length != inputs.length) {
            throw new IllegalArgumentException(op + ": expected one vector per input (" + inputs.length + "), got "
                    + (v == null ? "null" : v.length));
        }
        for (int i = 0; i < v.length; i++) {
            if (!Arrays.equals(v[i].shape(), inputs[i].shape())) {
                throw new IllegalArgumentException(
                        op + ": the vector v[" + i + "] has shape " + Arrays.toString(v[i].shape()) + " but input " + i
                                + " has shape " + Arrays.toString(inputs[i].shape()) + "; they must match");
            }
        }
    }

    private static void scalarOutput(String op, Tensor out) {
        if (out.numel() != 1) {
            throw new IllegalArgumentException(
                    op + ": the function should return a Tensor with a single element, but it " + "returned shape "
                            + Arrays.toString(out.shape()));
        }
    }

    private static Tensor oneHot(Tensor like, int k) {
        float[] d = new float[like.numel()];
        d[k] = 1f;
        return newOf(like, d, like.shape());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
