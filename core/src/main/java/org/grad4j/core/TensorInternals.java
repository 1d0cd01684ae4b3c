package org.grad4j.core;

import java.util.function.Consumer;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Layout;

/**
 * What the ops, autograd and tools packages may see of a tensor beyond its public API: its storage
 * and geometry without copies, its autograd state, and the ways to make tensors on its device. Not
 * for user code: nothing here checks its arguments, and the arrays returned are the tensor's own.
 * Everything else of Tensor stays package-private.
 */
public final class TensorInternals {
    private TensorInternals() {}

    // ---- reading a tensor ------------------------------------------------------------------------

    /** The largest magnitude an INT64 tensor holds exactly (its storage is float32): 2^24. */
    public static final int MAX_EXACT_INDEX = Tensor.MAX_EXACT_INDEX;

    public static Buffer buffer(Tensor t) {
        return t.buffer;
    }

    public static Backend backend(Tensor t) {
        return t.buffer.backend();
    }

    /** The tensor's own shape array: read it, never change it. */
    public static int[] shape(Tensor t) {
        return t.shape;
    }

    /** The tensor's own strides array: read it, never change it. */
    public static int[] strides(Tensor t) {
        return t.strides;
    }

    public static Layout layout(Tensor t) {
        return t.layout();
    }

    /** For a view, the tensor that owns the storage; else null. */
    public static Tensor base(Tensor t) {
        return t.base;
    }

    /** An in-place write to {@code t}'s storage: saved copies of it are stale from now on. */
    public static void bumpVersion(Tensor t) {
        t.version.value++;
    }

    // ---- autograd's state ------------------------------------------------------------------------

    /** {@code t}'s autograd state (an autograd.AutogradMeta), or null when it never took part in autograd. */
    public static Object autograd(Tensor t) {
        return t.autograd;
    }

    /** Only autograd sets it (see autograd.AutogradMeta). */
    public static void setAutograd(Tensor t, Object state) {
        t.autograd = state;
    }

    // ---- making tensors --------------------------------------------------------------------------

    /** A new contiguous tensor over {@code buffer}, owning its storage. */
    public static Tensor fresh(Buffer buffer, int[] shape, DType dtype) {
        return Tensor.fresh(buffer, shape, dtype);
    }

    /** Zeros of {@code shape} on {@code like}'s device. */
    public static Tensor newEmpty(Tensor like, int[] shape, DType dtype) {
        return like.newEmpty(shape, dtype);
    }

    /** An output of {@code shape} on {@code like}'s device with undefined contents, for kernels that overwrite every element. */
    public static Tensor newUninitialized(Tensor like, int[] shape, DType dtype) {
        return like.newUninitialized(shape, dtype);
    }

    /** A float32 tensor of {@code shape} holding a copy of {@code data}, on {@code like}'s device. */
    public static Tensor newOf(Tensor like, float[] data, int... shape) {
        int n = Layout.numel(shape);
        Tensor t = data.length == n
                ? newUninitialized(like, shape.clone(), DType.FLOAT32)
                : newEmpty(like, shape.clone(), DType.FLOAT32);
        if (data.length > 0) backend(like).write(data, 0, t.buffer, 0, data.length);
        return t;
    }

    /** A 0-d float32 tensor holding {@code s}, on {@code like}'s device. */
    public static Tensor scalarLike(Tensor like, float s) {
        Tensor t = newUninitialized(like, new int[0], DType.FLOAT32);
        backend(like).fill(t.buffer, layout(t), s);
        return t;
    }

    /** A view of {@code x}'s storage with layout {@code l}; its base is the tensor that owns the storage. */
    public static Tensor view(Tensor x, Layout l) {
        Tensor root = x.base != null ? x.base : x;
        return new Tensor(x.buffer, l.shape(), l.strides(), l.offset(), x.dtype, x.version, root);
    }

    /** {@code x}'s storage seen with layout {@code l}, outside views and the graph: an operand handed to a kernel. */
    public static Tensor alias(Tensor x, Layout l) {
        return new Tensor(x.buffer, l.shape(), l.strides(), l.offset(), x.dtype, x.version, null);
    }

    /** The same tensor with another dtype tag (the storage is float32 for all). */
    public static Tensor withDType(Tensor x, DType d) {
        return x.withDType(d);
    }

    /** {@code x} if dense from offset 0, else a contiguous copy; never recorded (for kernels that need flat input). */
    public static Tensor contiguousUntracked(Tensor x) {
        return x.contiguousUntracked();
    }

    /** The backend of {@code device}. */
    public static Backend backend(Device device) {
        return device.backend();
    }

    // ---- devices ---------------------------------------------------------------------------------

    /** Tensors handed to one backend call must live on one device: the common case is one reference comparison. */
    public static void checkSameDevice(Tensor a, Tensor b) {
        Backend ba = a.buffer.backend(), bb = b.buffer.backend();
        if (ba != bb) mismatch(ba, bb);
    }

    public static void checkSameDevice(Tensor a, Tensor b, Tensor c) {
        Backend ba = a.buffer.backend(), bb = b.buffer.backend(), bc = c.buffer.backend();
        if (ba != bb) mismatch(ba, bb);
        if (ba != bc) mismatch(ba, bc);
    }

    /** All non-null tensors of {@code ts} on one device. */
    public static void checkSameDevice(Tensor... ts) {
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
        throw new IllegalArgumentException(
                "Expected all tensors to be on the same device, but found at least two devices, " + d1 + " and " + d2
                        + "!");
    }

    // ---- allocations -----------------------------------------------------------------------------

    /**
     * Makes {@code observer} (possibly null) see every buffer a tensor made on this thread takes
     * (the engine's recycler owns those its backward allocates); returns the previous observer, to
     * be restored.
     */
    public static Consumer<Buffer> observeAllocations(Consumer<Buffer> observer) {
        Consumer<Buffer> previous = Tensor.ALLOCATIONS.get();
        Tensor.ALLOCATIONS.set(observer);
        return previous;
    }
}
