package org.grad4j.core;

import org.grad4j.core.ops.Activations;
import org.grad4j.core.ops.Comparisons;
import org.grad4j.core.ops.Pointwise;
import org.grad4j.core.ops.Triangular;

/** {@link Tensor}'s methods for elementwise arithmetic, activations and comparisons; see {@link TensorMethods}. */
sealed interface PointwiseMethods permits TensorMethods {
    private Tensor self() {
        return (Tensor) this;
    }

    // ---- pointwise ------------------------------------------------------------------------------

    default Tensor add(Tensor other) {
        return Pointwise.add(self(), other, 1f);
    }

    default Tensor add(Tensor other, float alpha) {
        return Pointwise.add(self(), other, alpha);
    }

    default Tensor add(float s) {
        return Pointwise.addScalar(self(), s);
    }

    default Tensor sub(Tensor other) {
        return Pointwise.sub(self(), other, 1f);
    }

    default Tensor sub(Tensor other, float alpha) {
        return Pointwise.sub(self(), other, alpha);
    }

    default Tensor sub(float s) {
        return Pointwise.subScalar(self(), s);
    }
    /** {@code s - this} (PyTorch's {@code rsub}). */
    default Tensor rsub(float s) {
        return Pointwise.rsubScalar(self(), s);
    }

    default Tensor mul(Tensor other) {
        return Pointwise.mul(self(), other);
    }

    default Tensor mul(float s) {
        return Pointwise.mulScalar(self(), s);
    }

    default Tensor div(Tensor other) {
        return Pointwise.div(self(), other);
    }

    default Tensor div(float s) {
        return Pointwise.divScalar(self(), s);
    }

    default Tensor neg() {
        return Pointwise.neg(self());
    }

    default Tensor pow(float exponent) {
        return Pointwise.pow(self(), exponent);
    }

    default Tensor pow(Tensor exponent) {
        return Pointwise.pow(self(), exponent);
    }

    default Tensor exp() {
        return Pointwise.exp(self());
    }

    default Tensor log() {
        return Pointwise.log(self());
    }

    default Tensor sqrt() {
        return Pointwise.sqrt(self());
    }

    default Tensor abs() {
        return Pointwise.abs(self());
    }

    default Tensor sign() {
        return Pointwise.sign(self());
    }

    default Tensor reciprocal() {
        return Pointwise.reciprocal(self());
    }

    /** The error function ({@code torch.erf}; grad_fn {@code ErfBackward0}). */
    default Tensor erf() {
        return Pointwise.erf(self());
    }

    default Tensor tanh() {
        return Activations.tanh(self());
    }

    default Tensor sigmoid() {
        return Activations.sigmoid(self());
    }

    default Tensor relu() {
        return Activations.relu(self());
    }
    /**
     * Clamps into [min, max] ({@code torch.clamp}; grad_fn {@code ClampBackward1}). Either bound may be
     * null for none on that side ({@code x.clamp(0f, null)} is {@code torch.clamp(x, min=0)}), not both;
     * a NaN bound gives NaN, as in PyTorch. The four overloads let any mix of float literals, Float
     * variables and null compile without a cast.
     */
    default Tensor clamp(float min, float max) {
        return Pointwise.clamp(self(), min, max);
    }

    default Tensor clamp(Float min, Float max) {
        return Pointwise.clamp(self(), min, max);
    }

    default Tensor clamp(Float min, float max) {
        return Pointwise.clamp(self(), min, max);
    }

    default Tensor clamp(float min, Float max) {
        return Pointwise.clamp(self(), min, max);
    }
    /** {@code torch.clamp_min}: its own op in PyTorch (grad_fn {@code ClampMinBackward0}). */
    default Tensor clampMin(float min) {
        return Pointwise.clampMin(self(), min);
    }

    default Tensor clampMax(float max) {
        return Pointwise.clampMax(self(), max);
    }

    default Tensor maximum(Tensor other) {
        return Pointwise.maximum(self(), other);
    }

    default Tensor minimum(Tensor other) {
        return Pointwise.minimum(self(), other);
    }

    /** {@code value} where the BOOL {@code mask} (broadcast with this tensor) is true. */
    default Tensor maskedFill(Tensor mask, float value) {
        return Comparisons.maskedFill(self(), mask, value);
    }

    /** The lower triangle of the last two dimensions: elements with {@code col - row <= diagonal}. */
    default Tensor tril(int diagonal) {
        return Triangular.triangle(self(), diagonal, true);
    }

    default Tensor tril() {
        return tril(0);
    }

    /** The upper triangle of the last two dimensions: elements with {@code col - row >= diagonal}. */
    default Tensor triu(int diagonal) {
        return Triangular.triangle(self(), diagonal, false);
    }

    default Tensor triu() {
        return triu(0);
    }

    default Tensor eq(Tensor o) {
        return Comparisons.eq(self(), o);
    }

    default Tensor ne(Tensor o) {
        return Comparisons.ne(self(), o);
    }

    default Tensor lt(Tensor o) {
        return Comparisons.lt(self(), o);
    }

    default Tensor le(Tensor o) {
        return Comparisons.le(self(), o);
    }

    default Tensor gt(Tensor o) {
        return Comparisons.gt(self(), o);
    }

    default Tensor ge(Tensor o) {
        return Comparisons.ge(self(), o);
    }

    default Tensor eq(float s) {
        return Comparisons.eq(self(), TensorInternals.scalarLike(self(), s));
    }

    default Tensor ne(float s) {
        return Comparisons.ne(self(), TensorInternals.scalarLike(self(), s));
    }

    default Tensor lt(float s) {
        return Comparisons.lt(self(), TensorInternals.scalarLike(self(), s));
    }

    default Tensor le(float s) {
        return Comparisons.le(self(), TensorInternals.scalarLike(self(), s));
    }

    default Tensor gt(float s) {
        return Comparisons.gt(self(), TensorInternals.scalarLike(self(), s));
    }

    default Tensor ge(float s) {
        return Comparisons.ge(self(), TensorInternals.scalarLike(self(), s));
    }
    /** Logical and of two masks (non-zero is true). */
    default Tensor logicalAnd(Tensor o) {
        return Comparisons.logicalAnd(self(), o);
    }
}
