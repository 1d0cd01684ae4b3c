package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;

/**
 * Training end to end on the "test" device of {@link TestDeviceProvider} gives the same values as on the
 * cpu.
 */
class TrainingOnTestDeviceTest {
    private static final Device TEST = Device.of("test");

    private static Tensor onTest(float[] data, int... shape) {
        return Tensor.of(data, shape).to(TEST);
    }

    // ---- end to end on the test device ----------------------------------------------------------

    /** Two steps of a 3-4-2 MLP (tanh, cross-entropy, then mse on the logits), SGD by hand; returns the parameters. */
    private static float[][] trainMlp(Device device) {
        Generator gen = new Generator(7);
        Tensor w1 = Tensor.randn(gen, 4, 3).to(device).requiresGrad_(),
                b1 = Tensor.zeros(4).to(device).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 2, 4).to(device).requiresGrad_(),
                b2 = Tensor.zeros(2).to(device).requiresGrad_();
        Tensor x = Tensor.randn(gen, 5, 3).to(device);
        Tensor target = Tensor.indices(0, 1, 1, 0, 1).to(device);
        Tensor[] params = {w1, b1, w2, b2};
        for (int step = 0; step < 2; step++) {
            Tensor h = Torch.addmm(b1, x, w1.t()).tanh();
            Tensor logits = Torch.addmm(b2, h, w2.t());
            Tensor loss = F.crossEntropy(logits, target).add(F.mseLoss(logits.softmax(1), Tensor.zerosLike(logits)));
            assertEquals(device, loss.device());
            loss.backward();
            try (var s = GradMode.noGrad()) {
                for (Tensor p : params) {
                    assertEquals(device, p.grad().device());
                    p.sub_(p.grad(), 0.1f);
                    p.grad().zero_();
                }
            }
        }
        float[][] out = new float[params.length][];
        for (int i = 0; i < params.length; i++) out[i] = params[i].toFloatArray();
        return out;
    }

    @Test
    void anMlpTrainsOnTheTestDeviceExactlyAsOnCpu() {
        float[][] cpu = trainMlp(Device.cpu()), test = trainMlp(TEST);
        for (int i = 0; i < cpu.length; i++) assertArrayEquals(cpu[i], test[i], "parameter " + i);
    }

    @Test
    void opsWithInternalTensorsStayOnTheirDevice() {
        // backward rules that build tensors of their own (index_select, max, pooling, conv, dropout, views)
        Tensor x = onTest(new float[] {1, 5, 2, 8, 3, 4, 7, 6, 9}, 1, 1, 3, 3).requiresGrad_();
        Tensor loss = F.maxPool2d(x, 2, 1, 0)
                .sum()
                .add(F.avgPool2d(x, 2, 1, 1).sum())
                .add(x.reshape(9).indexSelect(0, Tensor.indices(0, 4).to(TEST)).sum())
                .add(x.reshape(3, 3).max(1).values().sum())
                .add(F.dropout(x, 0.5f, true, new Generator(1)).sum())
                .add(x.get(0, 0, Slice.of(0, 2)).sum());
        loss.backward();
        assertEquals(TEST, x.grad().device());
        Tensor xc = x.detach().cpu().requiresGrad_();
        F.maxPool2d(xc, 2, 1, 0)
                .sum()
                .add(F.avgPool2d(xc, 2, 1, 1).sum())
                .add(xc.reshape(9).indexSelect(0, Tensor.indices(0, 4)).sum())
                .add(xc.reshape(3, 3).max(1).values().sum())
                .add(F.dropout(xc, 0.5f, true, new Generator(1)).sum())
                .add(xc.get(0, 0, Slice.of(0, 2)).sum())
                .backward();
        assertArrayEquals(xc.grad().toFloatArray(), x.grad().toFloatArray());
        GradCheck.check(
                in -> in[0].mul(in[1]).tanh().sum(1),
                onTest(new float[] {0.1f, 0.2f, -0.3f, 0.4f}, 2, 2).requiresGrad_(),
                onTest(new float[] {1f, -1f}, 2).requiresGrad_());
    }
}
