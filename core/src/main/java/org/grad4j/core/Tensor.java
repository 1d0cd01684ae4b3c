package org.grad4j.core;

import java.util.Arrays;
import java.util.function.Consumer;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Layout;

/**
 * An n-dimensional float32 tensor: a view (shape, strides, offset) over a storage buffer, with
 * PyTorch's autograd. Operations on tensors that require grad are recorded; {@link #backward()}
 * computes gradients of a scalar root into the {@link #grad()} of the leaves.
 *
 * <p>Names follow PyTorch in camelCase: {@code requiresGrad_()}, {@code gradFn()}, {@code add_()},
 * {@code logSoftmax(dim)}. Methods ending in {@code _} modify the tensor in place.
 *
 * <p>This file holds what a tensor is (its data, and the factories that make one); the methods that
 * compute with tensors come from {@link TensorMethods}, each one call into the op catalogue or autograd.
 */
public final class Tensor implements TensorMethods {
    // Not final: setData ({@code x.data = y}) replaces the storage and layout of a tensor in place,
    // which is how Module.to moves parameters to another device keeping their identity.
    Buffer buffer;
    int[] shape;
    int[] strides;
    int offset;
    final DType dtype;
    final VersionCounter version;
    /** For a view: the tensor that owns the storage (never itself a view); else null. */
    final Tensor base;
    /**
     * Autograd's state of this tensor (an autograd.AutogradMeta), null until it takes part in autograd.
     * Typed Object so that the tensor's data does not depend on the autograd layer above it (as PyTorch's
     * TensorImpl holds an AutogradMetaInterface); only autograd reads and writes it.
     */
    Object autograd;

    Tensor(Buffer buffer, int[] shape, int[] strides, int offset, DType dtype, VersionCounter version, Tensor base) {
        this.buffer = buffer;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.dtype = dtype;
        this.version = version;
        this.base = base;
    }

    // ---- allocation -----------------------------------------------------------------------------

    /** Sees the buffers tensors allocate on this thread (the backward engine's recycler); see TensorInternals. */
    static final ThreadLocal<Consumer<Buffer>> ALLOCATIONS = new ThreadLocal<>();

    /** A new contiguous tensor over {@code buffer}, owning its storage. */
    static Tensor fresh(Buffer buffer, int[] shape, DType dtype) {
        Consumer<Buffer> observer = ALLOCATIONS.get();
        if (observer != null) observer.accept(buffer);
        return new Tensor(buffer, shape, Layout.contiguousStrides(shape), 0, dtype, new VersionCounter(), null);
    }

    /** Zeros of {@code shape} on this tensor's device. */
    Tensor newEmpty(int[] shape, DType dtype) {
        return fresh(buffer.backend().allocate(Layout.numel(shape)), shape, dtype);
    }

    /** An output of {@code shape} with undefined contents on this tensor's device, for kernels that overwrite every element. */
    Tensor newUninitialized(int[] shape, DType dtype) {
        return fresh(buffer.backend().allocateUninitialized(Layout.numel(shape)), shape, dtype);
    }

    // ---- factories (on the default device, Device.getDefault()) ---------------------------------

    public static Tensor zeros(int... shape) {
        return zeros("zeros", shape);
    }

    /** Zeros of {@code shape}, checked (no negative size, at most 2^31-1 elements) with {@code op} named in errors. */
    private static Tensor zeros(String op, int[] shape) {
        return fresh(Device.defaultBackend().allocate(Layout.numel(op, shape)), shape.clone(), DType.FLOAT32);
    }

