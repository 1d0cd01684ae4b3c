package org.grad4j.core;

import org.grad4j.core.autograd.AutogradMeta;
import org.grad4j.core.autograd.Engine;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.ops.Activations;
import org.grad4j.core.ops.Conversions;
import org.grad4j.core.ops.InPlace;
import org.grad4j.core.ops.Indexing;
import org.grad4j.core.ops.LinearAlgebra;
import org.grad4j.core.ops.Pointwise;
import org.grad4j.core.ops.Reductions;
import org.grad4j.core.ops.Views;
import org.grad4j.kernels.Layout;

/**
 * The PyTorch-style methods of {@link Tensor}, each one call into the op catalogue
 * ({@code org.grad4j.core.ops}) or autograd ({@code org.grad4j.core.autograd}), where its body lives.
 * Tensor implements this interface, so {@code x.add(y)} reads as before; the split keeps the tensor's
 * data (Tensor.java) below the layers that compute with it, and these methods above them.
 */
sealed interface TensorMethods permits Tensor {
    private Tensor self() {
        return (Tensor) this;
    }

    /** {@code x.clone()}: a copy with its own storage whose gradient flows back to {@code x}. */
    static Tensor cloneOf(Tensor x) {
        return Views.cloneOp(x);
    }

    /** {@code x.toString()}, as PyTorch prints it. */
    static String format(Tensor x) {
        return TensorFormatter.format(x);
    }

    // ---- devices and dtypes -----------------------------------------------------------------------

    /**
     * This tensor on {@code device} ({@code x.to(device)}): this tensor itself when it is already there,
     * else a contiguous copy (same shape and dtype) whose gradient flows back to this tensor's device
     * ({@code ToCopyBackward0}).
     */
    default Tensor to(Device device) { return Conversions.to(self(), device); }
    /**
     * This tensor converted to {@code dtype} ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}):
     * itself when it has that dtype already, else a fresh tensor outside the graph. To INT64 truncates
     * toward zero (NaN and infinities are errors); to BOOL is "not zero". E.g. float class labels read
     * from a file become targets for crossEntropy with {@code labels.to(DType.INT64)}.
     */
    default Tensor to(DType dtype) { return Conversions.to(self(), dtype); }
    /** {@code x.to("tornado")}: {@link #to(Device)} with {@link Device#of(String)}. */
    default Tensor to(String device) { return to(Device.of(device)); }
    /** {@code x.cpu()}: this tensor on the JVM device. */
    default Tensor cpu() { return to(Device.cpu()); }
    /** Size of dimension {@code dim} (negative counts from the end). */
    default int size(int dim) { return Views.size(self(), dim); }

    // ---- autograd -------------------------------------------------------------------------------

    default boolean requiresGrad() { return AutogradMeta.requiresGrad(self()); }
    /** Sets requires-grad on a leaf ({@code x.requires_grad_()}); returns this tensor. */
    default Tensor requiresGrad_(boolean requires) { return AutogradMeta.requiresGrad_(self(), requires); }
    /** Same as {@code requiresGrad_(true)}. */
    default Tensor requiresGrad_() { return requiresGrad_(true); }
    /** A leaf is a tensor not made by a recorded op; its gradient is accumulated into {@link #grad()}. */
    default boolean isLeaf() { return gradFn() == null; }
    /** The backward node that made this tensor, or null for leaves. */
    default Node gradFn() { return AutogradMeta.gradFn(self()); }
    /**
     * The accumulated gradient, or null. A gradient that arrived row-sparse ({@link #sparseGrad()}) is
     * made dense here, once, and stays dense (the dense fallback).
     */
    default Tensor grad() { return AutogradMeta.grad(self()); }
    /**
     * The accumulated gradient when it arrived row-sparse (an embedding with {@code sparse=true}),
     * without making it dense; null when there is none or it is dense.
     */
    default SparseGrad sparseGrad() { return AutogradMeta.sparseGrad(self()); }
    /** Replaces the gradient ({@code x.grad = g}); null clears it (a sparse one too). */
    default void setGrad(Tensor g) { AutogradMeta.setGrad(self(), g); }
    /** Makes this non-leaf keep its gradient in {@link #grad()} after backward. No-op on leaves. */
    default void retainGrad() { AutogradMeta.retainGrad(self()); }
    /** True when {@link #retainGrad()} was called on this non-leaf. */
    default boolean retainsGrad() { return AutogradMeta.retainsGrad(self()); }

