package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.function.Supplier;
import org.grad4j.core.ops.FusedOps;
import org.grad4j.kernels.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Devices (PyTorch's {@code torch.device}, {@code x.to(device)}, {@code set_default_device}) with the
 * "test" device of {@link TestDeviceProvider}: the JVM kernels behind buffers of another class.
 */
class DeviceTest {
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

    // ---- Device values ------------------------------------------------------------------------

    @Test
    void parsingPrintingAndEquality() {
        assertSame(Device.cpu(), Device.of("cpu"));
        assertEquals(Device.cpu(), Device.of("cpu:0"));
        assertEquals("cpu", Device.cpu().toString());
        assertEquals("cpu", Device.cpu().type());
        assertEquals(0, Device.cpu().index());

        Device t = Device.of("test");
        assertEquals("test", t.type());
        assertEquals(0, t.index());
        assertEquals("test:0", t.toString());
        assertEquals(t, Device.of("test:0"));
        assertEquals(t.hashCode(), Device.of(" test:0 ").hashCode());
        assertNotEquals(t, Device.cpu());
        Device t1 = Device.of("test:1");
        assertEquals(1, t1.index());
        assertEquals("test:1", t1.toString());
        assertNotEquals(t, t1);

        for (String bad : new String[] {"", ":0", "test:", "test:x", "test:-1", "te st", "cpu:1"}) {
            assertThrows(IllegalArgumentException.class, () -> Device.of(bad), bad);
        }
        IllegalStateException one =
                assertThrows(IllegalStateException.class, () -> Tensor.ones(2).to(t1));
        assertTrue(one.getMessage().contains("test:0"), one.getMessage());
    }

    @Test
    void tornadoWithoutItsBackendSaysHowToGetIt() {
        // the default build has no TornadoVM backend; under the tornado profile it is there
        org.junit.jupiter.api.Assumptions.assumeFalse(
                Device.isAvailable("tornado"), "the TornadoVM backend is built in");
        assertTrue(Device.isAvailable("test"));
        assertTrue(Device.isAvailable("cpu"));
        for (Supplier<Device> named : List.<Supplier<Device>>of(
                () -> Device.of("tornado"), Device::tornado, Device::gpu, () -> Device.of("tornado:0"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, named::get);
            String msg = e.getMessage();
            for (String f : new String[] {
                "TornadoVM is not available",
                "profile 'tornado'",
                "TORNADOVM_HOME",
                "@$TORNADOVM_HOME/tornado-argfile",
                "Run on a GPU with TornadoVM"
            }) {
                assertTrue(msg.contains(f), () -> "message should contain \"" + f + "\" but was:\n" + msg);
            }
        }
        IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> Device.of("nosuch"));
        assertTrue(
                unknown.getMessage().contains("'nosuch'")
                        && unknown.getMessage().contains("test"),
                unknown.getMessage());
    }

    @Test
    void providerFailureIsPropagatedWithItsMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.of("broken"));
        assertEquals(FailingDeviceProvider.MESSAGE, e.getMessage());
        assertFalse(Device.isAvailable("broken"));
    }

    @Test
    void theTestBackendDelegatesEveryBackendMethod() throws Exception {
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) continue;
            Method impl = TestDeviceProvider.TestBackend.class.getMethod(m.getName(), m.getParameterTypes());
            assertEquals(TestDeviceProvider.TestBackend.class, impl.getDeclaringClass(), "not overridden: " + m);
        }
    }

    // ---- to / cpu -------------------------------------------------------------------------------

    @Test
    void printingNamesTheDeviceWhenItIsNotTheDefault() {
        Tensor x = Tensor.tensor(1f, 2f).to(TEST);
        assertEquals("tensor([1., 2.], device='test:0')", x.toString());
        assertEquals(
                "tensor([1., 2.], device='test:0', requires_grad=True)",
                x.requiresGrad_().toString());
        assertEquals(
                "tensor([], device='test:0', size=(0, 2))",
                Tensor.zeros(0, 2).to(TEST).toString());
        Device saved = Device.getDefault();
        Device.setDefault(TEST);
        try {
            assertEquals("tensor([1., 2.])", Tensor.tensor(1f, 2f).toString());
            assertEquals(
                    "tensor([1., 2.], device='cpu')",
                    Tensor.tensor(1f, 2f).cpu().toString());
        } finally {
            Device.setDefault(saved);
        }
    }

    @Test
    void toMovesValuesAndKeepsShapeAndDType() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(Device.cpu(), x.device());
        Tensor y = x.to(TEST);
        assertEquals(TEST, y.device());
        assertNotSame(x, y);
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertValues(y, 1, 2, 3, 4, 5, 6);
        assertSame(y, y.to(TEST));
        assertSame(y, y.to("test:0"));
        assertSame(x, x.cpu());
        Tensor back = y.cpu();
        assertEquals(Device.cpu(), back.device());
        assertValues(back, 1, 2, 3, 4, 5, 6);

        // a strided view moves as its logical values, contiguous on the target
        Tensor t = x.t().to(TEST);
        assertTrue(t.isContiguous());
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertValues(t, 1, 4, 2, 5, 3, 6);
        assertValues(x.select(1, 2).to(TEST), 3, 6);

        Tensor idx = Tensor.indices(2, 0).to("test");
        assertEquals(DType.INT64, idx.dtype());
        assertEquals(TEST, idx.device());
        assertEquals(0, Tensor.zeros(0, 3).to(TEST).numel());
        assertEquals(7f, Tensor.scalar(7f).to(TEST).item());
    }

    @Test
    void toCopyBackwardSendsTheGradientBackToTheSourceDevice() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad_();
        Tensor y = x.to(TEST);
        assertEquals("ToCopyBackward0", y.gradFn().name());
        assertFalse(y.isLeaf());
        y.mul(y).sum().backward();
        assertEquals(Device.cpu(), x.grad().device());
        assertValues(x.grad(), 2, 4, 6);

        // and from the test device to cpu: the leaf's gradient lands on the test device
        Tensor w = onTest(new float[] {1, -2}, 2).requiresGrad_();
        assertTrue(w.isLeaf());
        Tensor loss = w.cpu().mul(3f).sum();
        assertEquals("ToCopyBackward0", w.cpu().gradFn().name());
        loss.backward();
        assertEquals(TEST, w.grad().device());
        assertValues(w.grad(), 3, 3);
        w.cpu().mul(w.cpu()).sum().backward(); // accumulates on the test device
        assertEquals(TEST, w.grad().device());
        assertValues(w.grad(), 5, -1);

        try (var s = GradMode.noGrad()) {
            assertNull(x.to(TEST).gradFn()); // not recorded in a no-grad scope
        }
    }

    @Test
    void toIsTwiceDifferentiable() {
        Tensor x = Tensor.scalar(3f).requiresGrad_();
        Tensor y = x.to(TEST).pow(3f).cpu();
        Tensor g = Autograd.grad(new Tensor[] {y}, new Tensor[] {x}, null, true, true, false)[0];
        assertEquals(27f, g.item(), 1e-5f);
        assertEquals(Device.cpu(), g.device());
        assertEquals(
                18f, Autograd.grad(new Tensor[] {g}, new Tensor[] {x}, null, false, false, false)[0].item(), 1e-5f);
    }

    // ---- factories ------------------------------------------------------------------------------

    @Test
    void theDefaultDeviceDecidesWhereFactoriesAllocate() {
        assertEquals(Device.cpu(), Device.getDefault());
        try {
            Device.setDefault(TEST);
            assertEquals(TEST, Device.getDefault());
            Tensor[] made = {
                Tensor.zeros(2),
                Tensor.ones(2),
                Tensor.full(3f, 2),
                Tensor.scalar(1f),
                Tensor.tensor(1f, 2f),
                Tensor.tensor(new float[][] {{1, 2}}),
                Tensor.of(new float[] {1, 2}, 2),
                Tensor.indices(0, 1),
                Tensor.arange(3),
                Tensor.linspace(0, 1, 3),
                Tensor.rand(2),
                Tensor.randn(2),
                Tensor.eye(2),
                Torch.zeros(1),
                Torch.ones(1),
                Torch.tensor(1f)
            };
            for (Tensor t : made) assertEquals(TEST, t.device(), t::toString);
            assertValues(Tensor.eye(2), 1, 0, 0, 1);
            assertValues(Tensor.arange(3), 0, 1, 2);
            // ops on default-device tensors stay there, backward included
            Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad_();
            a.mul(a).sum().backward();
            assertEquals(TEST, a.grad().device());
            assertValues(a.grad(), 2, 4);
        } finally {
            Device.setDefault(Device.cpu());
        }
        assertEquals(Device.cpu(), Tensor.zeros(2).device());
    }

    @Test
    void likeFactoriesFollowTheirInputsDevice() {
        Tensor t = onTest(new float[] {1, 2, 3, 4}, 2, 2);
        for (Tensor made : new Tensor[] {Tensor.zerosLike(t), Tensor.onesLike(t), Tensor.fullLike(t, 5f)}) {
            assertEquals(TEST, made.device());
            assertArrayEquals(new int[] {2, 2}, made.shape());
        }
        assertValues(Tensor.fullLike(t, 5f), 5, 5, 5, 5);
        assertValues(Tensor.onesLike(t), 1, 1, 1, 1);
        try {
            Device.setDefault(TEST);
            assertEquals(
                    Device.cpu(),
                    Tensor.zerosLike(Tensor.of(new float[] {1}, 1).to(Device.cpu()))
                            .device());
        } finally {
            Device.setDefault(Device.cpu());
        }
    }

    // ---- setData ---------------------------------------------------------------------------------

    @Test
    void setDataReplacesStorageButNotHistory() {
        Tensor p = Tensor.of(new float[] {1, 2}, 2).requiresGrad_();
        p.mul(3f).sum().backward();
        Tensor grad = p.grad();
        int version = p.version();
        p.setData(Tensor.of(new float[] {5, 6, 7, 8}, 2, 2).to(TEST));
        assertEquals(TEST, p.device());
        assertArrayEquals(new int[] {2, 2}, p.shape());
        assertValues(p, 5, 6, 7, 8);
        assertTrue(p.isLeaf());
        assertTrue(p.requiresGrad());
        assertSame(grad, p.grad());
        assertEquals(version, p.version());
        Tensor shared = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        Tensor q = Tensor.zeros(4);
        q.setData(shared);
        shared.data().mul_(2f);
        assertValues(q, 2, 4, 6, 8); // shares the storage, as x.data = y does
        assertThrows(IllegalStateException.class, () -> q.view(2, 2).setData(Tensor.zeros(2, 2)));
        assertThrows(IllegalArgumentException.class, () -> q.setData(Tensor.indices(1, 2, 3, 4)));
    }

    @Test
    void fusedAdamRefusesMixedDevices() {
        Tensor p = Tensor.ones(2), g = Tensor.ones(2).to(TEST), m = Tensor.zeros(2), v = Tensor.zeros(2);
        mixed(() -> FusedOps.adam_(p, g, m, v, 0.9f, 0.999f, 0.1f, 1f, 1e-8f), "cpu", "test:0");
        assertFalse(FusedOps.canFuse(p, g, m, v));
        assertNotNull(p);
    }
}
