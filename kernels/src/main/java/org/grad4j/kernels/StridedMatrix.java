package org.grad4j.kernels;

/**
 * A batch of matrices in a buffer, as BLAS's strided-batched GEMM sees an operand: element
 * {@code (e, i, j)} lives at {@code offset + e*batchStride + i*rowStride + j*colStride}. A batch
 * stride of 0 repeats one matrix over the batch; a transposed view swaps the row and column strides.
 */
public record StridedMatrix(Buffer buffer, int offset, int batchStride, int rowStride, int colStride) {}
