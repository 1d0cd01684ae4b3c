package org.grad4j.kernels.tornado;

import static org.grad4j.kernels.tornado.TornadoKernels.MAX_RANK;
import static org.grad4j.kernels.tornado.TornadoKernels.SHAPE;
import static org.grad4j.kernels.tornado.TornadoKernels.STRIDES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Geometry;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.Window2d;
import org.grad4j.kernels.jvm.JvmBackend;
import org.grad4j.kernels.tornado.KernelLauncher.Kernel;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The TornadoVM backend: every kernel of the {@link Backend} SPI as a Java method that TornadoVM
 * JIT-compiles to OpenCL (or PTX) for the selected device. All tensors of the device live in one
 * device-resident array ({@code grad4j.tornado.memoryMB}, default 512 MB) handed out by a
 * {@link RegionAllocator}; kernels read and write it in place, so data moves between host and device
 * only when the host writes a tensor ({@code Tensor.of}, {@code to(device)}) or reads one
 * ({@code item()}, {@code toFloatArray()}, printing). A region goes back to the allocator when core
 * releases the buffer or, failing that, when the buffer is garbage collected.
 *
 * <p>System properties: {@code grad4j.tornado.memoryMB}; {@code grad4j.tornado.device} as
 * {@code driver:device} (TornadoVM's numbering, see {@code tornado --devices}); {@code
 * grad4j.tornado.localSize} the work-group size (default 64). Calls are serialised (one plan).
 */
public final class TornadoBackend implements Backend {

    private static volatile TornadoBackend instance;

    /** The process-wide backend, created on first use; throws IllegalStateException when TornadoVM cannot start. */
    public static TornadoBackend instance() {
        TornadoBackend b = instance;
        if (b == null) {
            synchronized (TornadoBackend.class) {
                b = instance;
                if (b == null) {
                    b = create();
                    instance = b;
                }
            }
        }
        return b;
    }

