package org.grad4j.kernels.tornado;

import java.util.EnumMap;
import java.util.Map;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One TornadoVM execution plan holding one task graph per kernel. Every graph works on the same
 * device array {@code mem}: the first graph copies it to the device once, every other consumes it
 * from the device and persists it there, so tensors stay resident between kernels. What changes
 * from launch to launch (sizes, offsets, strides, op codes, scalars) travels in each graph's small
 * parameter arrays, so each kernel is JIT-compiled once, on its first launch, whatever the shapes.
 * The number of threads is set per launch through the graph's {@link WorkerGrid}.
 */
final class KernelLauncher {

    /** The kernels; each is one task graph (its ordinal is its index in the plan). */
    enum Kernel {
        INIT,
        FILL,
        COPY,
        WRITE_SMALL,
        WRITE_LARGE,
        UNARY,
        BINARY,
        WHERE,
        REDUCE,
        MATMUL,
        SOFTMAX,
        ATTENTION,
        ATTENTION_BACKWARD_Q,
        ATTENTION_BACKWARD_KV,
        INDEX_SELECT,
        INDEX_ADD,
        GATHER,
        SCATTER,
        CUMSUM,
        IM2COL,
        COL2IM,
        MAX_POOL,
        AVG_POOL,
        ADAM
    }

    static final int SMALL_WRITE = 1024;
    static final int LARGE_WRITE = 1 << 16;
    static final int INDEX_CHUNK = 1 << 16;

    private final FloatArray mem;
    private final Map<Kernel, IntArray> ints = new EnumMap<>(Kernel.class);
    private final Map<Kernel, FloatArray> floats = new EnumMap<>(Kernel.class);
    private final Map<Kernel, WorkerGrid> grids = new EnumMap<>(Kernel.class);
    private final IntArray index = new IntArray(INDEX_CHUNK);
    private final TornadoExecutionPlan plan;
    private final int local;
    private TornadoExecutionResult last;
    private long launches;
    private final long[] launchesByKernel = new long[Kernel.values().length];

