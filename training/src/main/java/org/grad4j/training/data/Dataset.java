package org.grad4j.training.data;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;

/**
 * {@code torch.utils.data.Dataset}: {@link #size()} samples, each a list of tensors ({@code [input, target]}).
 * {@link #getBatch(int[])} collates several samples; datasets that hold whole tensors override it
 * with one gather instead of a stack of rows.
 */
public interface Dataset {
    int size();

    /** Sample {@code index}: its fields, e.g. an image and its label. */
    List<Tensor> get(int index);

    /** The samples at {@code indices}, stacked field by field along a new first dimension. */
    default Batch getBatch(int[] indices) {
        if (indices.length == 0) throw new IllegalArgumentException("getBatch: no indices");
        List<List<Tensor>> rows = new ArrayList<>();
        for (int i : indices) rows.add(get(i));
        int fields = rows.get(0).size();
        List<Tensor> out = new ArrayList<>();
        for (int f = 0; f < fields; f++) {
            List<Tensor> column = new ArrayList<>();
            for (List<Tensor> r : rows) column.add(r.get(f));
            out.add(Torch.stack(column, 0));
        }
        return new Batch(out);
    }
}
