package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;

class ModuleTest {

    @Test
    void linearInitialisesWithinPyTorchsBoundAndIsSeeded() {
        Linear a = new Linear(784, 256, true, new Generator(1));
        Linear b = new Linear(784, 256, true, new Generator(1));
        float bound = (float) (1 / Math.sqrt(784));
        float max = 0;
        for (float v : a.weight.toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.95f * bound, "max |w| = " + max + ", bound " + bound);
        for (float v : a.bias.toFloatArray()) assertTrue(Math.abs(v) <= bound);
        assertArrayEquals(a.weight.toFloatArray(), b.weight.toFloatArray());
        assertArrayEquals(new int[] {256, 784}, a.weight.shape());
        assertTrue(a.weight.isLeaf() && a.weight.requiresGrad());
        // the mean of U(-b, b) is 0 and its variance b²/3
        float[] w = a.weight.toFloatArray();
        double mean = 0, var = 0;
        for (float v : w) mean += v;
        mean /= w.length;
        for (float v : w) var += (v - mean) * (v - mean);
        var /= w.length;
        assertEquals(0, mean, 1e-3);
        assertEquals(bound * bound / 3, var, 0.02 * bound * bound / 3);
    }

    @Test
    void linearComputesXWtPlusB() {
        Linear l = new Linear(2, 2, true, new Generator(0));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", Tensor.tensor(new float[][] {{1, 2}, {3, 4}}));
        sd.put("bias", Tensor.tensor(10, 20));
        l.loadStateDict(sd);
        Tensor y = l.call(Tensor.tensor(new float[][] {{1, 1}, {0, 2}}));
        assertArrayEquals(new float[] {13, 27, 14, 28}, y.toFloatArray());
        assertEquals("AddmmBackward0", y.gradFn().name());
        // 1-d and 3-d inputs go through matmul
        assertArrayEquals(new float[] {13, 27}, l.call(Tensor.tensor(1, 1)).toFloatArray());
        assertArrayEquals(new int[] {2, 1, 2}, l.call(Tensor.ones(2, 1, 2)).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.call(Tensor.ones(4, 3)));
        assertTrue(e.getMessage().contains("[4, 3]") && e.getMessage().contains("2x2"), e.getMessage());
    }

    /** SPEC M with modules: Linear(3,2) → tanh → Linear(2,1); every gradient equals finite differences. */
    @Test
    void specExampleMWithModules() {
        Sequential net = new Sequential(
                new Linear(3, 2, true, new Generator(5)), new Tanh(), new Linear(2, 1, true, new Generator(6)));
        Tensor input = Tensor.randn(new Generator(7), 1, 3);
        Tensor out = net.call(input);
        out.backward();
        for (Tensor p : net.parameters()) assertNotNull(p.grad());
        assertNull(input.grad());
        List<Tensor> ps = net.parameters();
        GradCheck.check(
                xs -> {
                    Tensor h = input.matmul(xs[0].t()).add(xs[1]).tanh();
                    return h.matmul(xs[2].t()).add(xs[3]);
                },
                ps.get(0),
                ps.get(1),
                ps.get(2),
                ps.get(3));
    }

    @Test
    void parametersAreFoundByRegistrationWithDottedNames() {
        Sequential net = new Sequential(new Linear(4, 3), new ReLU(), new Sequential(new Linear(3, 2), new Sigmoid()));
        assertEquals(
                List.of("0.weight", "0.bias", "2.0.weight", "2.0.bias"),
                new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(4, net.parameters().size());
        assertEquals(
                List.of("", "0", "1", "2", "2.0", "2.1"),
                new ArrayList<>(net.namedModules().keySet()));
        // a shared layer counts once
        Linear shared = new Linear(2, 2);
        Sequential twice = new Sequential(shared, shared);
        assertEquals(
                List.of("0.weight", "0.bias"),
                new ArrayList<>(twice.namedParameters().keySet()));
    }

    @Test
    void registrationRejectsBadNamesAndNonLeaves() {
        class Bad extends Module {
            void add(String name, Tensor t) {
                registerParameter(name, t);
            }
        }
        Bad m = new Bad();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> m.add("a.b", Parameter.of(Tensor.ones(1))));
        assertTrue(e.getMessage().contains("can't be empty or contain"), e.getMessage());
        Tensor leaf = Parameter.of(Tensor.ones(1));
        e = assertThrows(IllegalArgumentException.class, () -> m.add("w", leaf.mul(2)));
        assertTrue(e.getMessage().contains("MulBackward0") && e.getMessage().contains("Parameter.of"), e.getMessage());
        m.add("w", leaf);
        e = assertThrows(IllegalArgumentException.class, () -> m.add("w", leaf));
        assertTrue(e.getMessage().contains("'w' already exists"), e.getMessage());
        UnsupportedOperationException u =
                assertThrows(UnsupportedOperationException.class, () -> m.call(Tensor.ones(1)));
        assertEquals("Module [Bad] is missing the required \"forward\" function", u.getMessage());
    }

    @Test
    void trainAndEvalReachEverySubmodule() {
        Sequential net = new Sequential(new Linear(2, 2), new Sequential(new ReLU()));
        assertTrue(net.isTraining());
        net.eval();
        for (Module m : net.namedModules().values()) assertFalse(m.isTraining());
        net.train();
        for (Module m : net.namedModules().values()) assertTrue(m.isTraining());
    }