    private static TornadoBackend create() {
        int mb = Integer.getInteger("grad4j.tornado.memoryMB", 512);
        int local = Integer.getInteger("grad4j.tornado.localSize", 64);
        String dev = System.getProperty("grad4j.tornado.device");
        try {
            TornadoDevice device = null;
            if (dev != null) {
                String[] parts = dev.split(":");
                device = TornadoExecutionPlan.getDevice(
                        Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            }
            return new TornadoBackend(mb, device, local);
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalStateException(
                    "TornadoVM could not start (" + e + "). Run the JVM with TornadoVM's flags: "
                            + "java @$TORNADOVM_HOME/tornado-argfile ... (see README, 'Run on a GPU with TornadoVM')",
                    e);
        }
    }

    private final FloatArray mem;
    private final MemorySegment host;
    private final RegionAllocator allocator;
    private final KernelLauncher launcher;
    private final String deviceName;
    private final ReferenceQueue<TornadoBuffer> collected = new ReferenceQueue<>();
    private final Set<Region> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long floatsToDevice, floatsToHost, writes, reads;

    /** A buffer's region, freed when the buffer is released or collected (whichever comes first). */
    static final class Region extends PhantomReference<TornadoBuffer> {
        final int offset, size;

        Region(TornadoBuffer buffer, ReferenceQueue<TornadoBuffer> q) {
            super(buffer, q);
            this.offset = buffer.offset;
            this.size = buffer.size;
        }
    }

    TornadoBackend(int memoryMB, TornadoDevice device, int localSize) {
        long floats = (long) memoryMB * 1024 * 1024 / Float.BYTES;
        int capacity = (int) Math.min(floats, Integer.MAX_VALUE - RegionAllocator.ALIGN)
                / RegionAllocator.ALIGN
                * RegionAllocator.ALIGN;
        this.mem = new FloatArray(capacity);
        this.host = mem.getSegment();
        this.allocator = new RegionAllocator(capacity);
        this.launcher = new KernelLauncher(mem, device, localSize);
        TornadoDevice d = device != null ? device : TornadoExecutionPlan.DEFAULT_DEVICE;
        this.deviceName = d.getPhysicalDevice().getDeviceName();
    }

    @Override
    public String name() {
        return "tornado";
    }

    /** The OpenCL/PTX device this backend runs on, as TornadoVM names it. */
    public String deviceName() {
        return deviceName;
    }

    /** Counters of host↔device traffic and kernel launches since start. */
    public synchronized Stats stats() {
        return new Stats(
                writes,
                floatsToDevice,
                reads,
                floatsToHost,
                launcher.launches(),
                launcher.launchesByKernel(),
                allocator.used(),
                allocator.peak());
    }

    /**
     * {@code writes}/{@code reads}: host→device and device→host transfers of tensor data (each
     * launch also sends its few hundred bytes of parameters, not counted here); sizes in floats.
     */
    public record Stats(
            long writes,
            long floatsToDevice,
            long reads,
            long floatsToHost,
            long launches,
            java.util.Map<String, Long> launchesByKernel,
            long floatsInUse,
            long peakFloatsInUse) {}

    // ---- memory ---------------------------------------------------------------------------------

    @Override
    public synchronized Buffer allocate(int size) {
        TornadoBuffer b = (TornadoBuffer) allocateUninitialized(size);
        fillRange(b.offset, size, 0f);
        return b;
    }

    @Override
    public synchronized Buffer allocateUninitialized(int size) {
        int off = allocator.allocate(size);
        for (int attempt = 0; off < 0 && attempt < 5; attempt++) {
            // device memory is full of regions whose buffers may be garbage already: collect them
            System.gc();
            drain(attempt == 0 ? 50 : 200);
            off = allocator.allocate(size);
        }
        if (off < 0) {
            throw new IllegalStateException("TornadoVM device memory is full: " + size + " floats requested, "
                    + allocator.used() + " of " + allocator.capacity() + " in use; raise -Dgrad4j.tornado.memoryMB");
        }
        TornadoBuffer b = new TornadoBuffer(this, off, size);
        Region r = new Region(b, collected);
        b.region = r;
        live.add(r);
        return b;
    }

    @Override
    public synchronized void release(Buffer buffer) {
        TornadoBuffer b = own(buffer);
        Region r = b.region;
        if (r != null && live.remove(r)) {
            r.clear();
            allocator.free(r.offset, r.size);
        }
        b.region = null;
        b.released = true;
        drain(0);
    }

    /** Frees the regions of collected buffers; waits up to {@code millis} for the first one. */
    private void drain(long millis) {
        try {
            Reference<? extends TornadoBuffer> ref = millis > 0 ? collected.remove(millis) : collected.poll();
            while (ref != null) {
                Region r = (Region) ref;
                if (live.remove(r)) allocator.free(r.offset, r.size);
                ref = collected.poll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void write(float[] src, int srcOffset, Buffer dst, int dstOffset, int length) {
        TornadoBuffer d = own(dst);
        checkRange(d, dstOffset, length);
        writes++;
        floatsToDevice += length;
        Kernel k = length <= KernelLauncher.SMALL_WRITE ? Kernel.WRITE_SMALL : Kernel.WRITE_LARGE;
        int chunk = k == Kernel.WRITE_SMALL ? KernelLauncher.SMALL_WRITE : KernelLauncher.LARGE_WRITE;
        FloatArray staging = launcher.floats(k);
        MemorySegment seg = staging.getSegment();
        IntArray p = launcher.ints(k);
        for (int done = 0; done < length; done += chunk) {
            int n = Math.min(chunk, length - done);
            MemorySegment.copy(src, srcOffset + done, seg, ValueLayout.JAVA_FLOAT, 0, n);
            p.set(0, n);
            p.set(1, d.offset + dstOffset + done);
            launcher.launch(k, n);
        }
        // the same values into the host copy: a later read of this buffer needs no transfer
        MemorySegment.copy(
                src, srcOffset, host, ValueLayout.JAVA_FLOAT, (long) (d.offset + dstOffset) * Float.BYTES, length);
        d.hostValid |= dstOffset == 0 && length == d.size;
    }

    @Override
    public synchronized void read(Buffer src, int srcOffset, float[] dst, int dstOffset, int length) {
        TornadoBuffer s = own(src);
        checkRange(s, srcOffset, length);
        if (length == 0) return;
        if (!s.hostValid) {
            reads++;
            floatsToHost += length;
            launcher.toHost(s.offset + srcOffset, length);
            s.hostValid = srcOffset == 0 && length == s.size;
        }
        MemorySegment.copy(
                host, ValueLayout.JAVA_FLOAT, (long) (s.offset + srcOffset) * Float.BYTES, dst, dstOffset, length);
    }

    @Override
    public synchronized void copy(Buffer src, Layout srcLayout, Buffer dst, Layout dstLayout) {
        int n = srcLayout.numel();
        if (n == 0) return;
        IntArray p = launcher.ints(Kernel.COPY);
        strided(p, srcLayout.shape(), srcLayout.strides(), dstLayout.strides(), null);
        p.set(0, n);
        p.set(4, own(src).offset + srcLayout.offset());
        p.set(5, out(dst).offset + dstLayout.offset());
        launcher.launch(Kernel.COPY, n);
    }

    @Override
    public synchronized void fill(Buffer dst, Layout layout, float value) {
        launchFill(out(dst).offset + layout.offset(), layout.shape(), layout.strides(), value);
    }

    /** Zeros (or any value) into {@code n} contiguous floats at {@code offset} of the device memory. */
    private void fillRange(int offset, int n, float value) {
        launchFill(offset, new int[] {n}, new int[] {1}, value);
    }

    private void launchFill(int offset, int[] shape, int[] strides, float value) {
        int n = Layout.numel(shape);
        if (n == 0) return;
        IntArray p = launcher.ints(Kernel.FILL);
        strided(p, shape, strides, null, null);
        p.set(0, n);
        p.set(4, offset);
        launcher.floats(Kernel.FILL).set(0, value);
        launcher.launch(Kernel.FILL, n);
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Override
    public synchronized void unary(UnaryOp op, float p0, float p1, Buffer x, Layout xLayout, Buffer out) {
        int n = xLayout.numel();
        if (n == 0) return;
        IntArray p = launcher.ints(Kernel.UNARY);
        strided(p, xLayout.shape(), xLayout.strides(), null, null);
        p.set(0, n);
        p.set(1, op.code());
        p.set(3, out(out).offset);
        p.set(4, own(x).offset + xLayout.offset());
        FloatArray f = launcher.floats(Kernel.UNARY);
        f.set(0, p0);
        f.set(1, p1);
        launcher.launch(Kernel.UNARY, n);
    }

    @Override
    public synchronized void binary(BinaryOp op, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out) {
        int n = aLayout.numel();
        if (n == 0) return;
        IntArray p = launcher.ints(Kernel.BINARY);
        strided(p, aLayout.shape(), aLayout.strides(), bLayout.strides(), null);
        p.set(0, n);
        p.set(1, op.code());
        p.set(3, out(out).offset);
        p.set(4, own(a).offset + aLayout.offset());
        p.set(5, own(b).offset + bLayout.offset());
        launcher.launch(Kernel.BINARY, n);
    }

    @Override
    public synchronized void where(
            Buffer cond, Layout condLayout, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out) {
        int n = condLayout.numel();
        if (n == 0) return;
        IntArray p = launcher.ints(Kernel.WHERE);
        strided(p, condLayout.shape(), condLayout.strides(), aLayout.strides(), bLayout.strides());
        p.set(0, n);
        p.set(3, out(out).offset);
        p.set(4, own(cond).offset + condLayout.offset());
        p.set(5, own(a).offset + aLayout.offset());
        p.set(6, own(b).offset + bLayout.offset());
        launcher.launch(Kernel.WHERE, n);
    }

    // ---- reductions -----------------------------------------------------------------------------

    @Override
    public synchronized void reduce(ReduceOp op, Buffer x, Layout l, int keptRank, Buffer out, Buffer indices) {
        int rank = l.rank();
        int[] keptShape = Arrays.copyOfRange(l.shape(), 0, keptRank);
        int[] keptStrides = Arrays.copyOfRange(l.strides(), 0, keptRank);
        int[] redShape = Arrays.copyOfRange(l.shape(), keptRank, rank);
        int[] redStrides = Arrays.copyOfRange(l.strides(), keptRank, rank);
        int outN = Layout.numel(keptShape);
        if (outN == 0) return;
        int redN = Layout.numel(redShape);
        TornadoBuffer o = out(out);
        if (redN == 0) {
            if (op != ReduceOp.SUM) throw new IllegalArgumentException("max/min of an empty dimension has no identity");
            fillRange(o.offset, outN, 0f);
            return;
        }
        int xOff = own(x).offset + l.offset();
        // a long sum into few outputs gets a first pass over slices, so that it uses the whole device
        int chunks = 1;
        if (op == ReduceOp.SUM && redN >= 8192 && outN < 4096) {
            chunks = Math.min(Math.max(1, 65536 / outN), redN / 1024);
        }
        if (chunks > 1) {
            TornadoBuffer partial = (TornadoBuffer) allocateUninitialized(outN * chunks);
            try {
                launchReduce(
                        ReduceOp.Code.SUM,
                        keptShape,
                        keptStrides,
                        redShape,
                        redStrides,
                        xOff,
                        partial.offset,
                        -1,
                        chunks);
                // second pass: each output sums its contiguous row of partials
                launchReduce(
                        ReduceOp.Code.SUM,
                        new int[] {outN},
                        new int[] {chunks},
                        new int[] {chunks},
                        new int[] {1},
                        partial.offset,
                        o.offset,
                        -1,
                        1);
            } finally {
                release(partial);
                // x, out: allocating the partials may have collected unreachable buffers; these must not be
                Reference.reachabilityFence(x);
                Reference.reachabilityFence(out);
            }
            return;
        }
        launchReduce(
                op.code(),
                keptShape,
                keptStrides,
                redShape,
                redStrides,
                xOff,
                o.offset,
                indices == null ? -1 : out(indices).offset,
                1);
    }

    private void launchReduce(
            int code,
            int[] keptShape,
            int[] keptStrides,
            int[] redShape,
            int[] redStrides,
            int xOff,
            int outOff,
            int idxOff,
            int chunks) {
        IntArray p = launcher.ints(Kernel.REDUCE);
        int outN = Layout.numel(keptShape);
        int[][] kept = Geometry.coalesce(keptShape, keptStrides);
        // the reduced dims keep their order: indices are row-major positions within them
        int[][] red = Geometry.coalesce(redShape, redStrides);
        if (kept[0].length > MAX_RANK || red[0].length > MAX_RANK) {
            throw new UnsupportedOperationException(
                    "the TornadoVM backend supports views of at most " + MAX_RANK + " non-mergeable dimensions");
        }
        p.set(0, outN * chunks);
        p.set(1, code);
        p.set(2, kept[0].length);
        p.set(3, outOff);
        p.set(4, xOff);
        p.set(5, idxOff);
        p.set(6, Layout.numel(redShape));
        p.set(7, chunks);
        for (int d = 0; d < kept[0].length; d++) {
            p.set(SHAPE + d, kept[0][d]);
            p.set(STRIDES + d, kept[1][d]);
        }
        int redRankAt = STRIDES + MAX_RANK;
        p.set(redRankAt, red[0].length);
        for (int d = 0; d < red[0].length; d++) {
            p.set(redRankAt + 1 + d, red[0][d]);
            p.set(redRankAt + 1 + MAX_RANK + d, red[1][d]);
        }
        launcher.launch(Kernel.REDUCE, outN * chunks);
    }

    // ---- linear algebra -------------------------------------------------------------------------

    @Override
    public synchronized void matmul(
            int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, Buffer out, float alpha, float beta) {
        int o = own(out).offset;
        product(o, m * n, n, 1, batch, m, n, k, a, b, out, alpha, beta);
    }

    /** The bias (C) is read by the product kernel itself: one launch instead of a copy and a product. */
    @Override
    public synchronized void addmm(
            Buffer c,
            Layout cLayout,
            int batch,
            int m,
            int n,
            int k,
            StridedMatrix a,
            StridedMatrix b,
            Buffer out,
            float alpha,
            float beta) {
        if (cLayout.rank() != 3) {
            Backend.super.addmm(c, cLayout, batch, m, n, k, a, b, out, alpha, beta);
            return;
        }
        int[] cs = cLayout.strides();
        product(own(c).offset + cLayout.offset(), cs[0], cs[1], cs[2], batch, m, n, k, a, b, out, alpha, beta);
    }

    private void product(
            int cOffset,
            int cBatchStride,
            int cRowStride,
            int cColStride,
            int batch,
            int m,
            int n,
            int k,
            StridedMatrix a,
            StridedMatrix b,
            Buffer out,
            float alpha,
            float beta) {
        if (batch == 0 || m == 0 || n == 0) return;
        int block = TornadoKernels.BLOCK, tile = TornadoKernels.TILE;
        int mPad = (m + block - 1) / block * block;
        IntArray p = launcher.ints(Kernel.MATMUL);
        p.set(0, batch);
        p.set(1, m);
        p.set(2, n);
        p.set(3, k);
        p.set(4, own(a.buffer()).offset + a.offset());
        p.set(5, a.batchStride());
        p.set(6, a.rowStride());
        p.set(7, a.colStride());
        p.set(8, own(b.buffer()).offset + b.offset());
        p.set(9, b.batchStride());
        p.set(10, b.rowStride());
        p.set(11, b.colStride());
        p.set(12, out(out).offset);
        p.set(13, mPad);
        p.set(14, cOffset);
        p.set(15, cBatchStride);
        p.set(16, cRowStride);
        p.set(17, cColStride);
        FloatArray f = launcher.floats(Kernel.MATMUL);
        f.set(0, alpha);
        f.set(1, beta);
        // one TILE×TILE work-group per BLOCK×BLOCK block of the output; batches in slices whose grid fits an int
        int nPad = (n + block - 1) / block * block;
        int perLaunch = (int) Math.max(1, Math.min(batch, (1L << 30) / mPad));
        for (int b0 = 0; b0 < batch; b0 += perLaunch) {
            int nb = Math.min(perLaunch, batch - b0);
            p.set(0, nb);
            p.set(4, own(a.buffer()).offset + a.offset() + b0 * a.batchStride());
            p.set(8, own(b.buffer()).offset + b.offset() + b0 * b.batchStride());
            p.set(12, own(out).offset + b0 * m * n);
            p.set(14, cOffset + b0 * cBatchStride);
            launcher.launch2d(Kernel.MATMUL, nPad / 4, nb * mPad / 4, tile);
        }
    }

    // ---- rows and indexing ----------------------------------------------------------------------

    @Override
    public synchronized void softmax(Buffer x, int outer, int size, int inner, boolean log, Buffer out) {
        int rows = outer * inner;
        if (rows == 0 || size == 0) return;
        IntArray p = launcher.ints(Kernel.SOFTMAX);
        p.set(0, rows);
        p.set(1, size);
        p.set(2, inner);
        p.set(3, out(out).offset);
        p.set(4, own(x).offset);
        p.set(5, log ? 1 : 0);
        launcher.launch(Kernel.SOFTMAX, rows);
    }

    // ---- attention --------------------------------------------------------------------------------

    @Override
    public synchronized void attention(
            Attention a, Buffer q, Buffer k, Buffer v, AttentionMask mask, Buffer out, Buffer lse) {
        int rows = a.batch() * a.queries();
        if (rows == 0) return;
        attentionParams(Kernel.ATTENTION, a, q, k, v, mask);
        IntArray p = launcher.ints(Kernel.ATTENTION);
        p.set(8, out(out).offset);
        p.set(9, out(lse).offset);
        launcher.launch(Kernel.ATTENTION, rows);
    }

    @Override
    public synchronized void attentionBackward(
            Attention a,
            Buffer q,
            Buffer k,
            Buffer v,
            AttentionMask mask,
            Buffer out,
            Buffer lse,
            Buffer gradOut,
            Buffer gradQ,
            Buffer gradK,
            Buffer gradV) {
        int rows = a.batch() * a.queries(), keyRows = a.batch() * a.keys();
        // keys and values first (their threads read no gradient the other launch writes), then queries
        for (Kernel kernel : new Kernel[] {Kernel.ATTENTION_BACKWARD_KV, Kernel.ATTENTION_BACKWARD_Q}) {
            attentionParams(kernel, a, q, k, v, mask);
            IntArray p = launcher.ints(kernel);
            p.set(8, own(out).offset);
            p.set(9, own(lse).offset);
            p.set(TornadoKernels.ATTN_SEED + 2, own(gradOut).offset);
            p.set(TornadoKernels.ATTN_SEED + 3, out(gradQ).offset);
            p.set(TornadoKernels.ATTN_SEED + 4, out(gradK).offset);
            p.set(TornadoKernels.ATTN_SEED + 5, out(gradV).offset);
            p.set(TornadoKernels.ATTN_SEED + 6, keyRows);
            launcher.launch(kernel, kernel == Kernel.ATTENTION_BACKWARD_Q ? rows : keyRows);
        }
    }

    /** The parameters both attention kernels share (see TornadoKernels' attention section). */
    private void attentionParams(Kernel kernel, Attention a, Buffer q, Buffer k, Buffer v, AttentionMask mask) {
        IntArray p = launcher.ints(kernel);
        p.set(0, a.batch() * a.queries());
        p.set(1, a.queries());
        p.set(2, a.keys());
        p.set(3, a.headDim());
        p.set(4, a.valueDim());
        p.set(5, own(q).offset);
        p.set(6, own(k).offset);
        p.set(7, own(v).offset);
        p.set(11, mask == null ? 0 : mask.additive() ? 2 : 1);
        if (mask != null) {
            int[] shape = mask.layout().shape(), strides = mask.layout().strides();
            int batchRank = shape.length - 2;
            if (batchRank > TornadoKernels.ATTN_STRIDES - TornadoKernels.ATTN_SHAPE)
                throw new IllegalArgumentException("attention: the TornadoVM kernel takes masks of at most "
                        + (TornadoKernels.ATTN_STRIDES - TornadoKernels.ATTN_SHAPE) + " batch dimensions, got "
                        + Arrays.toString(shape));
            p.set(12, mask.rowStride());
            p.set(13, mask.colStride());
            p.set(14, batchRank);
            p.set(15, own(mask.buffer()).offset + mask.layout().offset());
            for (int d = 0; d < batchRank; d++) {
                p.set(TornadoKernels.ATTN_SHAPE + d, shape[d]);
                p.set(TornadoKernels.ATTN_STRIDES + d, strides[d]);
            }
        }
        p.set(TornadoKernels.ATTN_SEED, (int) (a.seed() >>> 32));
        p.set(TornadoKernels.ATTN_SEED + 1, (int) a.seed());
        FloatArray f = launcher.floats(kernel);
        f.set(0, a.scale());
        f.set(1, a.dropoutP());
        f.set(2, a.dropoutScale());
        f.set(3, a.causal() ? 1f : 0f);
    }

    @Override
    public synchronized void indexSelect(Buffer x, int outer, int dimSize, int inner, int[] index, Buffer out) {
        indexChunks(Kernel.INDEX_SELECT, x, outer, dimSize, inner, index, out);
    }

    @Override
    public synchronized void indexAdd(Buffer src, int outer, int dimSize, int inner, int[] index, Buffer out) {
        indexChunks(Kernel.INDEX_ADD, src, outer, dimSize, inner, index, out);
    }

    /**
     * Launches an index kernel once per chunk of at most INDEX_CHUNK indices (the capacity of its
     * index array): INDEX_SELECT runs a thread per output element, INDEX_ADD one per (outer, inner)
     * position, looping over the chunk's indices.
     */
    private void indexChunks(Kernel k, Buffer in, int outer, int dimSize, int inner, int[] index, Buffer out) {
        checkIndex(index, dimSize);
        int n = index.length;
        IntArray idx = launcher.index();
        IntArray p = launcher.ints(k);
        for (int i0 = 0; i0 < n; i0 += KernelLauncher.INDEX_CHUNK) {
            int len = Math.min(KernelLauncher.INDEX_CHUNK, n - i0);
            MemorySegment.copy(index, i0, idx.getSegment(), ValueLayout.JAVA_INT, 0, len);
            int threads = k == Kernel.INDEX_SELECT ? outer * len * inner : outer * inner;
            p.set(0, threads);
            p.set(1, dimSize);
            p.set(2, inner);
            p.set(3, out(out).offset);
            p.set(4, own(in).offset);
            p.set(5, n);
            p.set(6, i0);
            p.set(7, len);
            launcher.launch(k, threads);
        }
    }

    @Override
    public synchronized void gather(Buffer x, int outer, int dimSize, int inner, Buffer index, int n, Buffer out) {
        int threads = outer * n * inner;
        IntArray p = launcher.ints(Kernel.GATHER);
        p.set(0, threads);
        p.set(1, dimSize);
        p.set(2, inner);
        p.set(3, out(out).offset);
        p.set(4, own(x).offset);
        p.set(5, n);
        p.set(6, own(index).offset);
        launcher.launch(Kernel.GATHER, threads);
    }

    @Override
    public synchronized void scatter(
            Buffer src, Buffer index, int outer, int n, int inner, int dimSize, boolean accumulate, Buffer out) {
        int threads = outer * inner;
        IntArray p = launcher.ints(Kernel.SCATTER);
        p.set(0, threads);
        p.set(1, dimSize);
        p.set(2, inner);
        p.set(3, out(out).offset);
        p.set(4, own(src).offset);
        p.set(5, n);
        p.set(6, own(index).offset);
        p.set(7, accumulate ? 1 : 0);
        launcher.launch(Kernel.SCATTER, threads);
    }

    @Override
    public synchronized void cumsum(Buffer x, int outer, int size, int inner, boolean reverse, Buffer out) {
        int threads = outer * inner;
        IntArray p = launcher.ints(Kernel.CUMSUM);
        p.set(0, threads);
        p.set(1, size);
        p.set(2, inner);
        p.set(3, out(out).offset);
        p.set(4, own(x).offset);
        p.set(5, reverse ? 1 : 0);
        launcher.launch(Kernel.CUMSUM, threads);
    }

    /**
     * Selection runs on the host (a sort per row does not map to one thread per element): the rows
     * come over, the JVM kernel picks, the results go back.
     */
    @Override
    public synchronized void topk(
            Buffer x, int outer, int size, int inner, int k, boolean largest, Buffer values, Buffer indices) {
        Backend jvm = JvmBackend.INSTANCE;
        int n = outer * size * inner, m = outer * k * inner;
        float[] host = new float[n];
        read(x, 0, host, 0, n);
        Buffer hx = jvm.allocateUninitialized(n), hv = jvm.allocateUninitialized(m), hi = jvm.allocateUninitialized(m);
        jvm.write(host, 0, hx, 0, n);
        jvm.topk(hx, outer, size, inner, k, largest, hv, hi);
        float[] res = new float[m];
        jvm.read(hv, 0, res, 0, m);
        write(res, 0, values, 0, m);
        jvm.read(hi, 0, res, 0, m);
        write(res, 0, indices, 0, m);
        jvm.release(hx);
        jvm.release(hv);
        jvm.release(hi);
    }

    private static void checkIndex(int[] index, int dimSize) {
        for (int i : index) {
            if (i < 0 || i >= dimSize) {
                throw new IndexOutOfBoundsException(
                        "index " + i + " is out of bounds for dimension with size " + dimSize);
            }
        }
    }

    // ---- images ---------------------------------------------------------------------------------

    /** The parameters of an image kernel: sizes, the window and where input and output start. */
    private IntArray image(Kernel k, int threads, int channels, int h, int w, Window2d win, int in, int out) {
        IntArray p = launcher.ints(k);
        p.set(0, threads);
        p.set(1, channels);
        p.set(2, h);
        p.set(3, w);
        p.set(4, win.kernelH());
        p.set(5, win.kernelW());
        p.set(6, win.padH());
        p.set(7, win.padW());
        p.set(8, win.strideH());
        p.set(9, win.strideW());
        p.set(10, win.dilationH());
        p.set(11, win.dilationW());
        p.set(12, win.outH(h));
        p.set(13, win.outW(w));
        p.set(14, in);
        p.set(15, out);
        return p;
    }

    @Override
    public synchronized void im2col(Buffer x, ImageShape shape, Window2d window, Buffer cols) {
        int batch = shape.batch(), channels = shape.channels(), height = shape.height(), width = shape.width();
        int outH = window.outH(height), outW = window.outW(width);
        int threads = batch * channels * window.kernelH() * window.kernelW() * outH * outW;
        image(Kernel.IM2COL, threads, channels, height, width, window, own(x).offset, out(cols).offset);
        launcher.launch(Kernel.IM2COL, threads);
    }

    @Override
    public synchronized void col2im(Buffer cols, ImageShape shape, Window2d window, Buffer x) {
        int batch = shape.batch(), channels = shape.channels(), height = shape.height(), width = shape.width();
        int threads = batch * channels * height * width;
        image(Kernel.COL2IM, threads, channels, height, width, window, own(cols).offset, out(x).offset);
        launcher.launch(Kernel.COL2IM, threads);
    }

    @Override
    public synchronized void maxPool2d(Buffer x, ImageShape shape, Window2d window, Buffer out, Buffer indices) {
        int planes = shape.planes(), height = shape.height(), width = shape.width();
        int outH = window.outH(height), outW = window.outW(width);
        int threads = planes * outH * outW;
        IntArray p = image(Kernel.MAX_POOL, threads, 1, height, width, window, own(x).offset, out(out).offset);
        p.set(16, out(indices).offset);
        launcher.launch(Kernel.MAX_POOL, threads);
    }

    @Override
    public synchronized void avgPool2d(
            Buffer x, ImageShape shape, Window2d window, boolean countIncludePad, Buffer out) {
        int planes = shape.planes(), height = shape.height(), width = shape.width();
        window.requireUndilated("avgPool2d");
        int outH = window.outH(height), outW = window.outW(width);
        int threads = planes * outH * outW;
        IntArray p = image(Kernel.AVG_POOL, threads, 1, height, width, window, own(x).offset, out(out).offset);
        p.set(16, countIncludePad ? 1 : 0);
        launcher.launch(Kernel.AVG_POOL, threads);
    }

    // ---- optimizer ------------------------------------------------------------------------------

    @Override
    public synchronized void adamStep(
            Buffer param,
            Buffer grad,
            Buffer m,
            Buffer v,
            int n,
            float beta1,
            float beta2,
            float stepSize,
            float bc2Sqrt,
            float eps) {
        adamSteps(
                new Buffer[] {param},
                new Buffer[] {grad},
                new Buffer[] {m},
                new Buffer[] {v},
                new int[] {n},
                beta1,
                beta2,
                new float[] {stepSize},
                new float[] {bc2Sqrt},
                eps);
    }

    /** All the parameters in one launch (per {@link TornadoKernels#ADAM_MAX} of them). */
    @Override
    public synchronized void adamSteps(
            Buffer[] param,
            Buffer[] grad,
            Buffer[] m,
            Buffer[] v,
            int[] n,
            float beta1,
            float beta2,
            float[] stepSize,
            float[] bc2Sqrt,
            float eps) {
        IntArray p = launcher.ints(Kernel.ADAM);
        FloatArray f = launcher.floats(Kernel.ADAM);
        f.set(0, beta1);
        f.set(1, beta2);
        f.set(2, eps);
        for (int from = 0; from < param.length; from += TornadoKernels.ADAM_MAX) {
            int count = Math.min(TornadoKernels.ADAM_MAX, param.length - from);
            int total = 0;
            for (int c = 0; c < count; c++) {
                int i = from + c, at = 2 + 6 * c;
                p.set(at, total);
                p.set(at + 1, n[i]);
                p.set(at + 2, out(param[i]).offset);
                p.set(at + 3, own(grad[i]).offset);
                p.set(at + 4, out(m[i]).offset);
                p.set(at + 5, out(v[i]).offset);
                f.set(3 + 2 * c, stepSize[i]);
                f.set(4 + 2 * c, bc2Sqrt[i]);
                total += n[i];
            }
            p.set(0, total);
            p.set(1, count);
            launcher.launch(Kernel.ADAM, total);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** A buffer a kernel is about to write: its host copy goes stale. */
    private TornadoBuffer out(Buffer b) {
        TornadoBuffer t = own(b);
        t.hostValid = false;
        return t;
    }

    private TornadoBuffer own(Buffer b) {
        if (b instanceof TornadoBuffer t && t.backend == this) {
            if (t.released) throw new IllegalStateException(t + " was used after it was released");
            return t;
        }
        throw new IllegalArgumentException(
                "buffer " + b + " does not belong to the TornadoVM backend (device " + deviceName + ")");
    }

    private static void checkRange(TornadoBuffer b, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > b.size) {
            throw new IndexOutOfBoundsException(
                    "range [" + offset + ", " + (offset + length) + ") outside a buffer of " + b.size);
        }
    }

    /**
     * Writes rank, shape and up to three stride sets into the parameter block, after merging the
     * dimensions that every view walks contiguously (a contiguous tensor becomes rank 1).
     */
    private static void strided(IntArray p, int[] shape, int[] s0, int[] s1, int[] s2) {
        int[][] g = s2 != null
                ? Geometry.coalesce(shape, s0, s1, s2)
                : s1 != null ? Geometry.coalesce(shape, s0, s1) : Geometry.coalesce(shape, s0);
        int rank = g[0].length;
        if (rank > MAX_RANK) {
            throw new UnsupportedOperationException("the TornadoVM backend supports views of at most " + MAX_RANK
                    + " non-mergeable dimensions, got shape " + Arrays.toString(shape));
        }
        p.set(2, rank);
        for (int d = 0; d < rank; d++) {
            p.set(SHAPE + d, g[0][d]);
            p.set(STRIDES + d, g[1][d]);
            if (s1 != null) p.set(STRIDES + MAX_RANK + d, g[2][d]);
            if (s2 != null) p.set(STRIDES + 2 * MAX_RANK + d, g[3][d]);
        }
    }
}
