package org.grad4j.core;

import org.grad4j.core.ops.Activations;
import org.grad4j.core.ops.Conv;
import org.grad4j.core.ops.Embeddings;
import org.grad4j.core.ops.LinearAlgebra;
import org.grad4j.core.ops.Losses;
import org.grad4j.core.ops.Normalization;
import org.grad4j.core.ops.Pooling;
import org.grad4j.core.ops.ScaledDotProductAttention;

/**
 * The functional ops of neural networks, as {@code torch.nn.functional}: {@code F.conv2d},
 * {@code F.maxPool2d}, {@code F.crossEntropy}, ... Each is one recorded op with its own backward
 * rule (named like PyTorch's: {@code ConvolutionBackward0}, {@code NllLossBackward0}, ...).
 *
 * <p>Sizes that PyTorch takes as "an int or a tuple" are an {@code int} or an {@code int[]} of one
 * or two values (height, width). Class-index targets are INT64 tensors, e.g. {@code Tensor.indices(3, 0, 1)}.
 */
public final class F {
    private F() {}

    private static final int[] ONE = {1}, ZERO = {0};

    // ---- linear ------------------------------------------------------------------------------

    /** {@code input @ weight.T} over any leading dimensions; weight is [out_features, in_features]. */
    public static Tensor linear(Tensor input, Tensor weight) {
        return LinearAlgebra.linear(input, weight, null);
    }