    @Test
    void stateDictRoundTripCopiesInPlace() {
        Sequential a = new Sequential(
                new Linear(3, 2, true, new Generator(1)), new ReLU(), new Linear(2, 1, true, new Generator(2)));
        Sequential b = new Sequential(
                new Linear(3, 2, true, new Generator(3)), new ReLU(), new Linear(2, 1, true, new Generator(4)));
        Tensor bWeight = b.parameters().get(0);
        b.loadStateDict(a.stateDict());
        assertSame(bWeight, b.parameters().get(0), "load keeps the parameter objects (optimizers hold them)");
        for (var e : a.stateDict().entrySet()) {
            assertArrayEquals(
                    e.getValue().toFloatArray(), b.stateDict().get(e.getKey()).toFloatArray(), e.getKey());
        }
        assertTrue(bWeight.isLeaf() && bWeight.requiresGrad());
    }

    @Test
    void loadStateDictNamesMissingUnexpectedAndMismatchedKeysAndCopiesNothing() {
        Linear l = new Linear(3, 2, true, new Generator(1));
        float[] before = l.weight.toFloatArray();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", Tensor.zeros(2, 3));
        sd.put("extra", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.loadStateDict(sd));
        assertTrue(e.getMessage().contains("Missing key(s) in state_dict: [bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: [extra]"), e.getMessage());
        assertArrayEquals(before, l.weight.toFloatArray(), "nothing copied when a check fails");
        l.loadStateDict(sd, false);
        assertArrayEquals(new float[6], l.weight.toFloatArray());
        sd.put("weight", Tensor.zeros(3, 2));
        e = assertThrows(IllegalArgumentException.class, () -> l.loadStateDict(sd, false));
        assertTrue(
                e.getMessage()
                        .contains("size mismatch for weight: copying a param with shape [3, 2] from checkpoint, "
                                + "the shape in current model is [2, 3]"),
                e.getMessage());
    }

    @Test
    void forwardPreHookAndForwardHookMayReplaceValuesAndCanBeRemoved() {
        Identity id = new Identity();
        List<String> calls = new ArrayList<>();
        var pre = id.registerForwardPreHook((m, x) -> {
            calls.add("pre");
            return x.mul(2);
        });
        var post = id.registerForwardHook((m, x, y) -> {
            calls.add("post");
            return y.add(1);
        });
        assertArrayEquals(new float[] {7}, id.call(Tensor.tensor(3)).toFloatArray());
        assertEquals(List.of("pre", "post"), calls);
        pre.remove();
        post.remove();
        assertArrayEquals(new float[] {3}, id.call(Tensor.tensor(3)).toFloatArray());
        assertArrayEquals(new float[] {3}, id.forward(Tensor.tensor(3)).toFloatArray());
    }

    @Test
    void fullBackwardHookSeesGradInputAndGradOutputAndMayReplaceGradInput() {
        Linear l = new Linear(2, 1, false, new Generator(0));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", Tensor.tensor(new float[][] {{3, 5}}));
        l.loadStateDict(sd);
        Tensor[] seen = new Tensor[2];
        l.registerFullBackwardHook((m, gin, gout) -> {
            seen[0] = gin;
            seen[1] = gout;
            return gin == null ? null : gin.mul(10);
        });
        Tensor x = Tensor.tensor(new float[][] {{1, 2}}).requiresGrad_();
        Tensor other = x.sum(); // another use of x: the hook must see only the gradient through the module
        l.call(x).mul(2).sum().add(other).backward();
        assertArrayEquals(new float[] {2}, seen[1].toFloatArray());
        assertArrayEquals(new float[] {6, 10}, seen[0].toFloatArray());
        assertArrayEquals(new float[] {61, 101}, x.grad().toFloatArray(), "replaced gradInput plus the other path's 1");
        assertArrayEquals(new float[] {2, 4}, l.weight.grad().toFloatArray());
        // an input that needs no grad: the hook still runs, with gradInput null
        seen[0] = Tensor.ones(1);
        l.call(Tensor.tensor(new float[][] {{1, 1}})).sum().backward();
        assertNull(seen[0]);
        assertArrayEquals(new float[] {1}, seen[1].toFloatArray());
    }

    @Test
    void activationsAndFlatten() {
        Tensor x = Tensor.tensor(new float[][] {{-1, 0, 2}});
        assertArrayEquals(new float[] {0, 0, 2}, new ReLU().call(x).toFloatArray());
        assertArrayEquals(
                new float[] {(float) Math.tanh(-1), 0, (float) Math.tanh(2)},
                new Tanh().call(x).toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new float[] {(float) (1 / (1 + Math.E)), 0.5f, (float) (1 / (1 + Math.exp(-2)))},
                new Sigmoid().call(x).toFloatArray(),
                1e-6f);
        float[] sm = new Softmax(1).call(x).toFloatArray();
        double z = Math.exp(-1) + 1 + Math.exp(2);
        assertArrayEquals(
                new float[] {(float) (Math.exp(-1) / z), (float) (1 / z), (float) (Math.exp(2) / z)}, sm, 1e-6f);
        assertArrayEquals(
                new float[] {(float) (-1 - Math.log(z)), (float) -Math.log(z), (float) (2 - Math.log(z))},
                new LogSoftmax(1).call(x).toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new int[] {2, 12}, new Flatten().call(Tensor.zeros(2, 3, 2, 2)).shape());
        assertEquals("Linear(in_features=3, out_features=2, bias=true)", new Linear(3, 2).toString());
        assertEquals(
                "Sequential(\n  (0): Linear(in_features=1, out_features=1, bias=false)\n  (1): ReLU()\n)",
                new Sequential(new Linear(1, 1, false), new ReLU()).toString());
    }
}
