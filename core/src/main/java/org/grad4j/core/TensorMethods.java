package org.grad4j.core;

import org.grad4j.core.autograd.AutogradMeta;
import org.grad4j.core.autograd.Engine;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.ops.Conversions;
import org.grad4j.core.ops.Views;

/**
 * The PyTorch-style methods of {@link Tensor}, each one call into the op catalogue
 * ({@code org.grad4j.core.ops}) or autograd ({@code org.grad4j.core.autograd}), where its body lives.
 * Tensor implements this interface, so {@code x.add(y)} reads as before; the split keeps the tensor's
 * data (Tensor.java) below the layers that compute with it, and these methods above them. They are
 * grouped by kind in the interfaces this one extends ({@link PointwiseMethods}, {@link ReductionMethods},
 * {@link ViewMethods}, {@link InPlaceMethods}).
 */
sealed interface TensorMethods extends PointwiseMethods, ReductionMethods, ViewMethods, InPlaceMethods permits Tensor {
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
    default Tensor to(Device device) {
        return Conversions.to(self(), device);
    }
    /**
     * This tensor converted to {@code dtype} ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}):
     * itself when it has that dtype already, else a fresh tensor outside the graph. To INT64 truncates
     * toward zero (NaN and infinities are errors); to BOOL is "not zero". E.g. float class labels read
     * from a file become targets for crossEntropy with {@code labels.to(DType.INT64)}.
     */
    default Tensor to(DType dtype) {
        return Conversions.to(self(), dtype);
    }
    /** {@code x.to("tornado")}: {@link #to(Device)} with {@link Device#of(String)}. */
    default Tensor to(String device) {
        return to(Device.of(device));
    }
    /** {@code x.cpu()}: this tensor on the JVM device. */
    default Tensor cpu() {
        return to(Device.cpu());
    }
    /** Size of dimension {@code dim} (negative counts from the end). */
    default int size(int dim) {
        return Views.size(self(), dim);
    }

    // ---- autograd -------------------------------------------------------------------------------

    default boolean requiresGrad() {
        return AutogradMeta.requiresGrad(self());
    }
    /** Sets requires-grad on a leaf ({@code x.requires_grad_()}); returns this tensor. */
    default Tensor requiresGrad_(boolean requires) {
        return AutogradMeta.requiresGrad_(self(), requires);
    }
    /** Same as {@code requiresGrad_(true)}. */
    default Tensor requiresGrad_() {
        return requiresGrad_(true);
    }
    /** A leaf is a tensor not made by a recorded op; its gradient is accumulated into {@link #grad()}. */
    default boolean isLeaf() {
        return gradFn() == null;
    }
    /** The backward node that made this tensor, or null for leaves. */
    default Node gradFn() {
        return AutogradMeta.gradFn(self());
    }
    /**
     * The accumulated gradient, or null. A gradient that arrived row-sparse ({@link #sparseGrad()}) is
     * made dense here, once, and stays dense (the dense fallback).
     */
    default Tensor grad() {
        return AutogradMeta.grad(self());
    }
    /**
     * The accumulated gradient when it arrived row-sparse (an embedding with {@code sparse=true}),
     * without making it dense; null when there is none or it is dense.
     */
    default SparseGrad sparseGrad() {
        return AutogradMeta.sparseGrad(self());
    }
    /** Replaces the gradient ({@code x.grad = g}); null clears it (a sparse one too). */
    default void setGrad(Tensor g) {
        AutogradMeta.setGrad(self(), g);
    }
    /** Makes this non-leaf keep its gradient in {@link #grad()} after backward. No-op on leaves. */
    default void retainGrad() {
        AutogradMeta.retainGrad(self());
    }
    /** True when {@link #retainGrad()} was called on this non-leaf. */
    default boolean retainsGrad() {
        return AutogradMeta.retainsGrad(self());
    }

    /** Backward from a one-element root. */
    default void backward() {
        backward(null, false, false);
    }
    /** Backward with {@code gradient} as the vector of the vector-Jacobian product (shape of this tensor). */
    default void backward(Tensor gradient) {
        backward(gradient, false, false);
    }

    default void backward(Tensor gradient, boolean retainGraph) {
        backward(gradient, retainGraph, false);
    }
    /**
     * Reverse-mode sweep from this tensor. {@code retainGraph} keeps the saved tensors for another
     * backward; {@code createGraph} records the backward itself (gradients of gradients) and
     * implies retainGraph, as in PyTorch.
     */
    default void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Engine.backward(
                new Tensor[] {self()}, new Tensor[] {gradient}, Engine.Options.backward(retainGraph, createGraph));
    }

    /** Registers a hook called with this tensor's gradient during backward; it may return a replacement. */
    default RemovableHandle registerHook(TensorHook hook) {
        return AutogradMeta.registerHook(self(), hook);
    }
    /** Registers a hook run after a leaf's gradient has been accumulated into {@link #grad()}. */
    default RemovableHandle registerPostAccumulateGradHook(TensorHook hook) {
        return AutogradMeta.registerPostAccumulateGradHook(self(), hook);
    }
}
