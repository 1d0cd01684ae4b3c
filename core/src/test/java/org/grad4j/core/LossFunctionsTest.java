package org.grad4j.core;

import static org.grad4j.core.Asserts.assertClose;
import static org.grad4j.core.Asserts.assertValues;

import org.junit.jupiter.api.Test;

/**
 * Values and gradients of F's losses against closed forms: cross-entropy, binary cross-entropy with
 * logits, mse.
 */
class LossFunctionsTest {
    @Test
    void crossEntropyIsStableAndMatchesTheLogSumExp() {
        Tensor logits = Tensor.tensor(new float[][] {{1000, 0, -1000}, {1, 2, 3}});
        Tensor t = Tensor.indices(1, 2);
        double row2 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
        Tensor none = F.crossEntropy(logits, t, Reduction.NONE);
        assertValues(none, 1000, (float) row2);
        assertValues(F.crossEntropy(logits, t), (float) ((1000 + row2) / 2));
        // class weights: the mean divides by the weights of the targets
        Tensor w = Tensor.tensor(1, 2, 3);
        assertValues(F.crossEntropy(logits, t, w, -100, Reduction.MEAN), (float) ((2 * 1000 + 3 * row2) / 5));
        // ignoreIndex drops a row from sum and count
        assertValues(F.crossEntropy(logits, Tensor.indices(1, -1), null, -1, Reduction.MEAN), 1000);
        assertValues(F.crossEntropy(logits, Tensor.indices(1, -1), null, -1, Reduction.NONE), 1000, 0);
    }

    @Test
    void crossEntropyGradientIsSoftmaxMinusOneHot() {
        Tensor logits = Tensor.tensor(new float[][] {{1, 2, 3}, {0, 0, 0}}).requiresGrad_();
        F.crossEntropy(logits, Tensor.indices(2, 0)).backward();
        float[] p = Tensor.tensor(1, 2, 3).softmax(0).toFloatArray();
        assertClose(
                logits.grad(),
                new float[] {p[0] / 2, p[1] / 2, (p[2] - 1) / 2, (1 / 3f - 1) / 2, 1 / 6f, 1 / 6f},
                1e-5f);
    }

    @Test
    void bceWithLogitsIsStableForLargeLogits() {
        Tensor x = Tensor.tensor(100, -100, 0, 2).requiresGrad_();
        Tensor y = Tensor.tensor(0, 1, 1, 0.25f);
        Tensor l = F.binaryCrossEntropyWithLogits(x, y, Reduction.NONE);
        assertValues(l, 100, 100, (float) Math.log(2), (float) (0.75 * 2 + Math.log1p(Math.exp(-2))));
        l.sum().backward();
        assertValues(x.grad(), 1, -1, -0.5f, (float) (1 / (1 + Math.exp(-2)) - 0.25));
        // posWeight scales the positive term: -pw * y * log(sigmoid(x)) - (1 - y) log(1 - sigmoid(x))
        Tensor lp = F.binaryCrossEntropyWithLogits(
                Tensor.tensor(0.5f), Tensor.tensor(0.7f), null, Tensor.tensor(3f), Reduction.SUM);
        double s = 1 / (1 + Math.exp(-0.5));
        assertValues(lp, (float) (-3 * 0.7 * Math.log(s) - 0.3 * Math.log(1 - s)));
    }

    @Test
    void mseLossValues() {
        Tensor x = Tensor.tensor(1, 2, 3), y = Tensor.tensor(0, 2, 5);
        assertValues(F.mseLoss(x, y), 5f / 3);
        assertValues(F.mseLoss(x, y, Reduction.SUM), 5);
        assertValues(F.mseLoss(x, y, Reduction.NONE), 1, 0, 4);
    }
}
