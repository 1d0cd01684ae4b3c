package org.grad4j.core;

import org.grad4j.core.ops.InPlace;

/** {@link Tensor}'s methods for in-place ops; see {@link TensorMethods}. */
sealed interface InPlaceMethods permits TensorMethods {
    private Tensor self() {
        return (Tensor) this;
    }

    // ---- in place -------------------------------------------------------------------------------

    default Tensor add_(Tensor other) {
        return InPlace.add_(self(), other, 1f);
    }

    default Tensor add_(Tensor other, float alpha) {
        return InPlace.add_(self(), other, alpha);
    }

    default Tensor add_(float v) {
        return InPlace.add_(self(), v);
    }

    default Tensor sub_(Tensor other) {
        return InPlace.sub_(self(), other, 1f);
    }

    default Tensor sub_(Tensor other, float alpha) {
        return InPlace.sub_(self(), other, alpha);
    }

    default Tensor sub_(float v) {
        return InPlace.sub_(self(), v);
    }

    default Tensor mul_(Tensor other) {
        return InPlace.mul_(self(), other);
    }

    default Tensor mul_(float v) {
        return InPlace.mul_(self(), v);
    }

    default Tensor div_(Tensor other) {
        return InPlace.div_(self(), other);
    }

    default Tensor div_(float v) {
        return InPlace.apply(self(), "div_", null, s -> s.div(v));
    }

    default Tensor pow_(float e) {
        return InPlace.apply(self(), "pow_", null, s -> s.pow(e));
    }

    default Tensor neg_() {
        return InPlace.apply(self(), "neg_", null, Tensor::neg);
    }

    default Tensor exp_() {
        return InPlace.apply(self(), "exp_", null, Tensor::exp);
    }

    default Tensor log_() {
        return InPlace.apply(self(), "log_", null, Tensor::log);
    }

    default Tensor sqrt_() {
        return InPlace.apply(self(), "sqrt_", null, Tensor::sqrt);
    }

    default Tensor abs_() {
        return InPlace.apply(self(), "abs_", null, Tensor::abs);
    }

    default Tensor tanh_() {
        return InPlace.apply(self(), "tanh_", null, Tensor::tanh);
    }

    default Tensor sigmoid_() {
        return InPlace.apply(self(), "sigmoid_", null, Tensor::sigmoid);
    }

    default Tensor relu_() {
        return InPlace.apply(self(), "relu_", null, Tensor::relu);
    }

    default Tensor clamp_(float min, float max) {
        return clamp_((Float) min, (Float) max);
    }
    /** In-place {@link #clamp(Float, Float)}: either bound may be null, not both. */
    default Tensor clamp_(Float min, Float max) {
        return InPlace.clamp_(self(), min, max);
    }

    default Tensor clamp_(Float min, float max) {
        return clamp_(min, (Float) max);
    }

    default Tensor clamp_(float min, Float max) {
        return clamp_((Float) min, max);
    }

    default Tensor zero_() {
        return fill_(0f);
    }

    default Tensor fill_(float v) {
        return InPlace.fill_(self(), v);
    }
    /** Copies {@code src} (broadcast to this shape) into this tensor. */
    default Tensor copy_(Tensor src) {
        return InPlace.copy_(self(), src);
    }

    /** In-place {@link #scatter(int, Tensor, Tensor)}. */
    default Tensor scatter_(int dim, Tensor index, Tensor src) {
        return InPlace.apply(self(), "scatter_", src, s -> s.scatter(dim, index, src));
    }
    /** In-place {@link #scatter(int, Tensor, float)}. */
    default Tensor scatter_(int dim, Tensor index, float value) {
        return InPlace.apply(self(), "scatter_", null, s -> s.scatter(dim, index, value));
    }
    /** In-place {@link #scatterAdd(int, Tensor, Tensor)}. */
    default Tensor scatterAdd_(int dim, Tensor index, Tensor src) {
        return InPlace.apply(self(), "scatter_add_", src, s -> s.scatterAdd(dim, index, src));
    }
}