    public static Tensor ones(int... shape) {
        return full("ones", 1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        return full("full", value, shape);
    }

    private static Tensor full(String op, float value, int[] shape) {
        Tensor t = zeros(op, shape);
        if (value != 0f) t.buffer.backend().fill(t.buffer, t.layout(), value);
        return t;
    }

    /** Zeros of {@code t}'s shape on {@code t}'s device. */
    public static Tensor zerosLike(Tensor t) {
        return t.newEmpty(t.shape.clone(), DType.FLOAT32);
    }

    /** Ones of {@code t}'s shape on {@code t}'s device. */
    public static Tensor onesLike(Tensor t) {
        return fullLike(t, 1f);
    }

    /** {@code value} in {@code t}'s shape on {@code t}'s device. */
    public static Tensor fullLike(Tensor t, float value) {
        Tensor out = zerosLike(t);
        if (value != 0f) out.buffer.backend().fill(out.buffer, out.layout(), value);
        return out;
    }

    /** A 0-dimensional tensor holding {@code value} ({@code torch.tensor(3.0)}). */
    public static Tensor scalar(float value) {
        return full("scalar", value, new int[0]);
    }

    /** A 1-d tensor of the given values ({@code torch.tensor([1., 2., 3.])}). */
    public static Tensor tensor(float... data) {
        return of(data, data.length);
    }

    /** A 2-d tensor from rows of equal length ({@code torch.tensor([[1., 2.], [3., 4.]])}). */
    public static Tensor tensor(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[Layout.numel("tensor", new int[] {rows.length, cols})];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException(
                        "tensor: expected rows of length " + cols + " but row " + i + " has length " + rows[i].length);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return of("tensor", flat, new int[] {rows.length, cols});
    }

    /** A tensor of {@code shape} holding a copy of {@code data} in row-major order. */
    public static Tensor of(float[] data, int... shape) {
        return of("of", data, shape);
    }

    private static Tensor of(String op, float[] data, int[] shape) {
        int n = Layout.numel(op, shape);
        if (n != data.length) {
            throw new IllegalArgumentException(op + ": " + data.length + " values cannot fill shape "
                    + Arrays.toString(shape) + " (" + n + " elements)");
        }
        Tensor t = zeros(op, shape);
        t.buffer.backend().write(data, 0, t.buffer, 0, data.length);
        return t;
    }

    /**
     * An INT64-tagged 1-d tensor of indices, e.g. for {@link #indexSelect(int, Tensor)}. Storage is
     * float32, which holds every integer up to 2^24 in magnitude exactly: a larger value is an error,
     * not rounded to a neighbour.
     */
    public static Tensor indices(int... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] > MAX_EXACT_INDEX || values[i] < -MAX_EXACT_INDEX) {
                throw new IllegalArgumentException(
                        "indices: index " + values[i] + " (at position " + i + ") cannot be held "
                                + "exactly: index tensors are stored as float32, which holds integers exactly only up to 2^24 = "
                                + MAX_EXACT_INDEX + " in magnitude");
            }
            f[i] = values[i];
        }
        Tensor t = of(f, values.length);
        return t.withDType(DType.INT64);
    }

    /** The largest magnitude an INT64 tensor holds exactly (its storage is float32): 2^24. */
    static final int MAX_EXACT_INDEX = 1 << 24;

    /** {@code [0, 1, ..., end-1]}. */
    public static Tensor arange(float end) {
        return arange(0, end, 1);
    }

    /** {@code start, start+step, ...} up to but excluding {@code end}. */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || (end - start) / step < 0) {
            throw new IllegalArgumentException(
                    "arange: upper bound and larger bound inconsistent with step sign (start=" + start + ", end=" + end
                            + ", step=" + step + ")");
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

    /** {@code steps} points evenly spaced from {@code start} to {@code end}, both included. */
    public static Tensor linspace(float start, float end, int steps) {
        if (steps < 0)
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
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

    /** Uniform samples in [0, 1) from the default generator. */
    public static Tensor rand(int... shape) {
        return rand(Generator.defaultGenerator(), shape);
    }

    public static Tensor rand(Generator gen, int... shape) {
        float[] d = new float[Layout.numel("rand", shape)];
        for (int i = 0; i < d.length; i++) d[i] = gen.nextUniform();
        return of(d, shape);
    }

    /** Standard normal samples from the default generator. */
    public static Tensor randn(int... shape) {
        return randn(Generator.defaultGenerator(), shape);
    }

    public static Tensor randn(Generator gen, int... shape) {
        float[] d = new float[Layout.numel("randn", shape)];
        for (int i = 0; i < d.length; i++) d[i] = gen.nextNormal();
        return of(d, shape);
    }

    /** The identity matrix n×n. */
    public static Tensor eye(int n) {
        if (n < 0) throw new IllegalArgumentException("eye: n must be greater or equal to 0, got " + n);
        float[] d = new float[Layout.numel("eye", new int[] {n, n})];
        for (int i = 0; i < n; i++) d[i * n + i] = 1f;
        return of(d, n, n);
    }

    Tensor withDType(DType d) {
        return new Tensor(buffer, shape, strides, offset, d, version, base);
    }

    // ---- metadata and data ------------------------------------------------------------------------

    /** The device this tensor's storage lives on ({@code x.device}). */
    public Device device() {
        return Device.of(buffer.backend());
    }

    /**
     * Replaces this tensor's data with {@code other}'s ({@code x.data = other} in PyTorch): from now on
     * this tensor shares {@code other}'s storage and takes its shape, strides, offset and device.
     * Autograd sees nothing: this tensor's history, requires-grad flag, gradient and version counter
     * stay as they are (a view of the old storage keeps the old storage). {@code Module.to} moves
     * parameters this way, so optimizers and other holders of the same tensor object see the moved data.
     * The dtypes must match; a view cannot have its data replaced.
     */
    public void setData(Tensor other) {
        java.util.Objects.requireNonNull(other, "setData: the new data is null");
        if (base != null) {
            throw new IllegalStateException(
                    "setData: cannot replace the data of a view (shape " + Arrays.toString(shape)
                            + "); replace its base's data, or assign to a tensor that owns its storage");
        }
        if (other.dtype != dtype) {
            throw new IllegalArgumentException("setData: the new data has dtype " + other.dtype
                    + " but the tensor has dtype " + dtype + "; convert it first");
        }
        buffer = other.buffer;
        shape = other.shape.clone();
        strides = other.strides.clone();
        offset = other.offset;
    }

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int storageOffset() {
        return offset;
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Layout.numel(shape);
    }

    public DType dtype() {
        return dtype;
    }

    public boolean isContiguous() {
        return layout().isContiguous();
    }
    /** True when this tensor shares its storage with a base tensor (it was made by a view op). */
    public boolean isView() {
        return base != null;
    }
    /** The number of in-place writes to this tensor's storage so far (PyTorch's {@code _version}). */
    public int version() {
        return version.value;
    }

    Layout layout() {
        return new Layout(shape, strides, offset);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException(
                    "item: a Tensor with " + numel() + " elements (shape " + Arrays.toString(shape)
                            + ") cannot be converted to a scalar; index it first or use toFloatArray()");
        }
        float[] v = new float[1];
        buffer.backend().read(buffer, offset, v, 0, 1);
        return v[0];
    }

    /** The elements in row-major order (a copy). */
    public float[] toFloatArray() {
        int n = numel();
        float[] out = new float[n];
        if (n == 0) return out;
        Backend backend = buffer.backend();
        if (isContiguous()) {
            backend.read(buffer, offset, out, 0, n);
        } else {
            Tensor c = newUninitialized(shape, dtype);
            backend.copy(buffer, layout(), c.buffer, c.layout());
            backend.read(c.buffer, 0, out, 0, n);
        }
        return out;
    }

    /** This tensor if dense from offset 0, else a contiguous copy; never recorded (for kernels that need flat input). */
    Tensor contiguousUntracked() {
        if (offset == 0 && isContiguous()) return this;
        Tensor c = newUninitialized(shape, dtype);
        buffer.backend().copy(buffer, layout(), c.buffer, c.layout());
        return c;
    }

    /** The same data, cut from the graph (shares storage and version counter). */
    public Tensor detach() {
        return new Tensor(buffer, shape, strides, offset, dtype, version, null);
    }

    /** The same data with writes that autograd does not track ({@code x.data}). */
    public Tensor data() {
        return new Tensor(buffer, shape, strides, offset, dtype, new VersionCounter(), null);
    }

    /** A copy with its own storage; its gradient flows back to this tensor. */
    @Override
    public Tensor clone() {
        return TensorMethods.cloneOf(this);
    }

    @Override
    public String toString() {
        return TensorMethods.format(this);
    }

    /** Parts of a {@code max(dim)}/{@code min(dim)} result. */
    public record ValuesIndices(Tensor values, Tensor indices) {}
}
