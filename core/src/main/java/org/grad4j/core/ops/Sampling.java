package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.withDType;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * multinomial: category indices drawn from each row of (unnormalised) probabilities, seeded by a
 * {@link Generator}. With replacement each draw inverts the row's cumulative sum; without, each
 * category gets the key {@code -log(u)/p} (an exponential variate over its probability, the trick
 * PyTorch uses) and the smallest keys win, so no category repeats. The result is INT64 on the
 * probabilities' device and outside the graph. Every row is checked before anything is drawn, so a
 * bad input leaves the generator where it was.
 */
public final class Sampling {
    private Sampling() {}

    /** float32 holds integers exactly to 2^24, and the categories are numbered in float32 storage. */
    private static final int MAX_CATEGORIES = 1 << 24;

    public static Tensor multinomial(Tensor probs, int numSamples, boolean replacement, Generator gen) {
        if (probs.dim() != 1 && probs.dim() != 2) {
            throw new IllegalArgumentException(
                    "multinomial(): prob_dist must be 1 or 2 dim, got shape " + Arrays.toString(shape(probs)));
        }
        if (probs.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(
                    "multinomial(): only floating-point probabilities are supported, got " + probs.dtype());
        }
        int rows = probs.dim() == 1 ? 1 : shape(probs)[0];
        int n = shape(probs)[probs.dim() - 1];
        if (n > MAX_CATEGORIES) {
            throw new IllegalArgumentException("multinomial(): number of categories cannot exceed 2^24, got " + n);
        }
        if (numSamples <= 0) {
            throw new IllegalArgumentException(
                    "multinomial(): cannot sample n_sample <= 0 samples (got " + numSamples + ")");
        }
        if (!replacement && numSamples > n) {
            throw new IllegalArgumentException("multinomial(): cannot sample n_sample > prob_dist.size(-1) samples "
                    + "without replacement (" + numSamples + " samples from " + n + " categories)");
        }
        float[] p = probs.toFloatArray();
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < n; c++) {
                float v = p[r * n + c];
                if (!(v >= 0f) || v == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("multinomial(): probability tensor contains either `inf`, "
                            + "`nan` or element < 0 (" + v + " at row " + r + ", category " + c + ")");
                }
                sum += v;
            }
            if (!(sum > 0)) {
                throw new IllegalArgumentException(
                        "multinomial(): invalid multinomial distribution (sum of " + "probabilities <= 0) in row " + r);
            }
        }
        float[] out = new float[rows * numSamples];
        for (int r = 0; r < rows; r++) {
            // one draw is the same distribution either way; the inverse CDF needs one uniform, not n
            if (replacement || numSamples == 1) withReplacement(p, r * n, n, gen, out, r * numSamples, numSamples);
            else withoutReplacement(p, r * n, n, gen, out, r * numSamples, numSamples);
        }
        int[] outShape = probs.dim() == 1 ? new int[] {numSamples} : new int[] {rows, numSamples};
        return withDType(newOf(probs, out, outShape), DType.INT64);
    }

    private static void withReplacement(float[] p, int at, int n, Generator gen, float[] out, int to, int k) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int c = 0; c < n; c++) cdf[c] = sum += p[at + c];
        for (int s = 0; s < k; s++) {
            double u = gen.nextUniform() * sum;
            // the first category whose cumulative sum exceeds u (u < sum): never one of probability 0
            int lo = 0, hi = n - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] > u) hi = mid;
                else lo = mid + 1;
            }
            out[to + s] = lo;
        }
    }

    private static void withoutReplacement(float[] p, int at, int n, Generator gen, float[] out, int to, int k) {
        double[] key = new double[n];
        Integer[] order = new Integer[n];
        for (int c = 0; c < n; c++) {
            // 1 - u lies in (0, 1], so the log is finite; categories of probability 0 come last, in order
            double e = -Math.log(1.0 - gen.nextUniform());
            key[c] = p[at + c] > 0f ? e / p[at + c] : Double.POSITIVE_INFINITY;
            order[c] = c;
        }
        Arrays.sort(order, (a, b) -> {
            int byKey = Double.compare(key[a], key[b]);
            return byKey != 0 ? byKey : Integer.compare(a, b);
        });
        for (int s = 0; s < k; s++) out[to + s] = order[s];
    }
}
