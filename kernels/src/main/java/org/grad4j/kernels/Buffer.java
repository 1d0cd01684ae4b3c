package org.grad4j.kernels;

/**
 * A flat float32 buffer owned by a {@link Backend}. Tensors are views (shape, strides, offset) over
 * one buffer; the buffer itself knows only its length and where it lives.
 */
public interface Buffer {
    /** Number of float32 elements. */
    int size();

    /** The backend that allocated this buffer and runs kernels on it. */
    Backend backend();
}
