package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.withDType;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Device;
import org.grad4j.core.Tensor;
import org.grad4j.core.TensorInternals;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.Backend;

/**
 * Conversions: to another device ({@code x.to(device)}, recorded as {@code ToCopyBackward0}) and to
 * another dtype ({@code x.to(torch.int64)}, {@code x.float()}, {@code x.bool()}) with PyTorch's rules:
 * to int64 truncates toward zero, to bool tests for non-zero. Storage stays float32, so a dtype
 * conversion only rewrites values and the tag; none is differentiable (the result is a fresh tensor
 * outside the graph, as PyTorch's integer results are).
 */
public final class Conversions {
    private Conversions() {}

    public static Tensor to(Tensor x, Device device) {
        java.util.Objects.requireNonNull(device, "to: device is null");
        Backend target = TensorInternals.backend(device);
        Backend source = backend(x);
        if (target == source) return x;
        Device from = x.device();
        if (from.equals(device)) return x;
        float[] host = x.toFloatArray(); // read through the source backend, in row-major order
        Tensor out = TensorInternals.fresh(target.allocateUninitialized(host.length), shape(x).clone(), x.dtype());
        if (host.length > 0) target.write(host, 0, buffer(out), 0, host.length);
        return Recorder.record(out, "ToCopyBackward0", x, (g, ctx) -> new Tensor[] {g.to(from)});
    }

    public static Tensor to(Tensor x, DType to) {
        java.util.Objects.requireNonNull(to, "to: dtype is null");
        if (x.dtype() == to) return x;
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            float f = v[i];
            switch (to) {
                case FLOAT32 -> {} // bool and int64 values are already their float32 values
                case INT64 -> {
                    // every float32 is an exact int64 after truncation; NaN and infinities have no int64 value
                    if (!Float.isFinite(f)) {
                        throw new IllegalArgumentException("to(torch.int64): cannot convert " + f + " (at position " + i
                                + " of a tensor of shape " + Arrays.toString(shape(x)) + ") to an integer");
                    }
                    v[i] = (f < 0 ? (float) Math.ceil(f) : (float) Math.floor(f)) + 0f; // + 0f: -0.5 gives 0, not -0
                }
                case BOOL -> v[i] = f != 0f ? 1f : 0f; // NaN is true, as in PyTorch
            }
        }
        Tensor out = newOf(x, v, shape(x));
        return to == DType.FLOAT32 ? out : withDType(out, to);
    }
}
