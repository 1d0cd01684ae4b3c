package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.shape;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.kernels.Layout;

/**
 * Tensors made from nothing or from values ({@code torch.zeros}, {@code torch.tensor}, {@code torch.arange},
 * {@code torch.randn}, ...), on the default device. Shapes are checked (no negative size, at most
 * 2^31-1 elements) with the factory named in errors.
 */
public final class Factories {
    private Factories() {}

    /** The largest magnitude an INT64 tensor holds exactly (its storage is float32): 2^24. */
    static final int MAX_EXACT_INDEX = 1 << 24;

    public static Tensor zeros(int... shape) {
        return zeros("zeros", shape);
    }

    /** Zeros of {@code shape}, checked with {@code op} named in errors. */
    private static Tensor zeros(String op, int[] shape) {
        return TensorInternals.fresh(TensorInternals.defaultBackend().allocate(Layout.numel(op, shape)), shape.clone(),
                DType.FLOAT32);
    }

    public static Tensor ones(int... shape) {
        return full("ones", 1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        return full("full", value, shape);
    }

    private static Tensor full(String op, float value, int[] shape) {
        Tensor t = zeros(op, shape);
        if (value != 0f) backend(t).fill(buffer(t), layout(t), value);
        return t;
    }

    public static Tensor zerosLike(Tensor t) {
        return TensorInternals.newEmpty(t, shape(t).clone(), DType.FLOAT32);
    }

    public static Tensor fullLike(Tensor t, float value) {
        Tensor out = zerosLike(t);
        if (value != 0f) backend(out).fill(buffer(out), layout(out), value);
        return out;
    }

    public static Tensor scalar(float value) {
        return full("scalar", value, new int[0]);
    }

    public static Tensor tensor(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[Layout.numel("tensor", new int[] {rows.length, cols})];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("tensor: expected rows of length " + cols + " but row " + i + " has length "
                        + rows[i].length);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return of("tensor", flat, new int[] {rows.length, cols});
    }

    public static Tensor of(float[] data, int... shape) {
        return of("of", data, shape);
    }

    private static Tensor of(String op, float[] data, int[] shape) {
        int n = Layout.numel(op, shape);
        if (n != data.length) {
            throw new IllegalArgumentException(op + ": " + data.length + " values cannot fill shape " + Arrays.toString(shape)
                    + " (" + n + " elements)");
        }
        Tensor t = zeros(op, shape);
        backend(t).write(data, 0, buffer(t), 0, data.length);
        return t;
    }

    public static Tensor indices(int... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] > MAX_EXACT_INDEX || values[i] < -MAX_EXACT_INDEX) {
                throw new IllegalArgumentException("indices: index " + values[i] + " (at position " + i + ") cannot be held "
                        + "exactly: index tensors are stored as float32, which holds integers exactly only up to 2^24 = "
                        + MAX_EXACT_INDEX + " in magnitude");
            }
            f[i] = values[i];
        }
        Tensor t = of(f, values.length);
        return TensorInternals.withDType(t, DType.INT64);
    }

    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || (end - start) / step < 0) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign (start="
                    + start + ", end=" + end + ", step=" + step + ")");
        }
        // PyTorch gets Python doubles (0.1, not 0.1f) and counts and fills in double: recover the decimal the
        // caller wrote, so that e.g. arange(1, 1.3, 0.1) has PyTorch's 4 elements (ceil(3.0000000000000004))
        double s0 = decimal(start), e0 = decimal(end), st = decimal(step);
        int n = (int) Math.ceil((e0 - s0) / st);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (s0 + i * st);
        return of(d, n);
    }

    /** The shortest decimal that rounds to {@code f}, as a double (the Python literal a caller meant). */
    private static double decimal(float f) {
        return Float.isFinite(f) ? Double.parseDouble(Float.toString(f)) : f;
    }

    public static Tensor linspace(float start, float end, int steps) {
        if (steps < 0) throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        if (steps == 1) return of(new float[] {start}, 1); // the loop below would give end
        float[] d = new float[steps];
        // PyTorch's CPU kernel computes the step and every point in the tensor's dtype (float), not in double
        float step = steps > 1 ? (end - start) / (float) (steps - 1) : 0f;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            // like PyTorch: the first half counts up from start, the second half down from end
            d[i] = i < half ? start + step * (float) i : end - step * (float) (steps - 1 - i);
        }
        return of(d, steps);
    }

    public static Tensor rand(Generator gen, int... shape) {
        float[] d = new float[Layout.numel("rand", shape)];
        for (int i = 0; i < d.length; i++) d[i] = gen.nextUniform();
        return of(d, shape);
    }

    public static Tensor randn(Generator gen, int... shape) {
        float[] d = new float[Layout.numel("randn", shape)];
        for (int i = 0; i < d.length; i++) d[i] = gen.nextNormal();
        return of(d, shape);
    }

    public static Tensor eye(int n) {
        if (n < 0) throw new IllegalArgumentException("eye: n must be greater or equal to 0, got " + n);
        float[] d = new float[Layout.numel("eye", new int[] {n, n})];
        for (int i = 0; i < n; i++) d[i * n + i] = 1f;
        return of(d, n, n);
    }
}
