package org.grad4j.training.nn;

import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * {@code nn.BatchNorm1d} / {@code nn.BatchNorm2d}: per-channel normalisation of [N, C] or [N, C, L]
 * (1d) and [N, C, H, W] (2d). In training it uses the batch's statistics and updates the running ones
 * (buffers {@code running_mean}, {@code running_var}, {@code num_batches_tracked}); in eval it uses the
 * running statistics. Affine weight starts at 1, bias at 0.
 */
public class BatchNorm extends Module {
    public final int numFeatures;
    public final float eps, momentum;
    public final Tensor weight, bias, runningMean, runningVar, numBatchesTracked;
    private final int[] dims;
    private final String name;

    BatchNorm(String name, int[] dims, int numFeatures, float eps, float momentum) {
        if (numFeatures <= 0)
            throw new IllegalArgumentException(name + ": num_features must be positive, got " + numFeatures);
        this.name = name;
        this.dims = dims;
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        weight = registerParameter("weight", Parameter.of(Tensor.ones(numFeatures)));
        bias = registerParameter("bias", Parameter.of(Tensor.zeros(numFeatures)));
        runningMean = registerBuffer("running_mean", Tensor.zeros(numFeatures));
        runningVar = registerBuffer("running_var", Tensor.ones(numFeatures));
        // PyTorch keeps an int64 counter; stored as a float here (exact to 2^24), which load_state_dict converts
        numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.scalar(0));
    }

    @Override
    public Tensor forward(Tensor input) {
        if (Arrays.stream(dims).noneMatch(d -> d == input.dim())) {
            throw new IllegalArgumentException(
                    name + ": expected " + (dims.length == 1 ? dims[0] + "D" : dims[0] + "D or " + dims[1] + "D")
                            + " input, got " + input.dim() + "D input of shape " + Arrays.toString(input.shape()));
        }
        if (input.size(1) != numFeatures) {
            throw new IllegalArgumentException(name + ": expected " + numFeatures
                    + " channels (dimension 1), got input of shape " + Arrays.toString(input.shape()));
        }
        if (isTraining()) {
            try (var s = GradMode.noGrad()) {
                numBatchesTracked.add_(1f);
            }
        }
        return F.batchNorm(input, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=True, track_running_stats=True";
    }

    /** {@code nn.BatchNorm1d}: input [N, C] or [N, C, L]. */
    public static final class BatchNorm1d extends BatchNorm {
        public BatchNorm1d(int numFeatures) {
            this(numFeatures, 1e-5f, 0.1f);
        }

        public BatchNorm1d(int numFeatures, float eps, float momentum) {
            super("BatchNorm1d", new int[] {2, 3}, numFeatures, eps, momentum);
        }
    }

    /** {@code nn.BatchNorm2d}: input [N, C, H, W]. */
    public static final class BatchNorm2d extends BatchNorm {
        public BatchNorm2d(int numFeatures) {
            this(numFeatures, 1e-5f, 0.1f);
        }

        public BatchNorm2d(int numFeatures, float eps, float momentum) {
            super("BatchNorm2d", new int[] {4}, numFeatures, eps, momentum);
        }
    }
}
