package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grad4j.core.Device;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.optim.Adam;
import org.grad4j.training.optim.Optimizer;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;

/** {@code model.to(device)} with the "test" device of core's test jar (JVM kernels, buffers of their own). */
class ModuleToDeviceTest {
    private static final Device TEST = Device.of("test");

    private static Sequential mlp() {
        Generator gen = new Generator(3);
        return new Sequential(
                new Linear(3, 4, true, gen), new BatchNorm.BatchNorm1d(4), new Tanh(), new Linear(4, 2, true, gen));
    }

    @Test
    void toMovesParametersBuffersAndGradsKeepingIdentity() {
        Sequential m = mlp();
        List<Tensor> params = m.parameters();
        Map<String, Tensor> buffers = m.namedBuffers();
        float[][] before = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) before[i] = params.get(i).toFloatArray();
        Tensor x = Tensor.randn(new Generator(1), 5, 3);
        F.crossEntropy(m.call(x), Tensor.indices(0, 1, 1, 0, 1)).backward();
        float[] grad0 = params.get(0).grad().toFloatArray();
        float[] runningMean = buffers.get("1.running_mean").toFloatArray();

        assertSame(m, m.to(TEST));
        List<Tensor> after = m.parameters();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = after.get(i);
            assertSame(params.get(i), p);
            assertEquals(TEST, p.device());
            assertTrue(p.isLeaf() && p.requiresGrad());
            assertArrayEquals(before[i], p.toFloatArray());
            assertEquals(TEST, p.grad().device());
        }
        assertArrayEquals(grad0, params.get(0).grad().toFloatArray());
        for (var e : m.namedBuffers().entrySet()) {
            assertSame(buffers.get(e.getKey()), e.getValue());
            assertEquals(TEST, e.getValue().device(), e.getKey());
        }
        assertArrayEquals(runningMean, buffers.get("1.running_mean").toFloatArray());
        assertEquals(1f, buffers.get("1.num_batches_tracked").item());

        // the model now needs its input on the test device
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.call(x));
        assertTrue(
                e.getMessage()
                        .startsWith("Expected all tensors to be on the same device, but found at least two devices"),
                e.getMessage());
        assertEquals(TEST, m.call(x.to(TEST)).device());

        m.to("cpu");
        for (Tensor p : m.parameters()) assertEquals(Device.cpu(), p.device());
        assertEquals(Device.cpu(), buffers.get("1.running_var").device());
    }

    /** Three training steps; the model is moved to {@code device} after the optimizer is built. */
    private static List<float[]> train(Device device, Function<List<Tensor>, Optimizer> optim) {
        Sequential m = mlp();
        Optimizer opt = optim.apply(m.parameters());
        m.to(device);
        Generator gen = new Generator(9);
        for (int step = 0; step < 3; step++) {
            Tensor x = Tensor.randn(gen, 6, 3).to(device);
            Tensor y = Tensor.indices(0, 1, 1, 0, 1, 0).to(device);
            opt.zeroGrad();
            Tensor loss = F.crossEntropy(m.call(x), y);
            assertEquals(device, loss.device());
            loss.backward();
            opt.step();
        }
        List<float[]> out = new ArrayList<>();
        for (Tensor t : m.stateDict().values()) {
            assertEquals(device, t.device());
            out.add(t.toFloatArray());
        }
        return out;
    }

    @Test
    void trainingOnTheTestDeviceMatchesCpuExactly() {
        List<Function<List<Tensor>, Optimizer>> optimizers =
                List.of(ps -> new SGD(ps, 0.1f, 0.9f, 0f, 1e-4f, false), ps -> new Adam(ps, 0.01));
        for (var optim : optimizers) {
            List<float[]> cpu = train(Device.cpu(), optim), test = train(TEST, optim);
            assertEquals(cpu.size(), test.size());
            for (int i = 0; i < cpu.size(); i++) assertArrayEquals(cpu.get(i), test.get(i), "state entry " + i);
        }
    }

    @Test
    void optimizerStateFollowsTheParametersDevice() {
        Linear l = new Linear(2, 2);
        l.to(TEST);
        Adam adam = new Adam(l.parameters(), 0.1);
        l.call(Tensor.ones(1, 2).to(TEST)).sum().backward();
        adam.step();
        for (var st : adam.stateDict().state().values()) {
            assertEquals(TEST, st.get("exp_avg").device());
            assertEquals(TEST, st.get("exp_avg_sq").device());
        }
        // a checkpoint made on cpu loads onto the model's device
        Linear cpu = new Linear(2, 2);
        l.loadStateDict(cpu.stateDict());
        assertEquals(TEST, l.weight.device());
        assertArrayEquals(cpu.weight.toFloatArray(), l.weight.toFloatArray());
        l.zeroGrad();
        assertNull(l.weight.grad());
    }
}