    /** {@code input @ weight.T + bias}; bias (of out_features) may be null. */
    public static Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        return LinearAlgebra.linear(input, weight, bias);
    }

    // ---- activations -------------------------------------------------------------------------

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /** x·sigmoid(x). grad_fn: {@code SiluBackward0}. */
    public static Tensor silu(Tensor x) {
        return Activations.silu(x);
    }

    /** Exact GELU, x·Φ(x) (erf-based). grad_fn: {@code GeluBackward0}. */
    public static Tensor gelu(Tensor x) {
        return Activations.gelu(x, "none");
    }

    /** GELU with {@code approximate} "none" (exact) or "tanh" (the tanh approximation), as PyTorch's. */
    public static Tensor gelu(Tensor x, String approximate) {
        return Activations.gelu(x, approximate);
    }

    /** softplus with beta 1 and threshold 20, as PyTorch's defaults. */
    public static Tensor softplus(Tensor x) {
        return Activations.softplus(x, 1f, 20f);
    }

    /**
     * log(1 + exp(beta·x)) / beta, reverting to x where beta·x > threshold. grad_fn:
     * {@code SoftplusBackward0}.
     */
    public static Tensor softplus(Tensor x, float beta, float threshold) {
        return Activations.softplus(x, beta, threshold);
    }

    /** leaky_relu with negative slope 0.01, as PyTorch's default. */
    public static Tensor leakyRelu(Tensor x) {
        return Activations.leakyRelu(x, 0.01f);
    }

    /** x where x > 0, else negativeSlope·x. grad_fn: {@code LeakyReluBackward0}. */
    public static Tensor leakyRelu(Tensor x, float negativeSlope) {
        return Activations.leakyRelu(x, negativeSlope);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    // ---- convolution -------------------------------------------------------------------------

    /** 2-d convolution of [N, C, H, W] (or unbatched [C, H, W]) with weight [O, C/groups, kH, kW]; stride 1, no padding. */
    public static Tensor conv2d(Tensor input, Tensor weight) {
        return conv2d(input, weight, null, ONE, ZERO, ONE, 1);
    }

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias) {
        return conv2d(input, weight, bias, ONE, ZERO, ONE, 1);
    }

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(input, weight, bias, new int[] {stride}, new int[] {padding}, ONE, 1);
    }

    public static Tensor conv2d(
            Tensor input, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return conv2d(input, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    /**
     * {@code out[n, o] = bias[o] + sum over the group's channels c of weight[o, c] ⋆ input[n, c]}.
     * {@code bias} may be null. grad_fn: {@code ConvolutionBackward0}.
     */
    public static Tensor conv2d(
            Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Conv.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    /** Sliding windows as columns: [N, C, H, W] → [N, C·kH·kW, L] ({@code F.unfold}; grad_fn {@code Im2ColBackward0}). */
    public static Tensor unfold(Tensor input, int[] kernelSize, int[] dilation, int[] padding, int[] stride) {
        return Conv.unfold(input, kernelSize, dilation, padding, stride);
    }

    public static Tensor unfold(Tensor input, int kernelSize) {
        return unfold(input, new int[] {kernelSize}, ONE, ZERO, ONE);
    }

    /** Columns back to an image, summing overlaps: [N, C·kH·kW, L] → [N, C, H, W] ({@code F.fold}; {@code Col2ImBackward0}). */
    public static Tensor fold(
            Tensor input, int[] outputSize, int[] kernelSize, int[] dilation, int[] padding, int[] stride) {
        return Conv.fold(input, outputSize, kernelSize, dilation, padding, stride);
    }

    // ---- pooling -----------------------------------------------------------------------------

    /** Max over kernelSize×kernelSize windows with stride kernelSize. grad_fn: {@code MaxPool2DWithIndicesBackward0}. */
    public static Tensor maxPool2d(Tensor input, int kernelSize) {
        return maxPool2d(input, new int[] {kernelSize}, null, ZERO, ONE);
    }

    public static Tensor maxPool2d(Tensor input, int kernelSize, int stride, int padding) {
        return maxPool2d(input, new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, ONE);
    }

    /** {@code stride} null or empty means the kernel size, as in PyTorch. */
    public static Tensor maxPool2d(Tensor input, int[] kernelSize, int[] stride, int[] padding, int[] dilation) {
        return Pooling.maxPool2d(input, kernelSize, stride, padding, dilation, false)
                .values();
    }

    /** Max pooling that also returns the INT64 index of each maximum within its H×W plane ({@code return_indices=True}). */
    public static Tensor.ValuesIndices maxPool2dWithIndices(
            Tensor input, int[] kernelSize, int[] stride, int[] padding, int[] dilation) {
        return Pooling.maxPool2d(input, kernelSize, stride, padding, dilation, true);
    }

    /** Mean over kernelSize×kernelSize windows with stride kernelSize. grad_fn: {@code AvgPool2DBackward0}. */
    public static Tensor avgPool2d(Tensor input, int kernelSize) {
        return avgPool2d(input, new int[] {kernelSize}, null, ZERO, true);
    }

    public static Tensor avgPool2d(Tensor input, int kernelSize, int stride, int padding) {
        return avgPool2d(input, new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, true);
    }

    /** {@code countIncludePad}: whether the zero padding counts in each window's divisor (PyTorch's default: true). */
    public static Tensor avgPool2d(
            Tensor input, int[] kernelSize, int[] stride, int[] padding, boolean countIncludePad) {
        return Pooling.avgPool2d(input, kernelSize, stride, padding, countIncludePad);
    }

    // ---- attention ---------------------------------------------------------------------------

    /**
     * {@code softmax(query @ key.transpose(-2, -1) / sqrt(E)) @ value} for query (..., L, E), key
     * (..., S, E) and value (..., S, Ev), the batch dimensions broadcast: (..., L, Ev). One recorded
     * node, {@code ScaledDotProductFlashAttentionForCpuBackward0}, whose backward keeps only q, k, v,
     * the output and a log-sum-exp per query row (memory linear in L).
     */
    public static Tensor scaledDotProductAttention(Tensor query, Tensor key, Tensor value) {
        return ScaledDotProductAttention.scaledDotProductAttention(query, key, value, null, 0, false, null, null);
    }

    /**
     * Attention with PyTorch's options: {@code attnMask} (nullable) BOOL (true = takes part) or float
     * (added to the scores), broadcast to (..., L, S); {@code dropoutP} applied to the probabilities
     * (survivors scaled by 1/(1-p)), drawn from {@code generator} (null: the default generator);
     * {@code isCausal}: query i sees keys j ≤ i (not together with a mask); {@code scale} (null:
     * 1/sqrt(E)). A query row whose keys are all masked gives zeros, as PyTorch's CPU kernels.
     */
    public static Tensor scaledDotProductAttention(
            Tensor query,
            Tensor key,
            Tensor value,
            Tensor attnMask,
            double dropoutP,
            boolean isCausal,
            Double scale,
            Generator generator) {
        return ScaledDotProductAttention.scaledDotProductAttention(
                query, key, value, attnMask, dropoutP, isCausal, scale, generator);
    }

    // ---- dropout -----------------------------------------------------------------------------

    /** Zeroes each element with probability p in training (survivors scaled by 1/(1-p)); identity when not training. */
    public static Tensor dropout(Tensor input, float p, boolean training) {
        return Activations.dropout(input, p, training, Generator.defaultGenerator());
    }

    /** Dropout drawing its mask from {@code generator} (the same seed gives the same mask). */
    public static Tensor dropout(Tensor input, float p, boolean training, Generator generator) {
        return Activations.dropout(input, p, training, generator);
    }

    // ---- normalization -----------------------------------------------------------------------

    public static Tensor layerNorm(Tensor input, int[] normalizedShape) {
        return layerNorm(input, normalizedShape, null, null, 1e-5f);
    }

    public static Tensor layerNorm(Tensor input, int[] normalizedShape, Tensor weight, Tensor bias) {
        return layerNorm(input, normalizedShape, weight, bias, 1e-5f);
    }

    /**
     * Normalises over the trailing {@code normalizedShape} dimensions (biased variance), then scales
     * by {@code weight} and shifts by {@code bias} (either may be null). grad_fn: {@code NativeLayerNormBackward0}.
     */
    public static Tensor layerNorm(Tensor input, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        return Normalization.layerNorm(input, normalizedShape, weight, bias, eps);
    }

    public static Tensor batchNorm(
            Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training) {
        return batchNorm(input, runningMean, runningVar, weight, bias, training, 0.1f, 1e-5f);
    }

    /**
     * Normalises each channel (dimension 1) of [N, C, *]. In training with the batch's statistics,
     * updating {@code runningMean}/{@code runningVar} in place (when given) as
     * {@code running = (1 - momentum) * running + momentum * batchStat}, the variance unbiased; in eval
     * with the running statistics. grad_fn: {@code NativeBatchNormBackward0}.
     */
    public static Tensor batchNorm(
            Tensor input,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            float momentum,
            float eps) {
        return Normalization.batchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    // ---- embedding ---------------------------------------------------------------------------

    /** Rows of {@code weight} [V, D] at {@code indices} (any shape) → [*indices, D]. grad_fn: {@code EmbeddingBackward0}. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        return Embeddings.embedding(weight, indices, Embeddings.NO_PADDING, false);
    }

    /**
     * @param paddingIdx a row that gets no gradient (null for none; negative counts from the end)
     * @param sparse     give a leaf weight a row-sparse gradient ({@link Tensor#sparseGrad()}) instead of a dense one
     */
    public static Tensor embedding(Tensor indices, Tensor weight, Integer paddingIdx, boolean sparse) {
        return Embeddings.embedding(weight, indices, paddingIdx == null ? Embeddings.NO_PADDING : paddingIdx, sparse);
    }

    // ---- losses ------------------------------------------------------------------------------

    /**
     * Cross entropy of logits [N, C] (or [C], or [N, C, d1, ...]) against class indices [N] (or 0-d,
     * or [N, d1, ...]): logSoftmax over the classes, then nllLoss; mean over the batch.
     */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, null, Losses.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor input, Tensor target, Reduction reduction) {
        return crossEntropy(input, target, null, Losses.DEFAULT_IGNORE_INDEX, reduction);
    }

    /**
     * @param weight      a weight per class (null for none); the mean divides by the sum of the targets' weights
     * @param ignoreIndex a target value that contributes nothing (PyTorch's default is -100)
     */
    public static Tensor crossEntropy(
            Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        return Losses.crossEntropy(input, target, weight, ignoreIndex, reduction);
    }

    /** Negative log likelihood of log-probabilities [N, C] at class indices [N]; mean. grad_fn: {@code NllLossBackward0}. */
    public static Tensor nllLoss(Tensor input, Tensor target) {
        return nllLoss(input, target, null, Losses.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public static Tensor nllLoss(Tensor input, Tensor target, Reduction reduction) {
        return nllLoss(input, target, null, Losses.DEFAULT_IGNORE_INDEX, reduction);
    }

    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        return Losses.nllLoss(input, target, weight, ignoreIndex, reduction);
    }

    /** Mean squared error. grad_fn: {@code MseLossBackward0}. */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return Losses.mseLoss(input, target, Reduction.MEAN);
    }

    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.mseLoss(input, target, reduction);
    }

    /** Sigmoid + binary cross entropy in one stable op. grad_fn: {@code BinaryCrossEntropyWithLogitsBackward0}. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target) {
        return Losses.binaryCrossEntropyWithLogits(input, target, null, null, Reduction.MEAN);
    }

    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction) {
        return Losses.binaryCrossEntropyWithLogits(input, target, null, null, reduction);
    }

    /**
     * @param weight    a rescaling weight broadcast over the elements (null for none)
     * @param posWeight a weight of the positive term, broadcast over the classes (null for none)
     */
    public static Tensor binaryCrossEntropyWithLogits(
            Tensor input, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        return Losses.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
    }
}
