package org.grad4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Adam, AdamW and RMSprop against their formulas worked out by hand in double precision. */
class AdaptiveOptimizersTest {
    private static final float[][] GRADS = {{2f, -0.5f}, {-1f, 0.25f}, {0.5f, 3f}};

    @Test
    void adamFirstStepIsLrTimesSignForAnyGradient() {
        // m = 0.1 g, v = 0.001 g², bc1 = 0.1, bc2 = 0.001: p -= lr · g / (|g| + eps·...)
        Tensor p = Tensor.tensor(1f, 1f).requiresGrad_();
        Adam adam = new Adam(List.of(p), 0.1);
        p.setGrad(Tensor.tensor(2f, -0.004f));
        adam.step();
        assertArrayEquals(new float[] {0.9f, 1.1f}, p.toFloatArray(), 1e-5f);
    }

    @Test
    void adamTwoStepsByHand() {
        Tensor p = Tensor.tensor(1f).requiresGrad_();
        Adam adam = new Adam(List.of(p), 0.1);
        p.setGrad(Tensor.tensor(2f));
        adam.step();
        p.setGrad(Tensor.tensor(-1f));
        adam.step();
        // step 1: m=0.2, v=0.004, p = 1 - (0.1/0.1)·0.2/(sqrt(0.004)/sqrt(0.001) + 1e-8) = 0.9
        // step 2: m = 0.2 + 0.1·(-1 - 0.2) = 0.08, v = 0.999·0.004 + 0.001 = 0.004996, bc1 = 0.19, bc2 = 0.001999
        double denom = Math.sqrt(0.004996) / Math.sqrt(0.001999) + 1e-8;
        double expected = 0.9 - (0.1 / 0.19) * 0.08 / denom;
        assertEquals(expected, p.item(), 1e-6);
        assertEquals(2f, adam.stateDict().state().get(0).get("step").item());
    }

    @Test
    void adamWithL2AndAmsgradMatchesTheReference() {
        Tensor p = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
        Adam adam = new Adam(List.of(p), 0.01, 0.8, 0.9, 1e-3, 0.1, true);
        double[] ref = {0.5, -1.5};
        double[][] st = new double[3][2];
        for (int t = 1; t <= GRADS.length; t++) {
            p.setGrad(Tensor.tensor(GRADS[t - 1]));
            adam.step();
            refAdam(ref, st, GRADS[t - 1], t, 0.01, 0.8, 0.9, 1e-3, 0.1, true, false);
            assertArrayEquals(toFloat(ref), p.toFloatArray(), 2e-6f, "step " + t);
        }
    }

    @Test
    void adamWDecaysTheWeightsBeforeTheStep() {
        Tensor p = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
        AdamW adamw = new AdamW(List.of(p), 0.01, 0.9, 0.999, 1e-8, 0.5, false);
        double[] ref = {0.5, -1.5};
        double[][] st = new double[3][2];
        for (int t = 1; t <= GRADS.length; t++) {
            p.setGrad(Tensor.tensor(GRADS[t - 1]));
            adamw.step();
            refAdam(ref, st, GRADS[t - 1], t, 0.01, 0.9, 0.999, 1e-8, 0.5, false, true);
            assertArrayEquals(toFloat(ref), p.toFloatArray(), 2e-6f, "step " + t);
        }
        assertEquals(
                0.01,
                new AdamW(List.of(Tensor.ones(1).requiresGrad_()), 1e-3)
                        .paramGroups()
                        .get(0)
                        .getDouble("weight_decay"));
    }

    /** PyTorch's _single_tensor_adam in double: st = {m, v, vmax}. */
    private static void refAdam(
            double[] p,
            double[][] st,
            float[] grad,
            int t,
            double lr,
            double b1,
            double b2,
            double eps,
            double wd,
            boolean amsgrad,
            boolean decoupled) {
        for (int i = 0; i < p.length; i++) {
            double g = grad[i];
            if (wd != 0) {
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
            }
            st[0][i] += (1 - b1) * (g - st[0][i]);
            st[1][i] = b2 * st[1][i] + (1 - b2) * g * g;
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            double v = st[1][i];
            if (amsgrad) {
                st[2][i] = Math.max(st[2][i], st[1][i]);
                v = st[2][i];
            }
            double denom = Math.sqrt(v) / Math.sqrt(bc2) + eps;
            p[i] -= lr / bc1 * st[0][i] / denom;
        }
    }

