package org.grad4j.core;

import org.grad4j.core.ops.Activations;
import org.grad4j.core.ops.Cumsum;
import org.grad4j.core.ops.LinearAlgebra;
import org.grad4j.core.ops.LogSumExp;
import org.grad4j.core.ops.Reductions;
import org.grad4j.core.ops.Sampling;
import org.grad4j.core.ops.TopK;
import org.grad4j.core.ops.Variance;

/** {@link Tensor}'s methods for reductions and linear algebra; see {@link TensorMethods}. */
sealed interface ReductionMethods permits TensorMethods {
    private Tensor self() {
        return (Tensor) this;
    }

    // ---- reductions and linear algebra ----------------------------------------------------------

    /** Sum of all elements. */
    default Tensor sum() {
        return Reductions.sum(self());
    }

    default Tensor sum(int dim) {
        return Reductions.sum(self(), new int[] {dim}, false);
    }

    default Tensor sum(int dim, boolean keepdim) {
        return Reductions.sum(self(), new int[] {dim}, keepdim);
    }

    default Tensor sum(int[] dims, boolean keepdim) {
        return Reductions.sum(self(), dims, keepdim);
    }

    default Tensor mean() {
        return Reductions.mean(self());
    }

    default Tensor mean(int dim) {
        return Reductions.mean(self(), new int[] {dim}, false);
    }

    default Tensor mean(int dim, boolean keepdim) {
        return Reductions.mean(self(), new int[] {dim}, keepdim);
    }

    default Tensor mean(int[] dims, boolean keepdim) {
        return Reductions.mean(self(), dims, keepdim);
    }

    /** log(sum(exp(x))) over {@code dim}, computed stably (shifted by the maximum). */
    default Tensor logsumexp(int dim) {
        return LogSumExp.logsumexp(self(), new int[] {dim}, false);
    }

    default Tensor logsumexp(int dim, boolean keepdim) {
        return LogSumExp.logsumexp(self(), new int[] {dim}, keepdim);
    }

    default Tensor logsumexp(int[] dims, boolean keepdim) {
        return LogSumExp.logsumexp(self(), dims, keepdim);
    }

    /** The variance of all elements, with Bessel's correction (correction = 1). */
    default Tensor var() {
        return Variance.var(self(), new int[0], 1f, false);
    }

    default Tensor var(int dim) {
        return Variance.var(self(), new int[] {dim}, 1f, false);
    }

    /** The variance over {@code dims}, dividing by {@code N - correction} (0 or less: inf or nan, as PyTorch). */
    default Tensor var(int[] dims, float correction, boolean keepdim) {
        return Variance.var(self(), dims, correction, keepdim);
    }

    /** The standard deviation of all elements, with Bessel's correction (correction = 1). */
    default Tensor std() {
        return Variance.std(self(), new int[0], 1f, false);
    }

    default Tensor std(int dim) {
        return Variance.std(self(), new int[] {dim}, 1f, false);
    }

    /** The standard deviation over {@code dims}: the square root of {@link #var(int[], float, boolean)}. */
    default Tensor std(int[] dims, float correction, boolean keepdim) {
        return Variance.std(self(), dims, correction, keepdim);
    }

    /** The largest element. */
    default Tensor max() {
        return Reductions.maxAll(self(), true);
    }

    default Tensor min() {
        return Reductions.maxAll(self(), false);
    }
    /** Largest values along {@code dim} and their indices. */
    default Tensor.ValuesIndices max(int dim) {
        return Reductions.maxDim(self(), dim, false, true);
    }

    default Tensor.ValuesIndices max(int dim, boolean keepdim) {
        return Reductions.maxDim(self(), dim, keepdim, true);
    }

    default Tensor.ValuesIndices min(int dim) {
        return Reductions.maxDim(self(), dim, false, false);
    }

    default Tensor.ValuesIndices min(int dim, boolean keepdim) {
        return Reductions.maxDim(self(), dim, keepdim, false);
    }

    default Tensor argmax(int dim) {
        return max(dim).indices();
    }

    default Tensor argmin(int dim) {
        return min(dim).indices();
    }

    default Tensor softmax(int dim) {
        return Activations.softmax(self(), dim, false);
    }

    default Tensor logSoftmax(int dim) {
        return Activations.softmax(self(), dim, true);
    }

    default Tensor mm(Tensor other) {
        return LinearAlgebra.mm(self(), other);
    }

    default Tensor bmm(Tensor other) {
        return LinearAlgebra.bmm(self(), other);
    }

    default Tensor mv(Tensor vec) {
        return LinearAlgebra.mv(self(), vec);
    }

    default Tensor dot(Tensor other) {
        return LinearAlgebra.dot(self(), other);
    }

    default Tensor matmul(Tensor other) {
        return LinearAlgebra.matmul(self(), other);
    }

    /** {@code beta*this + alpha*(batch1 @ batch2)}, this broadcast to the batched product's shape. */
    default Tensor baddbmm(Tensor batch1, Tensor batch2, float beta, float alpha) {
        return LinearAlgebra.baddbmm(self(), batch1, batch2, beta, alpha);
    }

    default Tensor baddbmm(Tensor batch1, Tensor batch2) {
        return LinearAlgebra.baddbmm(self(), batch1, batch2, 1f, 1f);
    }

    /** Running sums along {@code dim}. */
    default Tensor cumsum(int dim) {
        return Cumsum.cumsum(self(), dim);
    }

    /** The {@code k} largest elements along the last dimension, sorted, with their INT64 indices. */
    default Tensor.ValuesIndices topk(int k) {
        return TopK.topk(self(), k, -1, true, true);
    }

    default Tensor.ValuesIndices topk(int k, int dim) {
        return TopK.topk(self(), k, dim, true, true);
    }
    /**
     * The {@code k} largest (or smallest) elements along {@code dim} with their INT64 indices. They always
     * come sorted; equal values in the order of their indices.
     */
    default Tensor.ValuesIndices topk(int k, int dim, boolean largest, boolean sorted) {
        return TopK.topk(self(), k, dim, largest, sorted);
    }

    /** {@code numSamples} category indices (INT64) drawn without replacement from each row of this tensor of weights. */
    default Tensor multinomial(int numSamples) {
        return Sampling.multinomial(self(), numSamples, false, Generator.defaultGenerator());
    }

    default Tensor multinomial(int numSamples, boolean replacement) {
        return Sampling.multinomial(self(), numSamples, replacement, Generator.defaultGenerator());
    }

    default Tensor multinomial(int numSamples, boolean replacement, Generator generator) {
        return Sampling.multinomial(self(), numSamples, replacement, generator);
    }
}
