package org.grad4j.core;

import org.grad4j.kernels.Backend;

/**
 * The one check that tensors handed to one backend call live on the same device. The common case
 * costs a reference comparison of their backends; the error is PyTorch's.
 */
final class Devices {
    private Devices() {}

    static void checkSame(Tensor a, Tensor b) {
        Backend ba = a.buffer.backend(), bb = b.buffer.backend();
        if (ba != bb) mismatch(ba, bb);
    }

    static void checkSame(Tensor a, Tensor b, Tensor c) {
        Backend ba = a.buffer.backend(), bb = b.buffer.backend(), bc = c.buffer.backend();
        if (ba != bb) mismatch(ba, bb);
        if (ba != bc) mismatch(ba, bc);
    }

    /** All non-null tensors of {@code ts} on one device. */
    static void checkSame(Tensor... ts) {
        Backend first = null;
        for (Tensor t : ts) {
            if (t == null) continue;
            Backend b = t.buffer.backend();
            if (first == null) first = b;
            else if (b != first) mismatch(first, b);
        }
    }

    private static void mismatch(Backend first, Backend other) {
        Device d1 = Device.of(first), d2 = Device.of(other);
        if (d1.equals(d2)) return; // two backend objects of one device: nothing to refuse
        throw new IllegalArgumentException("Expected all tensors to be on the same device, but found at least two devices, "
                + d1 + " and " + d2 + "!");
    }
}
