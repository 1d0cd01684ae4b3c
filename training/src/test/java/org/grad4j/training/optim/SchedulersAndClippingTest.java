package org.grad4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Tensor;
import org.grad4j.training.optim.LRScheduler.ChainedScheduler;
import org.grad4j.training.optim.LRScheduler.CosineAnnealingLR;
import org.grad4j.training.optim.LRScheduler.LinearLR;
import org.grad4j.training.optim.LRScheduler.SequentialLR;
import org.grad4j.training.optim.LRScheduler.StepLR;
import org.junit.jupiter.api.Test;

class SchedulersAndClippingTest {

    private static SGD sgd(double lr) {
        return new SGD(List.of(Tensor.ones(1).requiresGrad_()), (float) lr);
    }

    private static List<Double> lrs(Optimizer opt, LRScheduler s, int epochs) {
        List<Double> out = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            out.add(opt.paramGroups().get(0).lr());
            s.step();
        }
        return out;
    }

    private static void assertLrs(double[] expected, List<Double> actual) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual.get(i), 1e-7, "epoch " + i + ": " + actual);
    }

    @Test
    void stepLR() {
        SGD opt = sgd(1.0);
        assertLrs(new double[] {1, 1, 0.5, 0.5, 0.25}, lrs(opt, new StepLR(opt, 2, 0.5), 5));
    }

    @Test
    void cosineAnnealing() {
        SGD opt = sgd(1.0);
        assertLrs(
                new double[] {
                    1,
                    0.5 * (1 + Math.cos(Math.PI / 4)) * 0.9 + 0.1,
                    0.55,
                    0.5 * (1 + Math.cos(3 * Math.PI / 4)) * 0.9 + 0.1,
                    0.1
                },
                lrs(opt, new CosineAnnealingLR(opt, 4, 0.1), 5));
    }

    @Test
    void linearWarmup() {
        SGD opt = sgd(0.3);
        assertLrs(new double[] {0.1, 0.15, 0.2, 0.25, 0.3, 0.3}, lrs(opt, new LinearLR(opt, 1.0 / 3, 1.0, 4), 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LinearLR(opt, 0, 1, 4));
        assertTrue(
                e.getMessage().startsWith("LinearLR: Starting multiplicative factor expected to be greater than 0"),
                e.getMessage());
    }

    @Test
    void warmupThenCosineWithSequentialLR() {
        SGD opt = sgd(1.0);
        LRScheduler warm = new LinearLR(opt, 0.5, 1.0, 2);
        LRScheduler cos = new CosineAnnealingLR(opt, 2);
        SequentialLR seq = new SequentialLR(opt, List.of(warm, cos), 2);
        assertLrs(new double[] {0.5, 0.75, 1.0, 0.5, 0.0}, lrs(opt, seq, 5));
        assertEquals(List.of(0.5 * (1 + Math.cos(Math.PI * 3 / 2))), seq.getLastLr());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new SequentialLR(opt, List.of(warm, cos)));
        assertEquals("SequentialLR: expects 1 milestones for 2 schedulers, got 0", e.getMessage());
        SGD other = sgd(1.0);
        e = assertThrows(IllegalArgumentException.class, () -> new SequentialLR(other, List.of(warm, cos), 2));
        assertTrue(e.getMessage().contains("same optimizer"), e.getMessage());
    }

    @Test
    void chainedSchedulerMultipliesFactors() {
        SGD opt = sgd(1.0);
        ChainedScheduler ch =
                new ChainedScheduler(opt, List.of(new LinearLR(opt, 0.5, 1.0, 2), new StepLR(opt, 2, 0.1)));
        assertLrs(new double[] {0.5, 0.75, 0.1, 0.1, 0.01}, lrs(opt, ch, 5));
    }

    @Test
    void schedulersScaleEachGroupFromItsOwnBase() {
        Tensor a = Tensor.ones(1).requiresGrad_(), b = Tensor.ones(1).requiresGrad_();
        SGD opt = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b)).set("lr", 2.0)), 1f);
        StepLR s = new StepLR(opt, 1, 0.5);
        s.step();
        assertEquals(List.of(0.5, 1.0), s.getLastLr());
        assertEquals(1.0, opt.paramGroups().get(1).lr());
        s.setLastEpoch(3);
        assertEquals(0.25, opt.paramGroups().get(1).lr());
    }

    @Test
    void clipGradNormScalesToTheMaxNormAndReturnsTheTotal() {
        Tensor a = Tensor.tensor(0f).requiresGrad_(), b = Tensor.tensor(0f, 0f).requiresGrad_();
        a.setGrad(Tensor.tensor(3f));
        b.setGrad(Tensor.tensor(0f, 4f));
        double total = ClipGrad.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(5.0, total, 1e-6);
        double coef = 1.0 / (5 + 1e-6);
        assertEquals(3 * coef, a.grad().item(), 1e-6);
        assertArrayEquals(new float[] {0f, (float) (4 * coef)}, b.grad().toFloatArray(), 1e-6f);
        // below the max norm, nothing changes
        assertEquals(1.0, ClipGrad.clipGradNorm(List.of(a, b), 10.0), 1e-5);
        assertEquals(3 * coef, a.grad().item(), 1e-6);
        // infinity norm
        a.setGrad(Tensor.tensor(-3f));
        assertEquals(3.0, ClipGrad.clipGradNorm(List.of(a, b), 1.5, Double.POSITIVE_INFINITY, false), 1e-6);
        assertEquals(-1.5, a.grad().item(), 1e-5);
        a.setGrad(Tensor.tensor(Float.NaN));
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> ClipGrad.clipGradNorm(List.of(a, b), 1, 2, true));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    }

    @Test
    void clipGradValueClamps() {
        Tensor a = Tensor.tensor(0f, 0f, 0f).requiresGrad_();
        a.setGrad(Tensor.tensor(-3f, 0.5f, 2f));
        ClipGrad.clipGradValue(List.of(a), 1.0);
        assertArrayEquals(new float[] {-1f, 0.5f, 1f}, a.grad().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> ClipGrad.clipGradValue(List.of(a), -1));
    }
}
