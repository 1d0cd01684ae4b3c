package org.grad4j.kernels;

/**
 * The sizes and options of one scaled dot-product attention call ({@code softmax(scale * Q Kᵀ + mask) V}
 * over {@code batch} independent heads): Q is batch×queries×headDim, K batch×keys×headDim, V
 * batch×keys×valueDim, all contiguous. With {@code causal} query i sees keys j ≤ i (PyTorch's
 * {@code is_causal}, top-left aligned); with {@code dropoutP > 0} each probability is kept with
 * probability {@code 1 - dropoutP} (then scaled by {@code 1/(1 - dropoutP)}), the draw of element
 * {@code (b, i, j)} being {@link #dropoutUniform}{@code (seed, b·queries + i, j)}: the backward pass
 * redraws the same mask instead of keeping it.
 */
public record Attention(
        int batch,
        int queries,
        int keys,
        int headDim,
        int valueDim,
        float scale,
        boolean causal,
        float dropoutP,
        long seed) {

    public Attention {
        if (batch < 0 || queries < 0 || keys < 0 || headDim < 0 || valueDim < 0)
            throw new IllegalArgumentException("Attention: sizes must be non-negative, got batch=" + batch
                    + ", queries=" + queries + ", keys=" + keys + ", headDim=" + headDim + ", valueDim=" + valueDim);
        if (!(dropoutP >= 0f && dropoutP <= 1f))
            throw new IllegalArgumentException("Attention: dropoutP must be in [0, 1], got " + dropoutP);
    }

    /** The factor a kept probability is multiplied by: {@code 1/(1 - dropoutP)}, or 0 when everything drops. */
    public float dropoutScale() {
        return dropoutP < 1f ? 1f / (1f - dropoutP) : 0f;
    }

    /**
     * A uniform draw in [0, 1) for the probability of query row {@code row} (head·queries + query) and
     * key {@code key}: two rounds of MurmurHash3's 32-bit finaliser over the seed's words and the
     * position. A pure function in 32-bit integer arithmetic (signed shifts, masked), so forward and
     * backward, and every backend's kernels (OpenCL's included), draw the same mask.
     */
    public static float dropoutUniform(long seed, int row, int key) {
        return dropoutUniform((int) seed, (int) (seed >> 32), row, key);
    }

    /** The same draw from the seed's low and high words (a device kernel gets them as two ints). */
    public static float dropoutUniform(int seedLow, int seedHigh, int row, int key) {
        int h = fmix(row * 0x9E3779B9 ^ seedLow);
        h = fmix(h ^ key * 0x85EBCA6B ^ seedHigh);
        return ((h >> 8) & 0xFFFFFF) * 0x1.0p-24f;
    }

    private static int fmix(int h) {
        h ^= (h >> 16) & 0xFFFF;
        h *= 0x85EBCA6B;
        h ^= (h >> 13) & 0x7FFFF;
        h *= 0xC2B2AE35;
        h ^= (h >> 16) & 0xFFFF;
        return h;
    }
}
