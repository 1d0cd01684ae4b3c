package org.grad4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SGDTest {

    /** SPEC N: the loop with SGD + zeroGrad equals the hand-written loop to the last bit. */
    @ParameterizedTest
    @ValueSource(longs = {0, 7, 99})
    void regressionLoopMatchesHandWrittenBitForBit(long seed) {
        float[] hand = regression(seed, false);
        float[] sgd = regression(seed, true);
        assertEquals(Float.floatToRawIntBits(hand[0]), Float.floatToRawIntBits(sgd[0]), "w");
        assertEquals(Float.floatToRawIntBits(hand[1]), Float.floatToRawIntBits(sgd[1]), "b");
    }

    private static float[] regression(long seed, boolean useOptimizer) {
        Generator gen = new Generator(seed);
        Tensor x = Tensor.linspace(-1, 1, 100).view(100, 1);
        Tensor y = x.pow(2).mul(3).add(2).add(Tensor.rand(gen, 100, 1).mul(0.2f));
        Tensor w = Tensor.randn(gen, 1, 1).requiresGrad_();
        Tensor b = Tensor.zeros(1, 1).requiresGrad_();
        SGD opt = new SGD(List.of(w, b), 0.001f);
        for (int i = 0; i < 800; i++) {
            Tensor loss = y.sub(w.mul(x.pow(2)).add(b)).pow(2).sum();
            loss.backward();
            if (useOptimizer) {
                opt.step();
                opt.zeroGrad();
            } else {
                try (var s = GradMode.noGrad()) {
                    w.sub_(w.grad().mul(0.001f));
                    b.sub_(b.grad().mul(0.001f));
                }
                w.grad().zero_();
                b.grad().zero_();
            }
        }
        return new float[] {w.item(), b.item()};
    }

    @Test
    void momentumAndWeightDecayFollowPyTorchsFormula() {
        Tensor p = Tensor.tensor(1f, -2f).requiresGrad_();
        SGD opt = new SGD(List.of(p), 0.1f, 0.9f, 0f, 0.01f, false);
        // step 1: g = [2, 3] + 0.01*p = [2.01, 2.98]; buf = g; p = p - 0.1*buf
        p.setGrad(Tensor.tensor(2f, 3f));
        opt.step();
        assertArrayEquals(new float[] {1f - 0.1f * 2.01f, -2f - 0.1f * 2.98f}, p.toFloatArray(), 1e-6f);
        // step 2: g = [2, 3] + 0.01*p; buf = 0.9*buf + g
        float[] p1 = p.toFloatArray();
        opt.step();
        float b0 = 0.9f * 2.01f + (2f + 0.01f * p1[0]);
        float b1 = 0.9f * 2.98f + (3f + 0.01f * p1[1]);
        assertArrayEquals(new float[] {p1[0] - 0.1f * b0, p1[1] - 0.1f * b1}, p.toFloatArray(), 1e-6f);
    }

    @Test
    void nesterovUsesTheLookAheadGradient() {
        Tensor p = Tensor.tensor(1f).requiresGrad_();
        SGD opt = new SGD(List.of(p), 0.5f, 0.5f, 0f, 0f, true);
        p.setGrad(Tensor.tensor(2f));
        opt.step(); // buf = 2; g = 2 + 0.5*2 = 3; p = 1 - 1.5
        assertArrayEquals(new float[] {-0.5f}, p.toFloatArray(), 1e-6f);
    }

    @Test
    void zeroGradSetsToNoneOrZeroes() {
        Tensor p = Tensor.tensor(1f, 2f).requiresGrad_();
        SGD opt = new SGD(List.of(p), 0.1f);
        p.mul(3).sum().backward();
        opt.zeroGrad(false);
        assertArrayEquals(new float[] {0f, 0f}, p.grad().toFloatArray());
        opt.zeroGrad();
        assertNull(p.grad());
    }

    @Test
    void rejectsBadArguments() {
        Tensor p = Tensor.tensor(1f).requiresGrad_();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), -1f));
        assertEquals("SGD: invalid learning rate: -1.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p.mul(2)), 0.1f));
    }
}
