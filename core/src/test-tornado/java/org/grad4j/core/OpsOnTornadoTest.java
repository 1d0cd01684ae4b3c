package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every op of the catalogue (the rows of the gradcheck tables) run on the JVM backend and on the
 * TornadoVM device: the forward result and the gradient of every input must agree within 1e-4
 * relative. The tables are built twice, once with each device as the default, so the inputs and the
 * constants their functions capture are equal values on the two devices.
 */
class OpsOnTornadoTest {

    private record Row(String name, Function<Tensor[], Tensor> fn, Tensor[] inputs) {}

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        Stream.of(
                        GradcheckElementwiseTest.elementwise(),
                        GradcheckElementwiseTest.powAtZeroBase(),
                        GradcheckReductionsTest.reductions(),
                        GradcheckProductsTest.products(),
                        GradcheckViewsTest.views(),
                        GradcheckViewsTest.stridedLeaves(),
                        GradcheckReductionsTest.softmaxes(),
                        GradcheckInPlaceTest.inPlace())
                .flatMap(s -> s)
                .forEach(c -> rows.add(new Row(c.name(), c.fn(), c.inputs())));
        FunctionalOpsTable.GEN.manualSeed(2024); // the same draws for both tables
        FunctionalOpsTable.ops().forEach(c -> rows.add(new Row(c.name(), c.fn(), c.inputs())));
        return rows;
    }

    private static <T> T on(Device d, Supplier<T> body) {
        Device saved = Device.getDefault();
        Device.setDefault(d);
        try {
            return body.get();
        } finally {
            Device.setDefault(saved);
        }
    }

    /** Output values, then each input's gradient for the upstream gradient cos(i). */
    private static List<float[]> run(Row r) {
        Tensor y = r.fn().apply(r.inputs());
        List<float[]> out = new ArrayList<>();
        out.add(y.toFloatArray());
        if (y.requiresGrad()) {
            float[] g = new float[y.numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) Math.cos(i);
            y.backward(Tensor.of(g, y.shape()).to(y.device()));
            for (Tensor x : r.inputs())
                out.add(x.grad() == null ? new float[0] : x.grad().toFloatArray());
        }
        return out;
    }

    @Test
    void everyOpForwardAndBackwardMatchesTheJvmBackend() {
        List<Row> cpu = on(Device.cpu(), OpsOnTornadoTest::rows);
        List<Row> tvm = on(Device.tornado(), OpsOnTornadoTest::rows);
        assertEquals(cpu.size(), tvm.size());
        assertTrue(cpu.size() > 300, "the whole catalogue: " + cpu.size() + " rows");
        int compared = 0;
        for (int i = 0; i < cpu.size(); i++) {
            Row c = cpu.get(i), t = tvm.get(i);
            for (Tensor x : t.inputs()) assertEquals(Device.tornado(), x.device(), t.name());
            List<float[]> expected = on(Device.cpu(), () -> run(c));
            List<float[]> actual = on(Device.tornado(), () -> run(t));
            assertEquals(expected.size(), actual.size(), c.name());
            for (int k = 0; k < expected.size(); k++) {
                String what = c.name() + (k == 0 ? " forward" : " grad of input " + (k - 1));
                assertClose(expected.get(k), actual.get(k), what);
                compared++;
            }
        }
        assertTrue(compared > cpu.size());
        System.out.printf(
                "OpsOnTornadoTest: %d rows, %d forward results and gradients equal to the JVM backend's%n",
                cpu.size(), compared);
    }

    static void assertClose(float[] e, float[] a, String what) {
        assertEquals(e.length, a.length, what + ": length");
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isInfinite(e[i])) {
                assertArrayEquals(new float[] {e[i]}, new float[] {a[i]}, what + " [" + i + "]");
                continue;
            }
            assertEquals(e[i], a[i], Math.max(1e-5f, 1e-4f * Math.abs(e[i])), what + " [" + i + "]");
        }
    }
}