    KernelLauncher(FloatArray mem, TornadoDevice device, int localSize) {
        this.mem = mem;
        this.local = localSize;
        GridScheduler scheduler = new GridScheduler();
        ImmutableTaskGraph[] graphs = new ImmutableTaskGraph[Kernel.values().length];
        for (Kernel k : Kernel.values()) {
            IntArray p = new IntArray(k == Kernel.ADAM ? 2 + 6 * TornadoKernels.ADAM_MAX : TornadoKernels.PARAMS);
            FloatArray f = new FloatArray(
                    switch (k) {
                        case WRITE_SMALL -> SMALL_WRITE;
                        case WRITE_LARGE -> LARGE_WRITE;
                        case ADAM -> 3 + 2 * TornadoKernels.ADAM_MAX;
                        default -> 8;
                    });
            ints.put(k, p);
            floats.put(k, f);
            String name = "g" + k.name().toLowerCase();
            TaskGraph g = new TaskGraph(name);
            if (k == Kernel.INIT) {
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, mem);
            } else {
                g.consumeFromDevice(mem);
            }
            KernelContext ctx = new KernelContext();
            switch (k) {
                case INDEX_SELECT, INDEX_ADD -> g.transferToDevice(DataTransferMode.EVERY_EXECUTION, p, index);
                default -> g.transferToDevice(DataTransferMode.EVERY_EXECUTION, p, f);
            }
            switch (k) {
                case INIT, FILL -> g.task("t", TornadoKernels::fill, ctx, mem, p, f);
                case COPY -> g.task("t", TornadoKernels::copy, ctx, mem, p, f);
                case WRITE_SMALL, WRITE_LARGE -> g.task("t", TornadoKernels::write, ctx, mem, p, f);
                case UNARY -> g.task("t", TornadoKernels::unary, ctx, mem, p, f);
                case BINARY -> g.task("t", TornadoKernels::binary, ctx, mem, p, f);
                case WHERE -> g.task("t", TornadoKernels::where, ctx, mem, p, f);
                case REDUCE -> g.task("t", TornadoKernels::reduce, ctx, mem, p, f);
                case MATMUL -> g.task("t", TornadoKernels::matmul, ctx, mem, p, f);
                case SOFTMAX -> g.task("t", TornadoKernels::softmax, ctx, mem, p, f);
                case ATTENTION -> g.task("t", TornadoKernels::attention, ctx, mem, p, f);
                case ATTENTION_BACKWARD_Q -> g.task("t", TornadoKernels::attentionBackwardQuery, ctx, mem, p, f);
                case ATTENTION_BACKWARD_KV -> g.task("t", TornadoKernels::attentionBackwardKeyValue, ctx, mem, p, f);
                case INDEX_SELECT -> g.task("t", TornadoKernels::indexSelect, ctx, mem, p, index);
                case INDEX_ADD -> g.task("t", TornadoKernels::indexAdd, ctx, mem, p, index);
                case GATHER -> g.task("t", TornadoKernels::gather, ctx, mem, p, f);
                case SCATTER -> g.task("t", TornadoKernels::scatter, ctx, mem, p, f);
                case CUMSUM -> g.task("t", TornadoKernels::cumsum, ctx, mem, p, f);
                case IM2COL -> g.task("t", TornadoKernels::im2col, ctx, mem, p, f);
                case COL2IM -> g.task("t", TornadoKernels::col2im, ctx, mem, p, f);
                case MAX_POOL -> g.task("t", TornadoKernels::maxPool2d, ctx, mem, p, f);
                case AVG_POOL -> g.task("t", TornadoKernels::avgPool2d, ctx, mem, p, f);
                case ADAM -> g.task("t", TornadoKernels::adam, ctx, mem, p, f);
            }
            g.persistOnDevice(mem);
            graphs[k.ordinal()] = g.snapshot();
            WorkerGrid grid = k == Kernel.MATMUL
                    ? new WorkerGrid2D(TornadoKernels.TILE, TornadoKernels.TILE)
                    : new WorkerGrid1D(local);
            grids.put(k, grid);
            scheduler.addWorkerGrid(name + ".t", grid);
        }
        plan = new TornadoExecutionPlan(graphs);
        if (device != null) plan.withDevice(device);
        plan.withGridScheduler(scheduler);
        // the first graph puts the (zeroed) memory on the device; all others find it there
        ints.get(Kernel.INIT).set(0, 0);
        launch(Kernel.INIT, 1);
    }

    /** The kernel's int parameter array, to fill before {@link #launch}. */
    IntArray ints(Kernel k) {
        return ints.get(k);
    }

    /** The kernel's float parameter (or staging) array. */
    FloatArray floats(Kernel k) {
        return floats.get(k);
    }

    /** The index array of INDEX_SELECT / INDEX_ADD (capacity {@link #INDEX_CHUNK}). */
    IntArray index() {
        return index;
    }

    /** Runs the kernel on {@code threads} threads (rounded up to whole work-groups; kernels guard the tail). */
    void launch(Kernel k, int threads) {
        if (threads <= 0) return;
        long global = ((long) threads + local - 1) / local * local;
        WorkerGrid grid = grids.get(k);
        grid.setGlobalWork(global, 1, 1);
        grid.setLocalWork(local, 1, 1);
        last = plan.withGraph(k.ordinal()).execute();
        launches++;
        launchesByKernel[k.ordinal()]++;
    }

    /** Runs a 2-d kernel on an x×y grid of tile×tile work-groups (sizes rounded up to whole tiles). */
    void launch2d(Kernel k, int x, int y, int tile) {
        if (x <= 0 || y <= 0) return;
        WorkerGrid grid = grids.get(k);
        grid.setGlobalWork(((long) x + tile - 1) / tile * tile, ((long) y + tile - 1) / tile * tile, 1);
        grid.setLocalWork(tile, tile, 1);
        last = plan.withGraph(k.ordinal()).execute();
        launches++;
        launchesByKernel[k.ordinal()]++;
    }

    /** Brings {@code length} floats at {@code offset} of the device memory into the host copy of {@code mem}. */
    void toHost(int offset, int length) {
        if (length <= 0) return;
        last.transferToHost(new DataRange(mem).withOffset(offset).withSize(length));
    }

    long launches() {
        return launches;
    }

    /** Launches so far of each kernel, by name (e.g. {@code MATMUL}). */
    Map<String, Long> launchesByKernel() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (Kernel k : Kernel.values()) m.put(k.name(), launchesByKernel[k.ordinal()]);
        return m;
    }

    void close() {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (Exception e) {
            // shutting down: nothing useful to do with a failure to free device memory
        }
    }
}
