package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * multinomial: PyTorch's RNG cannot be matched bit for bit, so the draws are tested for their
 * distribution (chi-square at a fixed seed, against a bound far above the 99.99th percentile),
 * determinism for a seed, no repeats without replacement, and PyTorch's errors (messages, and the
 * generator left where it was).
 */
class MultinomialTest {
    private static final float[] P = {0.1f, 0.2f, 0.3f, 0.4f};

    /** Pearson's statistic of the counts against expected frequencies. */
    private static double chiSquare(int[] counts, double[] expected, int n) {
        double chi = 0;
        for (int c = 0; c < counts.length; c++) {
            double e = expected[c] * n;
            chi += (counts[c] - e) * (counts[c] - e) / e;
        }
        return chi;
    }

    @Test
    void drawsWithReplacementFollowTheProbabilities() {
        int n = 20_000;
        // unnormalised weights: 1:2:3:4
        Tensor s = Torch.multinomial(Tensor.tensor(1f, 2f, 3f, 4f), n, true, new Generator(7));
        assertEquals(DType.INT64, s.dtype());
        assertArrayEquals(new int[] {n}, s.shape());
        int[] counts = new int[4];
        for (float v : s.toFloatArray()) counts[(int) v]++;
        double[] expected = {0.1, 0.2, 0.3, 0.4};
        // 3 degrees of freedom: P(chi2 > 21.1) = 1e-4
        assertTrue(chiSquare(counts, expected, n) < 21.1, () -> java.util.Arrays.toString(counts));
        // a category of probability 0 is never drawn
        for (float v : Tensor.tensor(0f, 1f, 0f, 1f)
                .multinomial(500, true, new Generator(1))
                .toFloatArray()) assertTrue(v == 1f || v == 3f);
    }

    @Test
    void drawsWithoutReplacementNeverRepeatAndFollowTheProbabilities() {
        int rows = 8_000;
        float[] p = new float[rows * 4];
        for (int r = 0; r < rows; r++) System.arraycopy(P, 0, p, r * 4, 4);
        Tensor s = Tensor.of(p, rows, 4).multinomial(2, false, new Generator(11));
        assertArrayEquals(new int[] {rows, 2}, s.shape());
        float[] v = s.toFloatArray();
        int[] first = new int[4], second = new int[4];
        for (int r = 0; r < rows; r++) {
            assertNotEquals(v[2 * r], v[2 * r + 1], "row " + r);
            first[(int) v[2 * r]]++;
            second[(int) v[2 * r + 1]]++;
        }
        // the first draw follows p; the second P(j) = sum over i != j of p_i p_j / (1 - p_i)
        double[] pd = {0.1, 0.2, 0.3, 0.4}, secondP = new double[4];
        for (int j = 0; j < 4; j++) for (int i = 0; i < 4; i++) if (i != j) secondP[j] += pd[i] * pd[j] / (1 - pd[i]);
        assertTrue(chiSquare(first, pd, rows) < 21.1, () -> java.util.Arrays.toString(first));
        assertTrue(chiSquare(second, secondP, rows) < 21.1, () -> java.util.Arrays.toString(second));
        // all categories without replacement: a permutation; with fewer non-zero ones, the zeros come after
        float[] all = Tensor.tensor(P).multinomial(4, false, new Generator(3)).toFloatArray();
        java.util.Arrays.sort(all);
        assertArrayEquals(new float[] {0, 1, 2, 3}, all);
        assertEquals(
                1f,
                Tensor.tensor(0f, 1f, 0f)
                        .multinomial(2, false, new Generator(3))
                        .toFloatArray()[0]);
    }

    @Test
    void aSeedGivesTheSameDraws() {
        Tensor probs = Tensor.of(new float[] {0.5f, 0.5f, 0f, 1f, 1f, 1f}, 2, 3);
        for (boolean replacement : new boolean[] {true, false}) {
            float[] a = probs.multinomial(3, replacement, new Generator(42)).toFloatArray();
            float[] b = probs.multinomial(3, replacement, new Generator(42)).toFloatArray();
            assertArrayEquals(a, b);
        }
        float[] x = Tensor.tensor(P).multinomial(64, true, new Generator(1)).toFloatArray();
        float[] y = Tensor.tensor(P).multinomial(64, true, new Generator(2)).toFloatArray();
        assertFalse(java.util.Arrays.equals(x, y));
        // outside the graph, on the probabilities' device
        Tensor w = Tensor.tensor(P).requiresGrad_();
        assertFalse(w.multinomial(2).requiresGrad());
        Device test = Device.of("test");
        Tensor onTest = Tensor.tensor(P).to(test).multinomial(5, true, new Generator(9));
        assertEquals(test, onTest.device());
        assertArrayEquals(
                Tensor.tensor(P).multinomial(5, true, new Generator(9)).toFloatArray(), onTest.toFloatArray());
    }

    @Test
    void badDistributionsAreErrorsAsPyTorchAndDrawNothing() {
        Generator gen = new Generator(5);
        float next = new Generator(5).nextUniform();
        expect(
                "multinomial(): probability tensor contains either `inf`, `nan` or element < 0 (-0.2 at row 0, "
                        + "category 1)",
                () -> Torch.multinomial(Tensor.tensor(0.1f, -0.2f, 0.7f), 2, true, gen));
        expect(
                "multinomial(): probability tensor contains either `inf`, `nan` or element < 0 (Infinity at row 1, "
                        + "category 0)",
                () -> Torch.multinomial(
                        Tensor.of(new float[] {1f, 1f, Float.POSITIVE_INFINITY, 1f}, 2, 2), 1, true, gen));
        expect(
                "multinomial(): probability tensor contains either `inf`, `nan` or element < 0 (NaN at row 0, "
                        + "category 2)",
                () -> Torch.multinomial(Tensor.tensor(1f, 1f, Float.NaN), 1, true, gen));
        expect(
                "multinomial(): invalid multinomial distribution (sum of probabilities <= 0) in row 1",
                () -> Torch.multinomial(Tensor.of(new float[] {1f, 1f, 0f, 0f}, 2, 2), 1, true, gen));
        expect(
                "multinomial(): cannot sample n_sample > prob_dist.size(-1) samples without replacement (4 samples "
                        + "from 3 categories)",
                () -> Torch.multinomial(Tensor.tensor(1f, 1f, 1f), 4, false, gen));
        expect(
                "multinomial(): cannot sample n_sample <= 0 samples (got 0)",
                () -> Torch.multinomial(Tensor.tensor(1f, 1f, 1f), 0, true, gen));
        expect(
                "multinomial(): prob_dist must be 1 or 2 dim, got shape [2, 2, 2]",
                () -> Torch.multinomial(Tensor.ones(2, 2, 2), 1, true, gen));
        expect(
                "multinomial(): prob_dist must be 1 or 2 dim, got shape []",
                () -> Torch.multinomial(Tensor.scalar(1f), 1, true, gen));
        // the first row was fine, the second not: nothing was drawn from the generator
        assertEquals(next, gen.nextUniform());
    }

    private static void expect(String message, Executable body) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, body).getMessage());
    }
}
