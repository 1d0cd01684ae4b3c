package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertValues;
import static org.grad4j.core.FunctionalOpsTable.a;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Forward values and gradients of F's pooling and normalization: max-pool indices, overlapping windows,
 * avg-pool padding, layer norm, batch norm's running statistics.
 */
class PoolingAndNormalizationTest {
    @Test
    void maxPoolKeepsIndicesAndRoutesTheGradientToThem() {
        Tensor x = Tensor.of(
                        new float[] {
                            1, 5, 2, 0,
                            3, 4, 9, 8,
                            7, 6, 1, 1,
                            0, 2, 3, 4
                        },
                        1,
                        1,
                        4,
                        4)
                .requiresGrad_();
        Tensor.ValuesIndices r = F.maxPool2dWithIndices(x, a(2), null, a(0), a(1));
        assertValues(r.values(), 5, 9, 7, 4);
        assertValues(r.indices(), 1, 6, 8, 15);
        assertEquals(DType.INT64, r.indices().dtype());
        r.values().backward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2));
        assertValues(x.grad(), 0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4);
    }

    @Test
    void overlappingMaxPoolWindowsAddTheirGradients() {
        Tensor x =
                Tensor.of(new float[] {0, 1, 0, 0, 9, 0, 0, 1, 0}, 1, 1, 3, 3).requiresGrad_();
        F.maxPool2d(x, 2, 1, 0).sum().backward(); // the 9 in the middle wins all four windows
        assertValues(x.grad(), 0, 0, 0, 0, 4, 0, 0, 0, 0);
    }

    @Test
    void avgPoolCountsPaddingOnlyWhenAsked() {
        Tensor x = Tensor.ones(1, 1, 2, 2);
        assertValues(F.avgPool2d(x, a(2), a(2), a(1), true), 0.25f, 0.25f, 0.25f, 0.25f);
        assertValues(F.avgPool2d(x, a(2), a(2), a(1), false), 1, 1, 1, 1);
        assertValues(F.avgPool2d(Tensor.arange(16).view(1, 4, 4), 2), 2.5f, 4.5f, 10.5f, 12.5f);
    }

    @Test
    void layerNormNormalisesTheTrailingDims() {
        Tensor x = Tensor.tensor(new float[][] {{1, 2, 3, 4}, {-2, 0, 2, 4}});
        Tensor y = F.layerNorm(x, a(4), Tensor.full(2f, 4), Tensor.full(1f, 4), 0f);
        // (x - mean) / sqrt(biased var): row 1 has mean 2.5, var 1.25
        float s = (float) Math.sqrt(1.25);
        // row 2 has mean 1, var 5 = 4 * 1.25: after the weight 2 both rows come out the same
        float[] row = {1 - 3 / s, 1 - 1 / s, 1 + 1 / s, 1 + 3 / s};
        assertClose(y, new float[] {row[0], row[1], row[2], row[3], row[0], row[1], row[2], row[3]}, 1e-5f);
    }

    @Test
    void batchNormUpdatesRunningStatsWithTheUnbiasedVarianceAndUsesThemInEval() {
        Tensor x = Tensor.tensor(
                new float[][] {{1, 10}, {3, 20}, {5, 60}}); // per channel: mean 3, 30; biased var 8/3, 1400/3
        Tensor rm = Tensor.zeros(2), rv = Tensor.ones(2);
        Tensor y = F.batchNorm(x, rm, rv, null, null, true, 0.1f, 0f);
        assertValues(rm, 0.3f, 3f);
        assertValues(rv, 0.9f + 0.1f * 4f, 0.9f + 0.1f * 700f); // unbiased: 4 and 700
        float s0 = (float) Math.sqrt(8 / 3.0), s1 = (float) Math.sqrt(1400 / 3.0);
        assertClose(y, new float[] {-2 / s0, -20 / s1, 0, -10 / s1, 2 / s0, 30 / s1}, 1e-5f);
        Tensor e = F.batchNorm(
                Tensor.tensor(new float[][] {{1.3f, 4f}}),
                rm,
                rv,
                Tensor.tensor(2, 3),
                Tensor.tensor(1, 0),
                false,
                0.1f,
                0f);
        assertClose(
                e,
                new float[] {1 + 2 * (1.3f - 0.3f) / (float) Math.sqrt(1.3), 3 * (4 - 3f) / (float) Math.sqrt(70.9)},
                1e-5f);
        assertValues(rm, 0.3f, 3f); // eval leaves them alone
    }
}
