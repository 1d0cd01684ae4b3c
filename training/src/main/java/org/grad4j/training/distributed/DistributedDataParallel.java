package org.grad4j.training.distributed;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.grad4j.core.Tensor;
import org.grad4j.training.loop.GradientExchange;
import org.grad4j.training.nn.Module;

/**
 * Data-parallel training ({@code torch.nn.parallel.DistributedDataParallel}) as the Trainer's
 * {@link GradientExchange}: every rank runs the same model on its own batches, and between
 * {@code backward()} and {@code step()} each parameter's gradient is replaced by its average over the
 * ranks, so every rank takes the same optimizer step. With a mean loss, N ranks with batch b then
 * train as one process with batch N·b, up to float rounding.
 *
 * <pre>{@code
 * try (ProcessGroup group = ProcessGroup.builder(rank, addresses).connect()) {
 *     Module model = ...;                      // built the same way on every rank
 *     var ddp = new DistributedDataParallel(group, model);
 *     Trainer trainer = Trainer.builder(model, new SGD(model.parameters(), 0.1f))
 *             .loss(new CrossEntropyLoss()).gradientExchange(ddp).build();
 *     ...                                      // each rank trains on its own shard
 * }
 * }</pre>
 *
 * <p>Construction is the group's first exchange for this model, and a collective (every rank
 * constructs it): the ranks compare the names and shapes of the parameters and buffers, so a model
 * that differs between ranks is an error naming the parameter and both shapes, before anything is
 * changed; then rank 0's parameters and buffers are copied to every rank, as PyTorch's constructor
 * does, so the replicas start equal whatever their initialisation.
 *
 * <p>Only parameters that require grad take part. A parameter without a gradient on a rank counts as
 * zeros there; one that no rank has a gradient for keeps none (so the optimizer skips it, as it would
 * in one process): PyTorch's {@code find_unused_parameters=True} behaviour, which costs nothing extra
 * here since a has-gradient flag per parameter travels in the first bucket. A row-sparse gradient is
 * made dense. Buffers (BatchNorm's running statistics) are synced at construction only; afterwards
 * each rank's evolve on its own batches ({@code broadcast_buffers=False}).
 *
 * <p>The all-reduce runs after the whole backward pass, not overlapped with it bucket by bucket as
 * PyTorch's reducer does: with the kernels already using every core for the backward pass, there is
 * no idle core for the overlap to use, and it was left out.
 */
public final class DistributedDataParallel implements GradientExchange {
    private final ProcessGroup group;
    private final Module module;
    private final List<Tensor> params;

    /** Checks that every rank has the same model, then copies rank 0's parameters and buffers to all. */
    public DistributedDataParallel(ProcessGroup group, Module module) {
        this.group = Objects.requireNonNull(group, "DistributedDataParallel: group is null");
        this.module = Objects.requireNonNull(module, "DistributedDataParallel: module is null");
        Map<String, Tensor> named = module.namedParameters();
        Map<String, Tensor> buffers = module.namedBuffers();
        this.params = List.copyOf(named.values());
        verifySameModel(named, buffers);
        List<Tensor> state = new ArrayList<>(params);
        state.addAll(buffers.values());
        group.broadcast(state, 0);
    }

    public ProcessGroup processGroup() {
        return group;
    }

    public Module module() {
        return module;
    }

    /** Replaces each gradient by its average over the ranks (an all-reduce of every gradient, in buckets). */
    @Override
    public void exchange(List<Tensor> parameters) {
        if (parameters.size() != params.size()) {
            throw new IllegalArgumentException(
                    "DistributedDataParallel: exchange got " + parameters.size() + " parameters but the module has "
                            + params.size() + "; the trainer must train the module this DistributedDataParallel wraps");
        }
        List<Tensor> active = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            if (parameters.get(i) != params.get(i)) {
                throw new IllegalArgumentException(
                        "DistributedDataParallel: exchange got a parameter (params[" + i + "], shape "
                                + Arrays.toString(parameters.get(i).shape())
                                + ") that is not the module's; the trainer must train the module this "
                                + "DistributedDataParallel wraps");
            }
            if (params.get(i).requiresGrad()) active.add(params.get(i));
        }
        int m = active.size();
        float[] has = new float[m];
        for (int i = 0; i < m; i++) has[i] = active.get(i).grad() != null ? 1f : 0f;
        float[][] used = new float[1][];
        group.allReduceSegments(
                new ProcessGroup.Segments() {
                    public int count() {
                        return m + 1;
                    }

                    public int length(int i) {
                        return i == 0 ? m : active.get(i - 1).numel();
                    }

                    public float[] read(int i) {
                        if (i == 0) return has;
                        Tensor g = active.get(i - 1).grad();
                        return g == null ? new float[active.get(i - 1).numel()] : g.toFloatArray();
                    }

                    public void write(int i, float[] values) {
                        if (i == 0) {
                            used[0] = values; // the average of 0/1 flags: 0 exactly when no rank had a gradient
                            return;
                        }
                        Tensor p = active.get(i - 1);
                        if (used[0][i - 1] == 0f) return;
                        p.setGrad(Tensor.of(values, p.shape()).to(p.device()));
                    }
                },
                ReduceOp.AVG);
    }

    /** All ranks gather every rank's list of parameter and buffer names and shapes and compare them with rank 0's. */
    private void verifySameModel(Map<String, Tensor> named, Map<String, Tensor> buffers) {
        StringBuilder sig = new StringBuilder();
        named.forEach((k, v) -> sig.append("parameter\t")
                .append(k)
                .append('\t')
                .append(Arrays.toString(v.shape()))
                .append('\n'));
        buffers.forEach((k, v) -> sig.append("buffer\t")
                .append(k)
                .append('\t')
                .append(Arrays.toString(v.shape()))
                .append('\n'));
        byte[][] all = group.allGather(sig.toString().getBytes(StandardCharsets.UTF_8));
        List<String> first = lines(all[0]);
        for (int r = 1; r < all.length; r++) {
            List<String> other = lines(all[r]);
            if (!other.equals(first)) throw mismatch(first, r, other);
        }
    }

    private IllegalArgumentException mismatch(List<String> ref, int r, List<String> other) {
        String head = "DistributedDataParallel expects the same model on every rank, but ";
        String tail = "; build the model the same way on every rank";
        int i = 0;
        while (i < ref.size() && i < other.size() && ref.get(i).equals(other.get(i))) i++;
        if (i < ref.size() && i < other.size()) {
            String[] a = ref.get(i).split("\t"), b = other.get(i).split("\t");
            if (a[0].equals(b[0]) && a[1].equals(b[1])) {
                return new IllegalArgumentException(head + a[0] + " '" + a[1] + "' has shape " + b[2] + " on rank " + r
                        + " and " + a[2] + " on rank 0" + tail);
            }
            return new IllegalArgumentException(head + "entry " + i + " is " + a[0] + " '" + a[1] + "' of shape " + a[2]
                    + " on rank 0 and " + b[0] + " '" + b[1] + "' of shape " + b[2] + " on rank " + r + tail);
        }
        boolean rankZeroLonger = ref.size() > other.size();
        String[] extra = (rankZeroLonger ? ref : other).get(i).split("\t");
        return new IllegalArgumentException(head + "rank 0 has " + ref.size() + " parameters and buffers and rank " + r
                + " has " + other.size() + ": rank " + (rankZeroLonger ? 0 : r) + " also has " + extra[0] + " '"
                + extra[1] + "' of shape " + extra[2] + tail);
    }

    private static List<String> lines(byte[] sig) {
        String s = new String(sig, StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }
}
