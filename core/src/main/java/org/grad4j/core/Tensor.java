package org.grad4j.core;

import java.util.Arrays;
import org.grad4j.core.autograd.AutogradMeta;
import org.grad4j.core.autograd.Engine;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.ops.Activations;
import org.grad4j.core.ops.Conversions;
import org.grad4j.core.ops.Factories;
import org.grad4j.core.ops.InPlace;
import org.grad4j.core.ops.Indexing;
import org.grad4j.core.ops.LinearAlgebra;
import org.grad4j.core.ops.Pointwise;
import org.grad4j.core.ops.Reductions;
import org.grad4j.core.ops.Views;
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
 * <p>This class holds the tensor's data; each method is one call into the op catalogue
 * ({@code org.grad4j.core.ops}) or autograd ({@code org.grad4j.core.autograd}), where its body lives.
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

    // ---- factories (on the default device, Device.getDefault()) ---------------------------------

    public static Tensor zeros(int... shape) { return Factories.zeros(shape); }
    public static Tensor ones(int... shape) { return Factories.ones(shape); }
    public static Tensor full(float value, int... shape) { return Factories.full(value, shape); }
    /** Zeros of {@code t}'s shape on {@code t}'s device. */
    public static Tensor zerosLike(Tensor t) { return Factories.zerosLike(t); }
    /** Ones of {@code t}'s shape on {@code t}'s device. */
    public static Tensor onesLike(Tensor t) { return Factories.fullLike(t, 1f); }
    /** {@code value} in {@code t}'s shape on {@code t}'s device. */
    public static Tensor fullLike(Tensor t, float value) { return Factories.fullLike(t, value); }
    /** A 0-dimensional tensor holding {@code value} ({@code torch.tensor(3.0)}). */
    public static Tensor scalar(float value) { return Factories.scalar(value); }
    /** A 1-d tensor of the given values ({@code torch.tensor([1., 2., 3.])}). */
    public static Tensor tensor(float... data) { return Factories.of(data, data.length); }
    /** A 2-d tensor from rows of equal length ({@code torch.tensor([[1., 2.], [3., 4.]])}). */
    public static Tensor tensor(float[][] rows) { return Factories.tensor(rows); }
    /** A tensor of {@code shape} holding a copy of {@code data} in row-major order. */
    public static Tensor of(float[] data, int... shape) { return Factories.of(data, shape); }
    /**
     * An INT64-tagged 1-d tensor of indices, e.g. for {@link #indexSelect(int, Tensor)}. Storage is
     * float32, which holds every integer up to 2^24 in magnitude exactly: a larger value is an error,
     * not rounded to a neighbour.
     */
    public static Tensor indices(int... values) { return Factories.indices(values); }
    /** {@code [0, 1, ..., end-1]}. */
    public static Tensor arange(float end) { return Factories.arange(0, end, 1); }
    /** {@code start, start+step, ...} up to but excluding {@code end}. */
    public static Tensor arange(float start, float end, float step) { return Factories.arange(start, end, step); }
    /** {@code steps} points evenly spaced from {@code start} to {@code end}, both included. */
    public static Tensor linspace(float start, float end, int steps) { return Factories.linspace(start, end, steps); }
    /** Uniform samples in [0, 1) from the default generator. */
    public static Tensor rand(int... shape) { return Factories.rand(Generator.defaultGenerator(), shape); }
    public static Tensor rand(Generator gen, int... shape) { return Factories.rand(gen, shape); }
    /** Standard normal samples from the default generator. */
    public static Tensor randn(int... shape) { return Factories.randn(Generator.defaultGenerator(), shape); }
    public static Tensor randn(Generator gen, int... shape) { return Factories.randn(gen, shape); }
    /** The identity matrix n×n. */
    public static Tensor eye(int n) { return Factories.eye(n); }

    // ---- metadata, devices and data ---------------------------------------------------------------

    /** The device this tensor's storage lives on ({@code x.device}). */
    public Device device() { return Device.of(buffer.backend()); }
    /**
     * This tensor on {@code device} ({@code x.to(device)}): this tensor itself when it is already there,
     * else a contiguous copy (same shape and dtype) whose gradient flows back to this tensor's device
     * ({@code ToCopyBackward0}).
     */
    public Tensor to(Device device) { return Conversions.to(this, device); }
    /**
     * This tensor converted to {@code dtype} ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}):
     * itself when it has that dtype already, else a fresh tensor outside the graph. To INT64 truncates
     * toward zero (NaN and infinities are errors); to BOOL is "not zero". E.g. float class labels read
     * from a file become targets for crossEntropy with {@code labels.to(DType.INT64)}.
     */
    public Tensor to(DType dtype) { return Conversions.to(this, dtype); }
    /** {@code x.to("tornado")}: {@link #to(Device)} with {@link Device#of(String)}. */
    public Tensor to(String device) { return to(Device.of(device)); }
    /** {@code x.cpu()}: this tensor on the JVM device. */
    public Tensor cpu() { return to(Device.cpu()); }

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
    public int[] shape() { return shape.clone(); }
    /** Size of dimension {@code dim} (negative counts from the end). */
    public int size(int dim) { return Views.size(this, dim); }
    public int[] strides() { return strides.clone(); }
    public int storageOffset() { return offset; }
    public int dim() { return shape.length; }
    public int numel() { return Layout.numel(shape); }
    public DType dtype() { return dtype; }
    public boolean isContiguous() { return new Layout(shape, strides, offset).isContiguous(); }
    /** True when this tensor shares its storage with a base tensor (it was made by a view op). */
    public boolean isView() { return base != null; }
    /** The number of in-place writes to this tensor's storage so far (PyTorch's {@code _version}). */
    public int version() { return version.value; }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: a Tensor with " + numel() + " elements (shape " + Arrays.toString(shape)
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
        Tensor c = isContiguous() ? this : contiguousUntracked(); // read in row-major order
        c.buffer.backend().read(c.buffer, c.offset, out, 0, n);
        return out;
    }

    /** This tensor if dense from offset 0, else a contiguous copy; never recorded (for kernels that need flat input). */
    Tensor contiguousUntracked() {
        if (offset == 0 && isContiguous()) return this;
        Tensor c = TensorInternals.newUninitialized(this, shape, dtype);
        buffer.backend().copy(buffer, new Layout(shape, strides, offset), c.buffer, new Layout(c.shape, c.strides, 0));
        return c;
    }

    @Override
    public String toString() { return TensorFormatter.format(this); }

    // ---- autograd -------------------------------------------------------------------------------

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
    public Tensor detach() { return new Tensor(buffer, shape, strides, offset, dtype, version, null); }
    /** The same data with writes that autograd does not track ({@code x.data}). */
    public Tensor data() { return new Tensor(buffer, shape, strides, offset, dtype, new VersionCounter(), null); }

    // ---- pointwise ------------------------------------------------------------------------------

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
    public Tensor reciprocal() { return Pointwise.reciprocal(this); }
    public Tensor tanh() { return Activations.tanh(this); }
    public Tensor sigmoid() { return Activations.sigmoid(this); }
    public Tensor relu() { return Activations.relu(this); }
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

    public Tensor eq(Tensor o) { return Pointwise.eq(this, o); }
    public Tensor ne(Tensor o) { return Pointwise.ne(this, o); }
    public Tensor lt(Tensor o) { return Pointwise.lt(this, o); }
    public Tensor le(Tensor o) { return Pointwise.le(this, o); }
    public Tensor gt(Tensor o) { return Pointwise.gt(this, o); }
    public Tensor ge(Tensor o) { return Pointwise.ge(this, o); }
    public Tensor eq(float s) { return Pointwise.eq(this, TensorInternals.scalarLike(this, s)); }
    public Tensor ne(float s) { return Pointwise.ne(this, TensorInternals.scalarLike(this, s)); }
    public Tensor lt(float s) { return Pointwise.lt(this, TensorInternals.scalarLike(this, s)); }
    public Tensor le(float s) { return Pointwise.le(this, TensorInternals.scalarLike(this, s)); }
    public Tensor gt(float s) { return Pointwise.gt(this, TensorInternals.scalarLike(this, s)); }
    public Tensor ge(float s) { return Pointwise.ge(this, TensorInternals.scalarLike(this, s)); }
    /** Logical and of two masks (non-zero is true). */
    public Tensor logicalAnd(Tensor o) { return Pointwise.logicalAnd(this, o); }

    // ---- reductions and linear algebra ----------------------------------------------------------

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
    public Tensor softmax(int dim) { return Activations.softmax(this, dim, false); }
    public Tensor logSoftmax(int dim) { return Activations.softmax(this, dim, true); }

    public Tensor mm(Tensor other) { return LinearAlgebra.mm(this, other); }
    public Tensor bmm(Tensor other) { return LinearAlgebra.bmm(this, other); }
    public Tensor mv(Tensor vec) { return LinearAlgebra.mv(this, vec); }
    public Tensor dot(Tensor other) { return LinearAlgebra.dot(this, other); }
    public Tensor matmul(Tensor other) { return LinearAlgebra.matmul(this, other); }

    // ---- views and copies -----------------------------------------------------------------------

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

    // ---- indexing -------------------------------------------------------------------------------

    /**
     * Python-style indexing: each argument is an {@code Integer} (select, the dimension goes),
     * a {@link Slice} (e.g. {@code Slice.of(1, 3)}, {@code Slice.all()}), or an INT64 tensor (indexSelect).
     * {@code x.get(0, 1)} is {@code x[0, 1]}.
     */
    public Tensor get(Object... indices) { return Indexing.get(this, indices); }
    /** Indexed assignment {@code this[indices] = value} (recorded as CopySlices). */
    public Tensor set(Tensor value, Object... indices) { return Indexing.set(this, value, indices); }
    public Tensor set(float value, Object... indices) {
        return Indexing.set(this, TensorInternals.scalarLike(this, value), indices);
    }
    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }
    /** Out-of-place {@code index_add}: adds rows of {@code source} at positions {@code index} of {@code dim}. */
    public Tensor indexAdd(int dim, Tensor index, Tensor source) { return Indexing.indexAdd(this, dim, index, source); }

    // ---- in place -------------------------------------------------------------------------------

    public Tensor add_(Tensor other) { return InPlace.add_(this, other, 1f); }
    public Tensor add_(Tensor other, float alpha) { return InPlace.add_(this, other, alpha); }
    public Tensor add_(float v) { return InPlace.add_(this, v); }
    public Tensor sub_(Tensor other) { return InPlace.sub_(this, other, 1f); }
    public Tensor sub_(Tensor other, float alpha) { return InPlace.sub_(this, other, alpha); }
    public Tensor sub_(float v) { return InPlace.sub_(this, v); }
    public Tensor mul_(Tensor other) { return InPlace.mul_(this, other); }
    public Tensor mul_(float v) { return InPlace.mul_(this, v); }
    public Tensor div_(Tensor other) { return InPlace.div_(this, other); }
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
    public Tensor clamp_(Float min, Float max) { return InPlace.clamp_(this, min, max); }
    public Tensor clamp_(Float min, float max) { return clamp_(min, (Float) max); }
    public Tensor clamp_(float min, Float max) { return clamp_((Float) min, max); }
    public Tensor zero_() { return fill_(0f); }
    public Tensor fill_(float v) { return InPlace.fill_(this, v); }
    /** Copies {@code src} (broadcast to this shape) into this tensor. */
    public Tensor copy_(Tensor src) { return InPlace.copy_(this, src); }

    /** Parts of a {@code max(dim)}/{@code min(dim)} result. */
    public record ValuesIndices(Tensor values, Tensor indices) {}
}
