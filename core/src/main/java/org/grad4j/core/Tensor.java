package org.grad4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Layout;

/**
 * An n-dimensional float32 tensor: a view (shape, strides, offset) over a storage buffer, with
 * PyTorch's autograd. Operations on tensors that require grad are recorded; {@link #backward()}
 * computes gradients of a scalar root into the {@link #grad()} of the leaves.
 *
 * <p>Names follow PyTorch in camelCase: {@code requiresGrad_()}, {@code gradFn()}, {@code add_()},
 * {@code logSoftmax(dim)}. Methods ending in {@code _} modify the tensor in place.
 */
public final class Tensor {
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

    /** Autograd's state of this tensor; null until it takes part in autograd (see AutogradMeta). */
    AutogradMeta autograd;

    Tensor(Buffer buffer, int[] shape, int[] strides, int offset, DType dtype, VersionCounter version, Tensor base) {
        this.buffer = buffer;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.dtype = dtype;
        this.version = version;
        this.base = base;
    }

    /** A new contiguous tensor over {@code buffer}, owning its storage. */
    static Tensor fresh(Buffer buffer, int[] shape, DType dtype) {
        Recycler.allocated(buffer);
        return new Tensor(buffer, shape, Layout.contiguousStrides(shape), 0, dtype, new VersionCounter(), null);
    }

    /** The backend of the default device ({@link Device#getDefault()}), where the factories allocate. */
    static Backend defaultBackend() {
        return Device.defaultBackend();
    }

    /** A tensor of {@code shape} holding a copy of {@code data}, on this tensor's device (for ops' internals). */
    Tensor newOf(float[] data, int... shape) {
        int n = Layout.numel(shape);
        Tensor t = data.length == n ? newUninitialized(shape.clone(), DType.FLOAT32) : newEmpty(shape.clone(), DType.FLOAT32);
        if (data.length > 0) backend().write(data, 0, t.buffer, 0, data.length);
        return t;
    }

    /** Uninitialised-looking (actually zero) output of {@code shape}, on this tensor's backend. */
    Tensor newEmpty(int[] shape, DType dtype) {
        return fresh(backend().allocate(Layout.numel(shape)), shape, dtype);
    }

    /** An output of {@code shape} with undefined contents, for kernels that overwrite every element. */
    Tensor newUninitialized(int[] shape, DType dtype) {
        return fresh(backend().allocateUninitialized(Layout.numel(shape)), shape, dtype);
    }

    Backend backend() {
        return buffer.backend();
    }

    Layout layout() {
        return new Layout(shape, strides, offset);
    }

    // =========================================================================================
    // Factories
    // =========================================================================================

    public static Tensor zeros(int... shape) {
        return zeros("zeros", shape);
    }

    /** Zeros of {@code shape}, checked (no negative size, at most 2^31-1 elements) with {@code op} named in errors. */
    private static Tensor zeros(String op, int[] shape) {
        return fresh(defaultBackend().allocate(Layout.numel(op, shape)), shape.clone(), DType.FLOAT32);
    }

