package org.grad4j.kernels;

/**
 * The shape of a contiguous NCHW batch of images: {@code batch × channels} planes of
 * {@code height × width} pixels each.
 */
public record ImageShape(int batch, int channels, int height, int width) {

    public ImageShape {
        if (batch < 0 || channels < 0 || height < 0 || width < 0)
            throw new IllegalArgumentException("ImageShape: sizes must be non-negative, got [" + batch + ", " + channels
                    + ", " + height + ", " + width + "]");
    }

    /** The number of height×width planes, {@code batch·channels}. */
    public int planes() {
        return batch * channels;
    }
}