    @Test
    void rmspropPlainMomentumAndCentered() {
        for (double momentum : new double[] {0, 0.9}) {
            for (boolean centered : new boolean[] {false, true}) {
                Tensor p = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
                RMSprop opt = new RMSprop(List.of(p), 0.01, 0.9, 1e-6, 0.1, momentum, centered);
                double[] ref = {0.5, -1.5}, sq = new double[2], ga = new double[2], buf = new double[2];
                for (int t = 1; t <= GRADS.length; t++) {
                    p.setGrad(Tensor.tensor(GRADS[t - 1]));
                    opt.step();
                    for (int i = 0; i < 2; i++) {
                        double g = GRADS[t - 1][i] + 0.1 * ref[i];
                        sq[i] = 0.9 * sq[i] + 0.1 * g * g;
                        double avg;
                        if (centered) {
                            ga[i] += 0.1 * (g - ga[i]);
                            avg = Math.sqrt(sq[i] - ga[i] * ga[i]);
                        } else {
                            avg = Math.sqrt(sq[i]);
                        }
                        avg += 1e-6;
                        if (momentum > 0) {
                            buf[i] = momentum * buf[i] + g / avg;
                            ref[i] -= 0.01 * buf[i];
                        } else {
                            ref[i] -= 0.01 * g / avg;
                        }
                    }
                    assertArrayEquals(
                            toFloat(ref),
                            p.toFloatArray(),
                            3e-6f,
                            "momentum " + momentum + " centered " + centered + " step " + t);
                }
            }
        }
    }

    @Test
    void parameterGroupsHaveTheirOwnLr() {
        Tensor a = Tensor.tensor(1f).requiresGrad_(), b = Tensor.tensor(1f).requiresGrad_();
        SGD sgd = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b)).set("lr", 0.5)), 0.1f);
        a.setGrad(Tensor.tensor(1f));
        b.setGrad(Tensor.tensor(1f));
        sgd.step();
        assertEquals(0.9f, a.item(), 1e-7f);
        assertEquals(0.5f, b.item(), 1e-7f);
        assertEquals(0.1f, (float) sgd.paramGroups().get(0).lr());
        assertEquals(0f, (float) sgd.paramGroups().get(1).getDouble("momentum"), "defaults fill the rest");
        sgd.paramGroups().get(1).setLr(0.25);
        b.setGrad(Tensor.tensor(2f));
        a.setGrad(null); // a parameter without a gradient is skipped
        sgd.step();
        assertEquals(0f, b.item(), 1e-7f);
        assertEquals(0.9f, a.item(), 1e-7f);
    }

    @Test
    void groupErrorsNameTheProblem() {
        Tensor a = Tensor.tensor(1f).requiresGrad_();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Adam(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(a))), 1e-3));
        assertEquals("Adam: some parameters appear in more than one parameter group", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new Adam(List.of(new ParamGroup(List.of(a)).set("momentum", 0.9)), 1e-3));
        assertTrue(e.getMessage().startsWith("Adam: unknown option 'momentum' in a parameter group"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(a), 1e-3, 1.0, 0.999, 1e-8, 0, false));
        assertEquals("Adam: invalid beta parameter at index 0: 1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RMSprop(List.of(a), -0.5));
        assertEquals("RMSprop: invalid learning rate: -0.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(a, new ParamGroup(List.of(a))), 1e-3));
        assertEquals("Adam: params must be all Tensors or all ParamGroups, got a ParamGroup", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(), 1e-3));
    }

    @Test
    void stateDictRoundTripContinuesIdentically() {
        Tensor p1 = Tensor.tensor(0.5f, -1.5f).requiresGrad_(),
                p2 = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
        Adam a = new Adam(List.of(p1), 0.01, 0.9, 0.999, 1e-8, 0, true);
        p1.setGrad(Tensor.tensor(GRADS[0]));
        a.step();
        Adam b = new Adam(List.of(p2), 0.5);
        try (var s = org.grad4j.core.GradMode.noGrad()) {
            p2.copy_(p1);
        }
        b.loadStateDict(a.stateDict());
        assertEquals(0.01, b.paramGroups().get(0).lr(), "group options restored");
        for (float[] g : new float[][] {GRADS[1], GRADS[2]}) {
            p1.setGrad(Tensor.tensor(g));
            p2.setGrad(Tensor.tensor(g));
            a.step();
            b.step();
        }
        assertArrayEquals(p1.toFloatArray(), p2.toFloatArray(), 0f);
        Adam c = new Adam(List.of(Tensor.ones(3).requiresGrad_()), 0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.loadStateDict(a.stateDict()));
        assertEquals(
                "Adam: state 'exp_avg' of parameter 0 has shape [2] but the parameter has shape [3]", e.getMessage());
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
