package org.grad4j.training.spark;

import java.io.Serializable;
import java.util.List;
import org.grad4j.training.data.Batch;

/**
 * Turns consecutive RDD elements into one batch ({@code collate_fn} of PyTorch's DataLoader). It runs
 * on the workers, so it is serialisable; a lambda or method reference assigned to this type is.
 */
@FunctionalInterface
public interface Collate<T> extends Serializable {
    Batch collate(List<T> samples);
}