    public static Tensor ones(int... shape) {
        return full("ones", 1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        return full("full", value, shape);
    }

    private static Tensor full(String op, float value, int[] shape) {
        Tensor t = zeros(op, shape);
        if (value != 0f) t.backend().fill(t.buffer, t.layout(), value);
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
        if (value != 0f) out.backend().fill(out.buffer, out.layout(), value);
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
                throw new IllegalArgumentException("tensor: expected rows of length " + cols + " but row " + i + " has length "
                        + rows[i].length);
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
            throw new IllegalArgumentException(op + ": " + data.length + " values cannot fill shape " + Arrays.toString(shape)
                    + " (" + n + " elements)");
        }
        Tensor t = zeros(op, shape);
        t.backend().write(data, 0, t.buffer, 0, data.length);
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
                throw new IllegalArgumentException("indices: index " + values[i] + " (at position " + i + ") cannot be held "
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

    /** {@code steps} points evenly spaced from {@code start} to {@code end}, both included. */
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

    // =========================================================================================
    // Metadata and data
    // =========================================================================================

    /** The device this tensor's storage lives on ({@code x.device}). */
    public Device device() {
        return Device.of(backend());
    }

    /**
     * This tensor on {@code device} ({@code x.to(device)}): this tensor itself when it is already there,
     * else a contiguous copy (same shape and dtype) whose gradient flows back to this tensor's device
     * ({@code ToCopyBackward0}).
     */
    public Tensor to(Device device) {
        java.util.Objects.requireNonNull(device, "to: device is null");
        Backend target = device.backend();
        Backend source = backend();
        if (target == source) return this;
        Device from = device();
        if (from.equals(device)) return this;
        float[] host = toFloatArray(); // read through the source backend, in row-major order
        Tensor out = fresh(target.allocateUninitialized(host.length), shape.clone(), dtype);
        if (host.length > 0) target.write(host, 0, out.buffer, 0, host.length);
        return Recorder.record(out, "ToCopyBackward0", this, (g, ctx) -> new Tensor[] {g.to(from)});
    }

    /**
     * This tensor converted to {@code dtype} ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}):
     * itself when it has that dtype already, else a fresh tensor outside the graph. To INT64 truncates
     * toward zero (NaN and infinities are errors); to BOOL is "not zero". E.g. float class labels read
     * from a file become targets for crossEntropy with {@code labels.to(DType.INT64)}.
     */
    public Tensor to(DType dtype) {
        return Casts.to(this, dtype);
    }

    /** {@code x.to("tornado")}: {@link #to(Device)} with {@link Device#of(String)}. */
    public Tensor to(String device) {
        return to(Device.of(device));
    }

    /** {@code x.cpu()}: this tensor on the JVM device. */
    public Tensor cpu() {
        return to(Device.cpu());
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
            throw new IllegalStateException("setData: cannot replace the data of a view (shape " + Arrays.toString(shape)
                    + "); replace its base's data, or assign to a tensor that owns its storage");
        }
        if (other.dtype != dtype) {
            throw new IllegalArgumentException("setData: the new data has dtype " + other.dtype + " but the tensor has dtype "
                    + dtype + "; convert it first");
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

    /** Size of dimension {@code dim} (negative counts from the end). */
    public int size(int dim) {
        return shape[Shapes.wrapDim("size", dim, shape.length)];
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

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: a Tensor with " + numel() + " elements (shape " + Arrays.toString(shape)
                    + ") cannot be converted to a scalar; index it first or use toFloatArray()");
        }
        float[] v = new float[1];
        backend().read(buffer, offset, v, 0, 1);
        return v[0];
    }

    /** The elements in row-major order (a copy). */
    public float[] toFloatArray() {
        int n = numel();
        float[] out = new float[n];
        if (n == 0) return out;
        if (isContiguous()) {
            backend().read(buffer, offset, out, 0, n);
        } else {
            Tensor c = newUninitialized(shape, dtype);
            backend().copy(buffer, layout(), c.buffer, c.layout());
            backend().read(c.buffer, 0, out, 0, n);
        }
        return out;
    }

    /** This tensor if contiguous, else a contiguous copy; never recorded (for kernels that need flat input). */
    Tensor contiguousUntracked() {
        if (offset == 0 && isContiguous()) return this;
        Tensor c = newUninitialized(shape, dtype);
        backend().copy(buffer, layout(), c.buffer, c.layout());
        return c;
    }

    /** Element values as ints (for index tensors). */
    int[] toIntArray() {
        float[] f = toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (int) f[i];
        return out;
    }

    @Override
    public String toString() {
        return TensorFormatter.format(this);
    }

    // =========================================================================================
    // Autograd
    // =========================================================================================

    public boolean requiresGrad() { return AutogradMeta.requiresGrad(this); }
    /** Sets requires-grad on a leaf ({@code x.requires_grad_()}); returns this tensor. */
    public Tensor requiresGrad_(boolean requires) { return AutogradMeta.requiresGrad_(this, requires); }
    /** Same as {@code requiresGrad_(true)}. */
    public Tensor requiresGrad_() { return requiresGrad_(true); }
    /** A leaf is a tensor not made by a recorded op; its gradient is accumulated into {@link #grad()}. */
    public boolean isLeaf() { return gradFn() == null; }
    /** The backward node that made this tensor, or null for leaves. */
    public Node gradFn() { return AutogradMeta.gradFn(this); }
    /**
     * The accumulated gradient, or null. A gradient that arrived row-sparse ({@link #sparseGrad()}) is
     * made dense here, once, and stays dense (the dense fallback).
     */
    public Tensor grad() { return AutogradMeta.grad(this); }
    /**
     * The accumulated gradient when it arrived row-sparse (an embedding with {@code sparse=true}),
     * without making it dense; null when there is none or it is dense.
     */
    public SparseGrad sparseGrad() { return AutogradMeta.sparseGrad(this); }
    /** Replaces the gradient ({@code x.grad = g}); null clears it (a sparse one too). */
    public void setGrad(Tensor g) { AutogradMeta.setGrad(this, g); }
    /** Makes this non-leaf keep its gradient in {@link #grad()} after backward. No-op on leaves. */
    public void retainGrad() { AutogradMeta.retainGrad(this); }
    /** True when {@link #retainGrad()} was called on this non-leaf. */
    public boolean retainsGrad() { return AutogradMeta.retainsGrad(this); }

    /** Backward from a one-element root. */
    public void backward() { backward(null, false, false); }
    /** Backward with {@code gradient} as the vector of the vector-Jacobian product (shape of this tensor). */
    public void backward(Tensor gradient) { backward(gradient, false, false); }
    public void backward(Tensor gradient, boolean retainGraph) { backward(gradient, retainGraph, false); }
    /**
     * Reverse-mode sweep from this tensor. {@code retainGraph} keeps the saved tensors for another
     * backward; {@code createGraph} records the backward itself (gradients of gradients) and
     * implies retainGraph, as in PyTorch.
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Engine.backward(new Tensor[] {this}, new Tensor[] {gradient}, Engine.Options.backward(retainGraph, createGraph));
    }

    /** Registers a hook called with this tensor's gradient during backward; it may return a replacement. */
    public RemovableHandle registerHook(TensorHook hook) { return AutogradMeta.registerHook(this, hook); }
    /** Registers a hook run after a leaf's gradient has been accumulated into {@link #grad()}. */
    public RemovableHandle registerPostAccumulateGradHook(TensorHook hook) {
        return AutogradMeta.registerPostAccumulateGradHook(this, hook);
    }

    /** The same data, cut from the graph (shares storage and version counter). */
    public Tensor detach() {
        return new Tensor(buffer, shape, strides, offset, dtype, version, null);
    }

    /** The same data with writes that autograd does not track ({@code x.data}). */
    public Tensor data() {
        return new Tensor(buffer, shape, strides, offset, dtype, new VersionCounter(), null);
    }

    /** Where this tensor's gradient goes: its gradFn, its AccumulateGrad node (leaf), or null. */
    Node gradEdge() {
        return AutogradMeta.gradEdge(this);
    }

    // =========================================================================================
    // Ops: the catalogue lives in the op classes; these are the PyTorch-style methods.
    // =========================================================================================

    public Tensor add(Tensor other) { return Pointwise.add(this, other, 1f); }
    public Tensor add(Tensor other, float alpha) { return Pointwise.add(this, other, alpha); }
    public Tensor add(float s) { return Pointwise.addScalar(this, s); }
    public Tensor sub(Tensor other) { return Pointwise.sub(this, other, 1f); }
    public Tensor sub(Tensor other, float alpha) { return Pointwise.sub(this, other, alpha); }
    public Tensor sub(float s) { return Pointwise.subScalar(this, s); }
    /** {@code s - this} (PyTorch's {@code rsub}). */
    public Tensor rsub(float s) { return Pointwise.rsubScalar(this, s); }
    public Tensor mul(Tensor other) { return Pointwise.mul(this, other); }
    public Tensor mul(float s) { return Pointwise.mulScalar(this, s); }
    public Tensor div(Tensor other) { return Pointwise.div(this, other); }
    public Tensor div(float s) { return Pointwise.divScalar(this, s); }
    public Tensor neg() { return Pointwise.neg(this); }
    public Tensor pow(float exponent) { return Pointwise.pow(this, exponent); }
    public Tensor pow(Tensor exponent) { return Pointwise.pow(this, exponent); }
    public Tensor exp() { return Pointwise.exp(this); }
    public Tensor log() { return Pointwise.log(this); }
    public Tensor sqrt() { return Pointwise.sqrt(this); }
    public Tensor abs() { return Pointwise.abs(this); }
    public Tensor sign() { return Pointwise.sign(this); }
    public Tensor tanh() { return Pointwise.tanh(this); }
    public Tensor sigmoid() { return Pointwise.sigmoid(this); }
    public Tensor relu() { return Pointwise.relu(this); }
    public Tensor reciprocal() { return Pointwise.reciprocal(this); }
    /**
     * Clamps into [min, max] ({@code torch.clamp}; grad_fn {@code ClampBackward1}). Either bound may be
     * null for none on that side ({@code x.clamp(0f, null)} is {@code torch.clamp(x, min=0)}), not both;
     * a NaN bound gives NaN, as in PyTorch. The four overloads let any mix of float literals, Float
     * variables and null compile without a cast.
     */
    public Tensor clamp(float min, float max) { return Pointwise.clamp(this, min, max); }
    public Tensor clamp(Float min, Float max) { return Pointwise.clamp(this, min, max); }
    public Tensor clamp(Float min, float max) { return Pointwise.clamp(this, min, max); }
    public Tensor clamp(float min, Float max) { return Pointwise.clamp(this, min, max); }
    /** {@code torch.clamp_min}: its own op in PyTorch (grad_fn {@code ClampMinBackward0}). */
    public Tensor clampMin(float min) { return Pointwise.clampMin(this, min); }
    public Tensor clampMax(float max) { return Pointwise.clampMax(this, max); }
    public Tensor maximum(Tensor other) { return Pointwise.maximum(this, other); }
    public Tensor minimum(Tensor other) { return Pointwise.minimum(this, other); }

    public Tensor eq(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.EQ, this, o); }
    public Tensor ne(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.NE, this, o); }
    public Tensor lt(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.LT, this, o); }
    public Tensor le(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.LE, this, o); }
    public Tensor gt(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.GT, this, o); }
    public Tensor ge(Tensor o) { return Pointwise.compare(org.grad4j.kernels.BinaryOp.GE, this, o); }
    public Tensor eq(float s) { return eq(scalarLike(s)); }
    public Tensor ne(float s) { return ne(scalarLike(s)); }
    public Tensor lt(float s) { return lt(scalarLike(s)); }
    public Tensor le(float s) { return le(scalarLike(s)); }
    public Tensor gt(float s) { return gt(scalarLike(s)); }
    public Tensor ge(float s) { return ge(scalarLike(s)); }
    /** Logical and of two masks (non-zero is true). */
    public Tensor logicalAnd(Tensor o) { return Pointwise.logicalAnd(this, o); }

    Tensor scalarLike(float s) {
        Tensor t = newUninitialized(new int[0], DType.FLOAT32);
        backend().fill(t.buffer, t.layout(), s);
        return t;
    }

    /** Sum of all elements. */
    public Tensor sum() { return Reductions.sum(this); }
    public Tensor sum(int dim) { return Reductions.sum(this, new int[] {dim}, false); }
    public Tensor sum(int dim, boolean keepdim) { return Reductions.sum(this, new int[] {dim}, keepdim); }
    public Tensor sum(int[] dims, boolean keepdim) { return Reductions.sum(this, dims, keepdim); }
    public Tensor mean() { return Reductions.mean(this); }
    public Tensor mean(int dim) { return Reductions.mean(this, new int[] {dim}, false); }
    public Tensor mean(int dim, boolean keepdim) { return Reductions.mean(this, new int[] {dim}, keepdim); }
    public Tensor mean(int[] dims, boolean keepdim) { return Reductions.mean(this, dims, keepdim); }
    /** The largest element. */
    public Tensor max() { return Reductions.maxAll(this, true); }
    public Tensor min() { return Reductions.maxAll(this, false); }
    /** Largest values along {@code dim} and their indices. */
    public ValuesIndices max(int dim) { return Reductions.maxDim(this, dim, false, true); }
    public ValuesIndices max(int dim, boolean keepdim) { return Reductions.maxDim(this, dim, keepdim, true); }
    public ValuesIndices min(int dim) { return Reductions.maxDim(this, dim, false, false); }
    public ValuesIndices min(int dim, boolean keepdim) { return Reductions.maxDim(this, dim, keepdim, false); }
    public Tensor argmax(int dim) { return max(dim).indices(); }
    public Tensor argmin(int dim) { return min(dim).indices(); }

    public Tensor mm(Tensor other) { return LinearAlgebra.mm(this, other); }
    public Tensor bmm(Tensor other) { return LinearAlgebra.bmm(this, other); }
    public Tensor mv(Tensor vec) { return LinearAlgebra.mv(this, vec); }
    public Tensor dot(Tensor other) { return LinearAlgebra.dot(this, other); }
    public Tensor matmul(Tensor other) { return LinearAlgebra.matmul(this, other); }

    public Tensor view(int... shape) { return Views.view(this, shape); }
    public Tensor reshape(int... shape) { return Views.reshape(this, shape); }
    public Tensor flatten() { return Views.flatten(this, 0, -1); }
    public Tensor flatten(int startDim, int endDim) { return Views.flatten(this, startDim, endDim); }
    public Tensor t() { return Views.t(this); }
    public Tensor transpose(int dim0, int dim1) { return Views.transpose(this, dim0, dim1); }
    public Tensor permute(int... dims) { return Views.permute(this, dims); }
    /** Broadcasts to {@code sizes} without copying; -1 keeps a dimension. */
    public Tensor expand(int... sizes) { return Views.expand(this, sizes); }
    public Tensor expandAs(Tensor other) { return Views.expand(this, other.shape); }
    public Tensor squeeze() { return Views.squeeze(this); }
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }
    /** The slice at {@code index} of dimension {@code dim}, which is removed ({@code x[:, i]}). */
    public Tensor select(int dim, int index) { return Views.select(this, dim, index); }
    /** Elements {@code start, start+step, ...} below {@code end} of dimension {@code dim} ({@code x[:, a:b:s]}). */
    public Tensor slice(int dim, int start, int end, int step) { return Views.slice(this, dim, start, end, step); }
    public Tensor slice(int dim, int start, int end) { return Views.slice(this, dim, start, end, 1); }
    /** {@code length} elements from {@code start} (negative counts from the end); out of range is an error, as in PyTorch. */
    public Tensor narrow(int dim, int start, int length) { return Views.narrow(this, dim, start, length); }
    public Tensor asStrided(int[] size, int[] stride, int storageOffset) {
        return Views.asStrided(this, new Layout(size.clone(), stride.clone(), storageOffset));
    }
    public Tensor contiguous() { return isContiguous() ? this : clone(); }
    /** A copy with its own storage; its gradient flows back to this tensor. */
    @Override
    public Tensor clone() { return Views.cloneOp(this); }

    /**
     * Python-style indexing: each argument is an {@code Integer} (select, the dimension goes),
     * a {@link Slice} (e.g. {@code Slice.of(1, 3)}, {@code Slice.all()}), or an INT64 tensor (indexSelect).
     * {@code x.get(0, 1)} is {@code x[0, 1]}.
     */
    public Tensor get(Object... indices) { return Indexing.get(this, indices); }
    /** Indexed assignment {@code this[indices] = value} (recorded as CopySlices). */
    public Tensor set(Tensor value, Object... indices) { return Indexing.set(this, value, indices); }
    public Tensor set(float value, Object... indices) { return Indexing.set(this, scalarLike(value), indices); }
    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }
    /** Out-of-place {@code index_add}: adds rows of {@code source} at positions {@code index} of {@code dim}. */
    public Tensor indexAdd(int dim, Tensor index, Tensor source) { return Indexing.indexAdd(this, dim, index, source); }

    public Tensor softmax(int dim) { return Softmax.softmax(this, dim, false); }
    public Tensor logSoftmax(int dim) { return Softmax.softmax(this, dim, true); }

    // ---- in place ----------------------------------------------------------------------------

    public Tensor add_(Tensor other) { return InPlace.apply(this, "add_", other, s -> s.add(other), d -> Pointwise.binaryInto(d, BinaryOp.ADD, other)); }
    public Tensor add_(Tensor other, float alpha) {
        return InPlace.apply(this, "add_", other, s -> s.add(other, alpha), d -> Pointwise.binaryInto(d, BinaryOp.ADD, other, alpha));
    }
    public Tensor add_(float v) { return InPlace.apply(this, "add_", null, s -> s.add(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, 1f, v)); }
    public Tensor sub_(Tensor other) { return InPlace.apply(this, "sub_", other, s -> s.sub(other), d -> Pointwise.binaryInto(d, BinaryOp.SUB, other)); }
    public Tensor sub_(Tensor other, float alpha) {
        return InPlace.apply(this, "sub_", other, s -> s.sub(other, alpha), d -> Pointwise.binaryInto(d, BinaryOp.SUB, other, alpha));
    }
    public Tensor sub_(float v) { return InPlace.apply(this, "sub_", null, s -> s.sub(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, 1f, -v)); }
    public Tensor mul_(Tensor other) { return InPlace.apply(this, "mul_", other, s -> s.mul(other), d -> Pointwise.binaryInto(d, BinaryOp.MUL, other)); }
    public Tensor mul_(float v) { return InPlace.apply(this, "mul_", null, s -> s.mul(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, v, 0f)); }
    public Tensor div_(Tensor other) { return InPlace.apply(this, "div_", other, s -> s.div(other), d -> Pointwise.binaryInto(d, BinaryOp.DIV, other)); }
    public Tensor div_(float v) { return InPlace.apply(this, "div_", null, s -> s.div(v)); }
    public Tensor pow_(float e) { return InPlace.apply(this, "pow_", null, s -> s.pow(e)); }
    public Tensor neg_() { return InPlace.apply(this, "neg_", null, Tensor::neg); }
    public Tensor exp_() { return InPlace.apply(this, "exp_", null, Tensor::exp); }
    public Tensor log_() { return InPlace.apply(this, "log_", null, Tensor::log); }
    public Tensor sqrt_() { return InPlace.apply(this, "sqrt_", null, Tensor::sqrt); }
    public Tensor abs_() { return InPlace.apply(this, "abs_", null, Tensor::abs); }
    public Tensor tanh_() { return InPlace.apply(this, "tanh_", null, Tensor::tanh); }
    public Tensor sigmoid_() { return InPlace.apply(this, "sigmoid_", null, Tensor::sigmoid); }
    public Tensor relu_() { return InPlace.apply(this, "relu_", null, Tensor::relu); }
    public Tensor clamp_(float min, float max) { return clamp_((Float) min, (Float) max); }
    /** In-place {@link #clamp(Float, Float)}: either bound may be null, not both. */
    public Tensor clamp_(Float min, Float max) {
        if (min == null && max == null) return clamp(min, max); // the error, before anything is written
        return InPlace.apply(this, "clamp_", null, s -> Pointwise.clamp(s, min, max));
    }
    public Tensor clamp_(Float min, float max) { return clamp_(min, (Float) max); }
    public Tensor clamp_(float min, Float max) { return clamp_((Float) min, max); }
    public Tensor zero_() { return fill_(0f); }
    public Tensor fill_(float v) { return InPlace.apply(this, "fill_", null, s -> Pointwise.fill(s, v), d -> Pointwise.fillInto(d, v)); }
    /** Copies {@code src} (broadcast to this shape) into this tensor. */
    public Tensor copy_(Tensor src) { return InPlace.apply(this, "copy_", src, s -> Pointwise.copy(s, src), d -> Pointwise.copyInto(d, src)); }

    /** Parts of a {@code max(dim)}/{@code min(dim)} result. */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    static List<Tensor> listOf(Tensor... ts) {
        return new ArrayList<>(Arrays.asList(ts));
    }
}
