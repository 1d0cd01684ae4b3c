package org.grad4j.training.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.grad4j.core.Tensor;

/** {@code TensorDataset}: sample i is row i of each tensor (all share their first dimension). */
public final class TensorDataset implements Dataset {
    private final List<Tensor> tensors;
    private final int size;

    public TensorDataset(Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("TensorDataset: needs at least one tensor");
        for (Tensor t : tensors) {
            if (t.dim() == 0 || t.size(0) != tensors[0].size(0)) {
                StringBuilder shapes = new StringBuilder();
                for (Tensor u : tensors) shapes.append(' ').append(Arrays.toString(u.shape()));
                throw new IllegalArgumentException(
                        "TensorDataset: Size mismatch between tensors: first dimensions must agree, got shapes"
                                + shapes);
            }
        }
        this.tensors = List.of(tensors);
        this.size = tensors[0].size(0);
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<Tensor> get(int index) {
        if (index < 0 || index >= size)
            throw new IndexOutOfBoundsException("TensorDataset: index " + index + " out of range [0, " + size + ")");
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) out.add(t.select(0, index));
        return out;
    }

    @Override
    public Batch getBatch(int[] indices) {
        Tensor idx = Tensor.indices(indices);
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) out.add(t.indexSelect(0, idx));
        return new Batch(out);
    }

    /** The first {@code n} samples (for quick runs and tests); shares storage. */
    public TensorDataset head(int n) {
        int m = Math.min(n, size);
        Tensor[] out = new Tensor[tensors.size()];
        for (int i = 0; i < out.length; i++) out[i] = tensors.get(i).narrow(0, 0, m);
        return new TensorDataset(out);
    }
}
