package org.grad4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.grad4j.core.Device;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.TransformerEncoder;
import org.grad4j.training.nn.TransformerEncoderLayer;
import org.junit.jupiter.api.Test;

/** A transformer encoder layer (attention with masks, GELU MLP, LayerNorm) on the TornadoVM device tracks the JVM backend. */
class TransformerOnTornadoTest {

    @Test
    void encoderLayerForwardAndBackwardMatchTheJvmBackend() {
        Tensor x = Tensor.randn(new Generator(1), 2, 5, 8);
        Tensor mask = TransformerEncoder.generateSquareSubsequentMask(5);
        Tensor pad = Tensor.tensor(0, 0, 0, 0, 1, 0, 0, 0, 0, 0).view(2, 5).ne(0f);
        Result cpu = run(Device.cpu(), x, mask, pad), tvm = run(Device.tornado(), x, mask, pad);
        assertClose(cpu.output, tvm.output, "output");
        for (int i = 0; i < cpu.grads.size(); i++) assertClose(cpu.grads.get(i), tvm.grads.get(i), "grad " + i);
    }

    private record Result(float[] output, List<float[]> grads) {}

    private static Result run(Device device, Tensor x, Tensor mask, Tensor pad) {
        var layer = new TransformerEncoderLayer(8, 2, 16, 0.1f, "gelu", 1e-5f, true, true, true, new Generator(2));
        layer.eval();
        layer.to(device);
        Tensor out = layer.forward(x.to(device), mask.to(device), pad.to(device), true);
        out.pow(2).sum().backward();
        return new Result(
                out.toFloatArray(),
                layer.parameters().stream().map(p -> p.grad().toFloatArray()).toList());
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 1e-4 * Math.max(1, Math.abs(want[i])), what + " element " + i);
    }
}
