package org.grad4j.kernels;

/**
 * An attention mask read through {@code layout}, whose shape is the batch dimensions followed by
 * queries×keys (broadcast dimensions have stride 0, so a queries×keys mask serves every head without
 * a copy). {@code additive}: the values are added to the scores (PyTorch's float {@code attn_mask});
 * otherwise a zero means "this key takes no part" (a BOOL mask, true = take part).
 */
public record AttentionMask(Buffer buffer, Layout layout, boolean additive) {

    public AttentionMask {
        if (layout.rank() < 2)
            throw new IllegalArgumentException("AttentionMask: the layout needs at least the queries and keys "
                    + "dimensions, got shape " + java.util.Arrays.toString(layout.shape()));
    }

    /** The offset of each batch entry's queries×keys matrix, in row-major order of the batch dimensions. */
    public int[] batchOffsets() {
        int rank = layout.rank();
        int[] offs = Geometry.elementOffsets(
                java.util.Arrays.copyOf(layout.shape(), rank - 2), java.util.Arrays.copyOf(layout.strides(), rank - 2));
        for (int i = 0; i < offs.length; i++) offs[i] += layout.offset();
        return offs;
    }

    public int rowStride() {
        return layout.strides()[layout.rank() - 2];
    }

    public int colStride() {
        return layout.strides()[layout.rank() - 1];
    }
}
