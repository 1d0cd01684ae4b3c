package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Ops whose operands sit on different devices fail with PyTorch's message, naming both devices (the
 * "test" device of {@link TestDeviceProvider}).
 */
class MixedDevicesTest {
    private static final Device TEST = Device.of("test");

    private static final String MIXED =
            "Expected all tensors to be on the same device, but found at least two devices, ";

    private static IllegalArgumentException mixed(Executable call, String first, String second) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(MIXED + first + " and " + second + "!", e.getMessage());
        return e;
    }

    private static Tensor onTest(float[] data, int... shape) {
        return Tensor.of(data, shape).to(TEST);
    }

    // ---- mixed devices --------------------------------------------------------------------------

    @Test
    void pointwiseAndWhereRefuseMixedDevices() {
        Tensor a = onTest(new float[] {1, 2}, 2), b = Tensor.of(new float[] {3, 4}, 2);
        mixed(() -> a.add(b), "test:0", "cpu");
        mixed(() -> b.add(a), "cpu", "test:0");
        mixed(() -> a.mul(b), "test:0", "cpu");
        mixed(() -> a.sub(b, 2f), "test:0", "cpu");
        mixed(() -> a.div(b), "test:0", "cpu");
        mixed(() -> a.pow(b), "test:0", "cpu");
        mixed(() -> a.maximum(b), "test:0", "cpu");
        mixed(() -> a.lt(b), "test:0", "cpu");
        mixed(() -> Torch.where(b.gt(2f), a, a), "cpu", "test:0");
        mixed(() -> Torch.where(a.gt(2f), a, b), "test:0", "cpu");
    }

    @Test
    void matmulFamilyRefusesMixedDevices() {
        Tensor a = onTest(new float[] {1, 2, 3, 4}, 2, 2), b = Tensor.eye(2);
        mixed(() -> a.mm(b), "test:0", "cpu");
        mixed(() -> b.matmul(a), "cpu", "test:0");
        mixed(() -> a.unsqueeze(0).bmm(b.unsqueeze(0)), "test:0", "cpu");
        mixed(() -> a.mv(Tensor.ones(2)), "test:0", "cpu");
        mixed(() -> a.select(0, 0).dot(Tensor.ones(2)), "test:0", "cpu");
        mixed(() -> Torch.addmm(Tensor.zeros(2), a, a), "cpu", "test:0");
        mixed(() -> Torch.addmm(a, a, b), "test:0", "cpu");
    }

    @Test
    void catStackIndexingAndInPlaceRefuseMixedDevices() {
        Tensor a = onTest(new float[] {1, 2, 3, 4}, 2, 2), b = Tensor.ones(2, 2);
        mixed(() -> Torch.cat(0, a, b), "test:0", "cpu");
        mixed(() -> Torch.stack(0, b, a), "cpu", "test:0");
        mixed(() -> a.indexSelect(0, Tensor.indices(1)), "test:0", "cpu");
        mixed(() -> a.get(Tensor.indices(1)), "test:0", "cpu");
        mixed(() -> b.indexAdd(0, Tensor.indices(1), a.narrow(0, 0, 1)), "cpu", "test:0");
        mixed(() -> b.copy_(a), "cpu", "test:0");
        mixed(() -> a.add_(b), "test:0", "cpu");
        mixed(() -> b.set(a.get(0, 0), 0, 0), "cpu", "test:0");
        assertValues(b, 1, 1, 1, 1); // nothing half-written
        Tensor leaf = Tensor.ones(2, 2).requiresGrad_();
        Tensor h = leaf.mul(2f);
        mixed(() -> h.mul_(a), "cpu", "test:0"); // recorded in-place too
        // the same ops on one device work
        assertValues(Torch.cat(0, a, b.to(TEST)), 1, 2, 3, 4, 1, 1, 1, 1);
        assertValues(a.indexSelect(0, Tensor.indices(1).to(TEST)), 3, 4);
    }

    @Test
    void lossesConvAndEmbeddingRefuseMixedDevices() {
        Tensor logits = onTest(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        mixed(() -> F.crossEntropy(logits, Tensor.indices(0, 2)), "test:0", "cpu");
        mixed(() -> F.nllLoss(logits.logSoftmax(1), Tensor.indices(0, 2)), "test:0", "cpu");
        mixed(() -> F.mseLoss(logits, Tensor.zeros(2, 3)), "test:0", "cpu");
        mixed(() -> F.binaryCrossEntropyWithLogits(logits, Tensor.zeros(2, 3)), "test:0", "cpu");
        Tensor img = Tensor.ones(1, 1, 3, 3), k = onTest(new float[] {1, 0, 0, 1}, 1, 1, 2, 2);
        mixed(() -> F.conv2d(img, k), "cpu", "test:0");
        mixed(() -> F.conv2d(img.to(TEST), k, Tensor.zeros(1)), "test:0", "cpu");
        mixed(() -> F.embedding(Tensor.indices(0, 1), logits), "cpu", "test:0");
        // on one device they work
        assertEquals(TEST, F.crossEntropy(logits, Tensor.indices(0, 2).to(TEST)).device());
        assertValues(F.conv2d(img.to(TEST), k), 2, 2, 2, 2);
        assertValues(F.embedding(Tensor.indices(1).to(TEST), logits), 4, 5, 6);
    }

    @Test
    void backwardAndGradientsRefuseMixedDevices() {
        Tensor x = onTest(new float[] {1, 2}, 2).requiresGrad_();
        Tensor y = x.mul(2f);
        mixed(() -> y.backward(Tensor.ones(2)), "test:0", "cpu");
        y.backward(Tensor.ones(2).to(TEST));
        assertValues(x.grad(), 2, 2);

        // a hook that moves the gradient elsewhere cannot make the leaf's grad live on another device
        Tensor z = Tensor.ones(2).requiresGrad_();
        z.registerHook(g -> g.to(TEST));
        mixed(() -> z.mul(3f).sum().backward(), "cpu", "test:0");
        assertNull(z.grad());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Tensor.ones(2)));
        assertTrue(e.getMessage().contains("cpu") && e.getMessage().contains("test:0"), e.getMessage());
    }
}
