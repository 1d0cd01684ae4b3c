package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.scalarLike;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.autograd.Recorder.record;

import org.grad4j.core.GradMode;
import org.grad4j.core.ModeScope;
import org.grad4j.core.Tensor;

/** tril and triu: the lower or upper triangle of the last two dimensions (batched), the rest zero. */
public final class Triangular {
    private Triangular() {}

    /** Keeps the elements with {@code col - row <= diagonal} (tril) or {@code >= diagonal} (triu). */
    public static Tensor triangle(Tensor x, int diagonal, boolean lower) {
        String op = lower ? "tril" : "triu";
        int[] s = shape(x);
        if (s.length < 2) throw new IllegalArgumentException(op + ": input tensor must have at least 2 dimensions");
        int rows = s[s.length - 2], cols = s[s.length - 1];
        float[] rowIdx = new float[rows], colIdx = new float[cols];
        for (int i = 0; i < rows; i++) rowIdx[i] = i;
        for (int j = 0; j < cols; j++) colIdx[j] = j;
        Tensor out;
        Tensor keep;
        try (ModeScope m = GradMode.noGrad()) {
            // col - row, a [rows, cols] grid that broadcasts over the batch dimensions
            Tensor offset = newOf(x, colIdx, 1, cols).sub(newOf(x, rowIdx, rows, 1));
            keep = lower ? offset.le((float) diagonal) : offset.ge((float) diagonal);
            out = Comparisons.where(keep, x, scalarLike(x, 0f));
        }
        // the gradient is the same triangle of the incoming gradient
        return record(out, lower ? "TrilBackward0" : "TriuBackward0", x, (g, ctx) ->
                new Tensor[] {triangle(g, diagonal, lower)});
    }
}
