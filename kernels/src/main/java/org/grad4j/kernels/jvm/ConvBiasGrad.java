package org.grad4j.kernels.jvm;

import jdk.incubator.vector.FloatVector;

/**
 * A convolution's bias gradient, {@code Σ_n Σ_positions gradOut[n][o][·]}, summed by the weight
 * gradient's parts right after their products have read the same images' gradient (still in cache),
 * instead of as a separate pass over the whole gradient. Per image and channel the positions go
 * into vector lanes, the lanes are added in index order (reduceLanes' order differs between compiled
 * and interpreted code), images in order within a part and parts in order after: the same bits on
 * any number of threads.
 */
final class ConvBiasGrad {
    private ConvBiasGrad() {}

    /** {@code partial[po + o] = Σ over images [n0, n1) of the sum of gradOut[n][o] (positions floats each)}. */
    static void sumImages(float[] gradOut, int n0, int n1, int outChannels, int positions, float[] partial, int po) {
        var sp = VectorGemm.S;
        int lanes = VectorGemm.L, whole = positions - positions % lanes;
        for (int o = 0; o < outChannels; o++) {
            float sum = 0f;
            for (int n = n0; n < n1; n++) {
                int at = (n * outChannels + o) * positions;
                FloatVector acc = FloatVector.zero(sp);
                for (int p = 0; p < whole; p += lanes) acc = acc.add(FloatVector.fromArray(sp, gradOut, at + p));
                float image = VectorMath.sumInOrder(acc);
                for (int p = whole; p < positions; p++) image += gradOut[at + p];
                sum = n == n0 ? image : sum + image;
            }
            partial[po + o] = sum;
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
