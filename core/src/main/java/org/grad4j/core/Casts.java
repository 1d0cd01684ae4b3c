package org.grad4j.core;

import java.util.Arrays;

/**
 * dtype conversions ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}) with PyTorch's
 * rules: to int64 truncates toward zero, to bool tests for non-zero. Storage stays float32, so a
 * conversion only rewrites values and the tag; none is differentiable (the result is a fresh tensor
 * outside the graph, as PyTorch's integer results are).
 */
final class Casts {
    private Casts() {}

    static Tensor to(Tensor x, DType to) {
        java.util.Objects.requireNonNull(to, "to: dtype is null");
        if (x.dtype == to) return x;
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            float f = v[i];
            switch (to) {
                case FLOAT32 -> { } // bool and int64 values are already their float32 values
                case INT64 -> {
                    // every float32 is an exact int64 after truncation; NaN and infinities have no int64 value
                    if (!Float.isFinite(f)) {
                        throw new IllegalArgumentException("to(torch.int64): cannot convert " + f + " (at position " + i
                                + " of a tensor of shape " + Arrays.toString(x.shape) + ") to an integer");
                    }
                    v[i] = (f < 0 ? (float) Math.ceil(f) : (float) Math.floor(f)) + 0f; // + 0f: -0.5 gives 0, not -0
                }
                case BOOL -> v[i] = f != 0f ? 1f : 0f; // NaN is true, as in PyTorch
            }
        }
        Tensor out = x.newOf(v, x.shape);
        return to == DType.FLOAT32 ? out : out.withDType(to);
    }
}
