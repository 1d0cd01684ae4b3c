package org.grad4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Loading an optimizer's state dict: all or nothing, and only into the kind of optimizer that saved it. */
class OptimizerStateDictTest {

    private static Adam steppedAdam(double lr, float grad) {
        Tensor p = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
        Adam a = new Adam(List.of(p), lr);
        p.setGrad(Tensor.tensor(grad, -grad));
        a.step();
        return a;
    }

    /** A copy of {@code sd} whose group 0 is changed by {@code edit}. */
    private static Optimizer.StateDict withGroup0(Optimizer.StateDict sd, Consumer<Map<String, Object>> edit) {
        List<Map<String, Object>> groups = new ArrayList<>();
        for (Map<String, Object> g : sd.paramGroups()) groups.add(new LinkedHashMap<>(g));
        edit.accept(groups.get(0));
        return new Optimizer.StateDict(sd.state(), groups, sd.kind());
    }

    private static void assertRefusedAndUnchanged(Adam target, Optimizer.StateDict bad, String message) {
        Map<String, Object> optionsBefore =
                new LinkedHashMap<>(target.paramGroups().get(0).options());
        float[] expAvgBefore = target.stateDict().state().get(0).get("exp_avg").toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(bad));
        assertEquals(message, e.getMessage());
        assertEquals(optionsBefore, target.paramGroups().get(0).options(), "group options unchanged");
        assertArrayEquals(
                expAvgBefore, target.stateDict().state().get(0).get("exp_avg").toFloatArray(), "state unchanged");
    }

    @Test
    void aBadGroupChangesNoOptionBeforeItIsRefused() {
        Adam source = steppedAdam(0.01, 2f), target = steppedAdam(0.02, -1f);
        Optimizer.StateDict sd = source.stateDict();
        assertRefusedAndUnchanged(
                target,
                withGroup0(sd, g -> {
                    g.put("lr", 0.5);
                    g.put("bogus", 1.0);
                }),
                "Adam: unknown option 'bogus' in parameter group 0 of the loaded state dict; Adam takes "
                        + "[amsgrad, beta1, beta2, eps, lr, weight_decay]");
        assertRefusedAndUnchanged(
                target,
                withGroup0(sd, g -> {
                    g.put("lr", 0.5);
                    g.put("weight_decay", "a lot");
                }),
                "Adam: option 'weight_decay' in parameter group 0 of the loaded state dict must be a number, got 'a lot'");
        assertRefusedAndUnchanged(
                target,
                withGroup0(sd, g -> {
                    g.put("lr", 0.5);
                    g.put("amsgrad", 1.0);
                }),
                "Adam: option 'amsgrad' in parameter group 0 of the loaded state dict must be a boolean, got 1.0");
        assertRefusedAndUnchanged(
                target,
                withGroup0(sd, g -> {
                    g.put("lr", 0.5);
                    g.put("beta1", 1.5);
                }),
                "Adam: invalid beta parameter at index 0: 1.5 (parameter group 0 of the loaded state dict)");
        assertRefusedAndUnchanged(
                target,
                withGroup0(sd, g -> {
                    g.put("lr", 0.5);
                    g.put("eps", null);
                }),
                "Adam: option 'eps' in parameter group 0 of the loaded state dict must be a number, got null");
        // a state tensor of the wrong shape is refused after the groups were checked, still before anything changes
        Map<Integer, Map<String, Tensor>> badState = new LinkedHashMap<>();
        badState.put(0, Map.of("step", Tensor.ones(2), "exp_avg", Tensor.zeros(2), "exp_avg_sq", Tensor.zeros(2)));
        assertRefusedAndUnchanged(
                target,
                new Optimizer.StateDict(
                        badState, withGroup0(sd, g -> g.put("lr", 0.5)).paramGroups(), "Adam"),
                "Adam: state 'step' of parameter 0 has shape [2] but a step count is one number");
        // the same state dict without its faults loads whole
        target.loadStateDict(withGroup0(sd, g -> g.put("lr", 0.5)));
        assertEquals(0.5, target.paramGroups().get(0).lr());
        assertArrayEquals(
                sd.state().get(0).get("exp_avg").toFloatArray(),
                target.stateDict().state().get(0).get("exp_avg").toFloatArray());
    }

    @Test
    void oneKindsStateNeverLoadsIntoAnother() {
        Tensor p = Tensor.tensor(0.5f, -1.5f).requiresGrad_();
        SGD sgd = new SGD(List.of(p), 0.1f, 0.9f, 0f, 0f, false);
        p.setGrad(Tensor.tensor(1f, 1f));
        sgd.step();
        Optimizer.StateDict sd = sgd.stateDict();
        assertEquals("SGD", sd.kind());
        Adam adam = steppedAdam(0.02, -1f);
        assertRefusedAndUnchanged(
                adam,
                sd,
                "Adam: the state dict was saved by SGD, not Adam; an optimizer loads only the state of its own kind");
        // without the kind (an older state dict) SGD's keys still do not fit Adam
        Optimizer.StateDict unnamed = new Optimizer.StateDict(sd.state(), sd.paramGroups());
        assertNull(unnamed.kind());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(unnamed));
        assertEquals(
                "Adam: unknown options [dampening, momentum, nesterov] in parameter group 0 of the loaded state dict; Adam takes "
                        + "[amsgrad, beta1, beta2, eps, lr, weight_decay]",
                e.getMessage());
        // AdamW shares Adam's keys but is another optimizer
        AdamW adamW = new AdamW(List.of(Tensor.tensor(0.5f, -1.5f).requiresGrad_()), 0.01);
        e = assertThrows(IllegalArgumentException.class, () -> adamW.loadStateDict(adam.stateDict()));
        assertEquals(
                "AdamW: the state dict was saved by Adam, not AdamW; an optimizer loads only the state of its own kind",
                e.getMessage());
        // an older state dict of the right kind, whose keys fit, loads
        Adam source = steppedAdam(0.03, 2f);
        adam.loadStateDict(new Optimizer.StateDict(
                source.stateDict().state(), source.stateDict().paramGroups()));
        assertEquals(0.03, adam.paramGroups().get(0).lr());
    }

    @Test
    void optionsTheSavedGroupLacksKeepTheirValue() {
        Adam target = steppedAdam(0.02, 1f);
        target.paramGroups().get(0).set("initial_lr", 0.02); // as a scheduler records it
        Optimizer.StateDict sd = withGroup0(steppedAdam(0.5, 1f).stateDict(), g -> g.remove("eps"));
        target.paramGroups().get(0).set("eps", 1e-6);
        target.loadStateDict(sd);
        assertEquals(0.5, target.paramGroups().get(0).lr());
        assertEquals(1e-6, target.paramGroups().get(0).getDouble("eps"));
        assertEquals(0.02, target.paramGroups().get(0).getDouble("initial_lr"));
    }
}
