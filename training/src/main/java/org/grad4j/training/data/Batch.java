package org.grad4j.training.data;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * A minibatch: tensors whose first dimension is the batch (typically inputs and targets), as a
 * DataLoader's collate step makes them.
 */
public record Batch(List<Tensor> tensors) {
    public Batch {
        if (tensors.isEmpty()) throw new IllegalArgumentException("Batch: needs at least one tensor");
        tensors = List.copyOf(tensors);
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    public Tensor get(int i) {
        return tensors.get(i);
    }

    /** The first tensor (the model's input). */
    public Tensor inputs() {
        return tensors.get(0);
    }

    /** The second tensor (the target). */
    public Tensor targets() {
        if (tensors.size() < 2)
            throw new IllegalStateException("Batch: has no targets (only " + tensors.size() + " tensor)");
        return tensors.get(1);
    }

    /** Number of samples (first dimension of the first tensor). */
    public int size() {
        Tensor t = tensors.get(0);
        return t.dim() == 0 ? 1 : t.size(0);
    }
}
