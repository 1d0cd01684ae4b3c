package org.grad4j.kernels;

/**
 * The sizes and options of one scaled dot-product attention call ({@code softmax(scale * Q Kᵀ + mask) V}
 * over {@code batch} independent heads): Q is batch×queries×headDim, K batch×keys×headDim, V
 * batch×keys×valueDim, all contiguous. With {@code causal} query i sees keys j ≤ i (PyTorch's
 * {@code is_causal}, top-left aligned); with {@code dropoutP > 0} each probability is kept with
 * probability {@code 1 - dropoutP} (then scaled by {@code 1/(1 - dropoutP)}), the draw of element
 * {@code (b, i, j)} being {@link #dropoutUniform}{@code (seed, (b·queries + i)·keys + j)}: the backward
 * pass redraws the same mask instead of keeping it.
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
     * A uniform draw in [0, 1) for the element at {@code index} (SplitMix64's finaliser over the seed
     * plus the index times the golden ratio): a pure function, so forward and backward, and every
     * backend, see the same dropout mask.
     */
    public static float dropoutUniform(long seed, long index) {
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * 0x1.0p-24f;
    }
}
