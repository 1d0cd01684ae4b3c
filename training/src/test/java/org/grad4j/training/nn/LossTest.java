package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;

class LossTest {

    @Test
    void crossEntropyIsLogSumExpMinusTheTargetLogit() {
        Tensor logits = Tensor.tensor(new float[][] {{1, 2, 3}, {1, 1, 1}}).requiresGrad_();
        Tensor loss = new CrossEntropyLoss().call(logits, Tensor.indices(2, 0));
        double l0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3; // 0.40760596
        double l1 = Math.log(3);
        assertEquals((l0 + l1) / 2, loss.item(), 1e-6);
        loss.backward();
        // d/dlogits = (softmax - onehot) / N
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        float[] expected = {
            (float) (Math.exp(1) / z / 2),
            (float) (Math.exp(2) / z / 2),
            (float) ((Math.exp(3) / z - 1) / 2),
            (float) ((1 / 3.0 - 1) / 2),
            (float) (1 / 3.0 / 2),
            (float) (1 / 3.0 / 2)
        };
        assertArrayEquals(expected, logits.grad().toFloatArray(), 1e-6f);
        assertEquals(
                (float) (l0 + l1),
                new CrossEntropyLoss(Reduction.SUM)
                        .call(logits, Tensor.indices(2, 0))
                        .item(),
                1e-5f);
        assertArrayEquals(
                new float[] {(float) l0, (float) l1},
                new CrossEntropyLoss(Reduction.NONE)
                        .call(logits, Tensor.indices(2, 0))
                        .toFloatArray(),
                1e-6f);
        // as in PyTorch, float targets are refused even when they hold whole numbers; converted, they are targets
        assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss().call(logits, Tensor.tensor(2, 0)));
        assertEquals(
                loss.item(),
                new CrossEntropyLoss()
                        .call(logits, Tensor.tensor(2, 0).to(DType.INT64))
                        .item(),
                0f);
    }

    @Test
    void crossEntropyGradcheck() {
        Tensor logits = Tensor.randn(new Generator(3), 4, 5).requiresGrad_();
        Tensor target = Tensor.indices(0, 4, 2, 2);
        GradCheck.check(xs -> LossFunctions.crossEntropy(xs[0], target, null, -100, Reduction.MEAN), logits);
    }

    @Test
    void nllLossPicksMinusTheTargetLogProbability() {
        Tensor logp = Tensor.tensor(new float[][] {{-0.5f, -1.5f}, {-2f, -0.1f}});
        assertEquals(
                (0.5f + 0.1f) / 2,
                new NLLLoss().call(logp, Tensor.indices(0, 1)).item(),
                1e-7f);
        IndexOutOfBoundsException e =
                assertThrows(IndexOutOfBoundsException.class, () -> new NLLLoss().call(logp, Tensor.indices(0, 2)));
        assertEquals(
                "nllLoss: target 2 is out of bounds: the input has 2 classes, so class indices must be in [0, 2) "
                        + "(or equal ignoreIndex=-100)",
                e.getMessage());
        IllegalArgumentException b =
                assertThrows(IllegalArgumentException.class, () -> new NLLLoss().call(logp, Tensor.indices(0)));
        assertEquals(
                "nllLoss: expected input batch_size (2) to match target batch_size (1); input [2, 2], target [1]",
                b.getMessage());
        b = assertThrows(IllegalArgumentException.class, () -> new NLLLoss().call(logp, Tensor.zeros(2, 2)));
        assertTrue(b.getMessage().contains("expected a target of class indices of shape [2]"), b.getMessage());
        b = assertThrows(IllegalArgumentException.class, () -> new NLLLoss().call(logp, Tensor.tensor(0.5f, 1)));
        assertTrue(b.getMessage().startsWith("nllLoss: expected target dtype to be int64"), b.getMessage());
    }

    @Test
    void mseLoss() {
        Tensor a = Tensor.tensor(1, 2, 3).requiresGrad_();
        Tensor loss = new MSELoss().call(a, Tensor.tensor(1, 0, 0));
        assertEquals(13f / 3, loss.item(), 1e-6f);
        loss.backward();
        assertArrayEquals(new float[] {0, 4f / 3, 2f}, a.grad().toFloatArray(), 1e-6f);
        assertEquals(
                13f, new MSELoss(Reduction.SUM).call(a, Tensor.tensor(1, 0, 0)).item(), 1e-6f);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new MSELoss().call(a, Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void bceWithLogitsIsStableForLargeLogits() {
        Tensor x = Tensor.tensor(0.5f, -1f, 100f, -100f).requiresGrad_();
        Tensor y = Tensor.tensor(1, 0, 0, 1);
        float[] l = new BCEWithLogitsLoss(Reduction.NONE).call(x, y).toFloatArray();
        assertArrayEquals(
                new float[] {(float) Math.log1p(Math.exp(-0.5)), (float) (-1 + Math.log1p(Math.E)), 100f, 100f},
                l,
                1e-5f);
        Tensor mean = new BCEWithLogitsLoss().call(x, y);
        mean.backward();
        // d/dx = (sigmoid(x) - y) / N
        float[] g = x.grad().toFloatArray();
        assertEquals((float) ((1 / (1 + Math.exp(-0.5)) - 1) / 4), g[0], 1e-6f);
        assertEquals((float) (1 / (1 + Math.E) / 4), g[1], 1e-6f);
        assertEquals(0.25f, g[2], 1e-6f);
        assertEquals(-0.25f, g[3], 1e-6f);
        Tensor p = Tensor.randn(new Generator(1), 3, 2).requiresGrad_();
        Tensor t = Tensor.rand(new Generator(2), 3, 2);
        GradCheck.check(xs -> LossFunctions.binaryCrossEntropyWithLogits(xs[0], t, null, null, Reduction.SUM), p);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new BCEWithLogitsLoss().call(x, Tensor.zeros(2)));
        assertEquals(
                "binaryCrossEntropyWithLogits: target size [2] must be the same as input size [4]", e.getMessage());
    }

    @Test
    void lossModulesNeedATarget() {
        UnsupportedOperationException e =
                assertThrows(UnsupportedOperationException.class, () -> new MSELoss().call(Tensor.ones(1)));
        assertEquals("MSELoss takes an input and a target: call(input, target)", e.getMessage());
    }
}