    /** Backward from a one-element root. */
    default void backward() { backward(null, false, false); }
    /** Backward with {@code gradient} as the vector of the vector-Jacobian product (shape of this tensor). */
    default void backward(Tensor gradient) { backward(gradient, false, false); }
    default void backward(Tensor gradient, boolean retainGraph) { backward(gradient, retainGraph, false); }
    /**
     * Reverse-mode sweep from this tensor. {@code retainGraph} keeps the saved tensors for another
     * backward; {@code createGraph} records the backward itself (gradients of gradients) and
     * implies retainGraph, as in PyTorch.
     */
    default void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Engine.backward(new Tensor[] {self()}, new Tensor[] {gradient}, Engine.Options.backward(retainGraph, createGraph));
    }

    /** Registers a hook called with this tensor's gradient during backward; it may return a replacement. */
    default RemovableHandle registerHook(TensorHook hook) { return AutogradMeta.registerHook(self(), hook); }
    /** Registers a hook run after a leaf's gradient has been accumulated into {@link #grad()}. */
    default RemovableHandle registerPostAccumulateGradHook(TensorHook hook) {
        return AutogradMeta.registerPostAccumulateGradHook(self(), hook);
    }


    // ---- pointwise ------------------------------------------------------------------------------

    default Tensor add(Tensor other) { return Pointwise.add(self(), other, 1f); }
    default Tensor add(Tensor other, float alpha) { return Pointwise.add(self(), other, alpha); }
    default Tensor add(float s) { return Pointwise.addScalar(self(), s); }
    default Tensor sub(Tensor other) { return Pointwise.sub(self(), other, 1f); }
    default Tensor sub(Tensor other, float alpha) { return Pointwise.sub(self(), other, alpha); }
    default Tensor sub(float s) { return Pointwise.subScalar(self(), s); }
    /** {@code s - this} (PyTorch's {@code rsub}). */
    default Tensor rsub(float s) { return Pointwise.rsubScalar(self(), s); }
    default Tensor mul(Tensor other) { return Pointwise.mul(self(), other); }
    default Tensor mul(float s) { return Pointwise.mulScalar(self(), s); }
    default Tensor div(Tensor other) { return Pointwise.div(self(), other); }
    default Tensor div(float s) { return Pointwise.divScalar(self(), s); }
    default Tensor neg() { return Pointwise.neg(self()); }
    default Tensor pow(float exponent) { return Pointwise.pow(self(), exponent); }
    default Tensor pow(Tensor exponent) { return Pointwise.pow(self(), exponent); }
    default Tensor exp() { return Pointwise.exp(self()); }
    default Tensor log() { return Pointwise.log(self()); }
    default Tensor sqrt() { return Pointwise.sqrt(self()); }
    default Tensor abs() { return Pointwise.abs(self()); }
    default Tensor sign() { return Pointwise.sign(self()); }
    default Tensor reciprocal() { return Pointwise.reciprocal(self()); }
    default Tensor tanh() { return Activations.tanh(self()); }
    default Tensor sigmoid() { return Activations.sigmoid(self()); }
    default Tensor relu() { return Activations.relu(self()); }
    /**
     * Clamps into [min, max] ({@code torch.clamp}; grad_fn {@code ClampBackward1}). Either bound may be
     * null for none on that side ({@code x.clamp(0f, null)} is {@code torch.clamp(x, min=0)}), not both;
     * a NaN bound gives NaN, as in PyTorch. The four overloads let any mix of float literals, Float
     * variables and null compile without a cast.
     */
    default Tensor clamp(float min, float max) { return Pointwise.clamp(self(), min, max); }
    default Tensor clamp(Float min, Float max) { return Pointwise.clamp(self(), min, max); }
    default Tensor clamp(Float min, float max) { return Pointwise.clamp(self(), min, max); }
    default Tensor clamp(float min, Float max) { return Pointwise.clamp(self(), min, max); }
    /** {@code torch.clamp_min}: its own op in PyTorch (grad_fn {@code ClampMinBackward0}). */
    default Tensor clampMin(float min) { return Pointwise.clampMin(self(), min); }
    default Tensor clampMax(float max) { return Pointwise.clampMax(self(), max); }
    default Tensor maximum(Tensor other) { return Pointwise.maximum(self(), other); }
    default Tensor minimum(Tensor other) { return Pointwise.minimum(self(), other); }

    default Tensor eq(Tensor o) { return Pointwise.eq(self(), o); }
    default Tensor ne(Tensor o) { return Pointwise.ne(self(), o); }
    default Tensor lt(Tensor o) { return Pointwise.lt(self(), o); }
    default Tensor le(Tensor o) { return Pointwise.le(self(), o); }
    default Tensor gt(Tensor o) { return Pointwise.gt(self(), o); }
    default Tensor ge(Tensor o) { return Pointwise.ge(self(), o); }
    default Tensor eq(float s) { return Pointwise.eq(self(), TensorInternals.scalarLike(self(), s)); }
    default Tensor ne(float s) { return Pointwise.ne(self(), TensorInternals.scalarLike(self(), s)); }
    default Tensor lt(float s) { return Pointwise.lt(self(), TensorInternals.scalarLike(self(), s)); }
    default Tensor le(float s) { return Pointwise.le(self(), TensorInternals.scalarLike(self(), s)); }
    default Tensor gt(float s) { return Pointwise.gt(self(), TensorInternals.scalarLike(self(), s)); }
    default Tensor ge(float s) { return Pointwise.ge(self(), TensorInternals.scalarLike(self(), s)); }
    /** Logical and of two masks (non-zero is true). */
    default Tensor logicalAnd(Tensor o) { return Pointwise.logicalAnd(self(), o); }

    // ---- reductions and linear algebra ----------------------------------------------------------

    /** Sum of all elements. */
    default Tensor sum() { return Reductions.sum(self()); }
    default Tensor sum(int dim) { return Reductions.sum(self(), new int[] {dim}, false); }
    default Tensor sum(int dim, boolean keepdim) { return Reductions.sum(self(), new int[] {dim}, keepdim); }
    default Tensor sum(int[] dims, boolean keepdim) { return Reductions.sum(self(), dims, keepdim); }
    default Tensor mean() { return Reductions.mean(self()); }
    default Tensor mean(int dim) { return Reductions.mean(self(), new int[] {dim}, false); }
    default Tensor mean(int dim, boolean keepdim) { return Reductions.mean(self(), new int[] {dim}, keepdim); }
    default Tensor mean(int[] dims, boolean keepdim) { return Reductions.mean(self(), dims, keepdim); }
    /** The largest element. */
    default Tensor max() { return Reductions.maxAll(self(), true); }
    default Tensor min() { return Reductions.maxAll(self(), false); }
    /** Largest values along {@code dim} and their indices. */
    default Tensor.ValuesIndices max(int dim) { return Reductions.maxDim(self(), dim, false, true); }
    default Tensor.ValuesIndices max(int dim, boolean keepdim) { return Reductions.maxDim(self(), dim, keepdim, true); }
    default Tensor.ValuesIndices min(int dim) { return Reductions.maxDim(self(), dim, false, false); }
    default Tensor.ValuesIndices min(int dim, boolean keepdim) { return Reductions.maxDim(self(), dim, keepdim, false); }
    default Tensor argmax(int dim) { return max(dim).indices(); }
    default Tensor argmin(int dim) { return min(dim).indices(); }
    default Tensor softmax(int dim) { return Activations.softmax(self(), dim, false); }
    default Tensor logSoftmax(int dim) { return Activations.softmax(self(), dim, true); }

    default Tensor mm(Tensor other) { return LinearAlgebra.mm(self(), other); }
    default Tensor bmm(Tensor other) { return LinearAlgebra.bmm(self(), other); }
    default Tensor mv(Tensor vec) { return LinearAlgebra.mv(self(), vec); }
    default Tensor dot(Tensor other) { return LinearAlgebra.dot(self(), other); }
    default Tensor matmul(Tensor other) { return LinearAlgebra.matmul(self(), other); }

    // ---- views and copies -----------------------------------------------------------------------

    default Tensor view(int... shape) { return Views.view(self(), shape); }
    default Tensor reshape(int... shape) { return Views.reshape(self(), shape); }
    default Tensor flatten() { return Views.flatten(self(), 0, -1); }
    default Tensor flatten(int startDim, int endDim) { return Views.flatten(self(), startDim, endDim); }
    default Tensor t() { return Views.t(self()); }
    default Tensor transpose(int dim0, int dim1) { return Views.transpose(self(), dim0, dim1); }
    default Tensor permute(int... dims) { return Views.permute(self(), dims); }
    /** Broadcasts to {@code sizes} without copying; -1 keeps a dimension. */
    default Tensor expand(int... sizes) { return Views.expand(self(), sizes); }
    default Tensor expandAs(Tensor other) { return Views.expand(self(), other.shape); }
    default Tensor squeeze() { return Views.squeeze(self()); }
    default Tensor squeeze(int dim) { return Views.squeeze(self(), dim); }
    default Tensor unsqueeze(int dim) { return Views.unsqueeze(self(), dim); }
    /** The slice at {@code index} of dimension {@code dim}, which is removed ({@code x[:, i]}). */
    default Tensor select(int dim, int index) { return Views.select(self(), dim, index); }
    /** Elements {@code start, start+step, ...} below {@code end} of dimension {@code dim} ({@code x[:, a:b:s]}). */
    default Tensor slice(int dim, int start, int end, int step) { return Views.slice(self(), dim, start, end, step); }
    default Tensor slice(int dim, int start, int end) { return Views.slice(self(), dim, start, end, 1); }
    /** {@code length} elements from {@code start} (negative counts from the end); out of range is an error, as in PyTorch. */
    default Tensor narrow(int dim, int start, int length) { return Views.narrow(self(), dim, start, length); }
    default Tensor asStrided(int[] size, int[] stride, int storageOffset) {
        return Views.asStrided(self(), new Layout(size.clone(), stride.clone(), storageOffset));
    }
    default Tensor contiguous() { return self().isContiguous() ? self() : self().clone(); }

    // ---- indexing -------------------------------------------------------------------------------

    /**
     * Python-style indexing: each argument is an {@code Integer} (select, the dimension goes),
     * a {@link Slice} (e.g. {@code Slice.of(1, 3)}, {@code Slice.all()}), or an INT64 tensor (indexSelect).
     * {@code x.get(0, 1)} is {@code x[0, 1]}.
     */
    default Tensor get(Object... indices) { return Indexing.get(self(), indices); }
    /** Indexed assignment {@code this[indices] = value} (recorded as CopySlices). */
    default Tensor set(Tensor value, Object... indices) { return Indexing.set(self(), value, indices); }
    default Tensor set(float value, Object... indices) {
        return Indexing.set(self(), TensorInternals.scalarLike(self(), value), indices);
    }
    default Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(self(), dim, index); }
    /** Out-of-place {@code index_add}: adds rows of {@code source} at positions {@code index} of {@code dim}. */
    default Tensor indexAdd(int dim, Tensor index, Tensor source) { return Indexing.indexAdd(self(), dim, index, source); }

    // ---- in place -------------------------------------------------------------------------------

    default Tensor add_(Tensor other) { return InPlace.add_(self(), other, 1f); }
    default Tensor add_(Tensor other, float alpha) { return InPlace.add_(self(), other, alpha); }
    default Tensor add_(float v) { return InPlace.add_(self(), v); }
    default Tensor sub_(Tensor other) { return InPlace.sub_(self(), other, 1f); }
    default Tensor sub_(Tensor other, float alpha) { return InPlace.sub_(self(), other, alpha); }
    default Tensor sub_(float v) { return InPlace.sub_(self(), v); }
    default Tensor mul_(Tensor other) { return InPlace.mul_(self(), other); }
    default Tensor mul_(float v) { return InPlace.mul_(self(), v); }
    default Tensor div_(Tensor other) { return InPlace.div_(self(), other); }
    default Tensor div_(float v) { return InPlace.apply(self(), "div_", null, s -> s.div(v)); }
    default Tensor pow_(float e) { return InPlace.apply(self(), "pow_", null, s -> s.pow(e)); }
    default Tensor neg_() { return InPlace.apply(self(), "neg_", null, Tensor::neg); }
    default Tensor exp_() { return InPlace.apply(self(), "exp_", null, Tensor::exp); }
    default Tensor log_() { return InPlace.apply(self(), "log_", null, Tensor::log); }
    default Tensor sqrt_() { return InPlace.apply(self(), "sqrt_", null, Tensor::sqrt); }
    default Tensor abs_() { return InPlace.apply(self(), "abs_", null, Tensor::abs); }
    default Tensor tanh_() { return InPlace.apply(self(), "tanh_", null, Tensor::tanh); }
    default Tensor sigmoid_() { return InPlace.apply(self(), "sigmoid_", null, Tensor::sigmoid); }
    default Tensor relu_() { return InPlace.apply(self(), "relu_", null, Tensor::relu); }
    default Tensor clamp_(float min, float max) { return clamp_((Float) min, (Float) max); }
    /** In-place {@link #clamp(Float, Float)}: either bound may be null, not both. */
    default Tensor clamp_(Float min, Float max) { return InPlace.clamp_(self(), min, max); }
    default Tensor clamp_(Float min, float max) { return clamp_(min, (Float) max); }
    default Tensor clamp_(float min, Float max) { return clamp_((Float) min, max); }
    default Tensor zero_() { return fill_(0f); }
    default Tensor fill_(float v) { return InPlace.fill_(self(), v); }
    /** Copies {@code src} (broadcast to this shape) into this tensor. */
    default Tensor copy_(Tensor src) { return InPlace.copy_(self(), src); }
}
