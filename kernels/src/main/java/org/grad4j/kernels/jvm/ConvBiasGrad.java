package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;

/**
 * A convolution's bias gradient, {@code Σ_n Σ_positions gradOut[n][o][·]}, summed by the weight
 * gradient's parts image by image, right after the image's product (or transform) has read its
 * gradient (still in cache), instead of as a separate pass over the whole gradient. Per image and channel the positions go
 * into vector lanes, the lanes are added in index order (reduceLanes' order differs between compiled
 * and interpreted code), images in order within a part and parts in order after: the same bits on
 * any number of threads.
 */
final class ConvBiasGrad {
    private ConvBiasGrad() {}

    /**
     * {@code partial[po + o] (+)= the sum of gradOut[n][o]} (positions floats) for every channel o: stored
     * for a part's first image, added for the others.
     */
    static void sumImage(
            float[] gradOut, int n, int outChannels, int positions, float[] partial, int po, boolean first) {
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, whole = positions - positions % lanes;
        for (int o = 0; o < outChannels; o++) {
            int at = (n * outChannels + o) * positions;
            FloatVector acc = FloatVector.zero(sp);
            for (int p = 0; p < whole; p += lanes) acc = acc.add(FloatVector.fromArray(sp, gradOut, at + p));
            float image = VectorMath.sumInOrder(acc);
            for (int p = whole; p < positions; p++) image += gradOut[at + p];
            partial[po + o] = first ? image : partial[po + o] + image;
        }
    }

    /** {@code gradBias[o] = Σ_p partials[p·outChannels + o]}, parts in order. */
    static void sumParts(float[] partials, int parts, int outChannels, float[] gradBias) {
        for (int o = 0; o < outChannels; o++) {
            float sum = partials[o];
            for (int p = 1; p < parts; p++) sum += partials[p * outChannels + o];
            gradBias[o] = sum;
        }
    }
}
