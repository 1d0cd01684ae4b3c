package org.grad4j.training.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.Parameter;

/**
 * Base of the optimizers ({@code torch.optim.Optimizer}): parameter groups with their own
 * hyperparameters, per-parameter state, {@link #zeroGrad()}, and {@link #step()}, which runs the
 * update in a no-grad scope so it is never recorded.
 *
 * <p>The constructors take, as PyTorch's do, either a list of tensors or a list of {@link ParamGroup}s.
 */
public abstract class Optimizer {
    /** Options a group may carry besides the optimizer's defaults (set by LR schedulers). */
    private static final Set<String> EXTRA_KEYS = Set.of("initial_lr");

    private final String name;
    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, Map<String, Tensor>> state = new IdentityHashMap<>();

    protected Optimizer(String name, List<?> params, Map<String, Object> defaults) {
        this.name = name;
        this.defaults = new LinkedHashMap<>(defaults);
        if (params.isEmpty()) throw new IllegalArgumentException(name + ": optimizer got an empty parameter list");
        if (params.get(0) instanceof ParamGroup) {
            for (Object g : params) {
                if (!(g instanceof ParamGroup pg)) throw mixed(g);
                addParamGroup(pg);
            }
        } else {
            List<Tensor> tensors = new ArrayList<>();
            for (Object p : params) {
                if (!(p instanceof Tensor t)) throw mixed(p);
                tensors.add(t);
            }
            addParamGroup(new ParamGroup(tensors));
        }
    }

    private IllegalArgumentException mixed(Object o) {
        return new IllegalArgumentException(name + ": params must be all Tensors or all ParamGroups, got a "
                + (o == null ? "null" : o.getClass().getSimpleName()));
    }

    /** Adds a group; options it does not set take the optimizer's defaults. */
    public final void addParamGroup(ParamGroup group) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup g : groups) seen.addAll(g.params());
        for (Tensor p : group.params()) {
            if (!p.isLeaf()) {
                throw new IllegalArgumentException(name + ": can't optimize a non-leaf Tensor (shape "
                        + Arrays.toString(p.shape()) + "); pass leaves that require grad, e.g. model parameters");
            }
            if (!seen.add(p))
                throw new IllegalArgumentException(name + ": some parameters appear in more than one parameter group");
        }
        for (String k : group.options().keySet()) {
            if (!defaults.containsKey(k) && !EXTRA_KEYS.contains(k)) {
                throw new IllegalArgumentException(name + ": unknown option '" + k + "' in a parameter group; " + name
                        + " takes " + defaults.keySet());
            }
        }
        defaults.forEach((k, v) -> {
            if (!group.has(k)) group.set(k, v);
        });
        validate(group);
        groups.add(group);
    }

    /** Checks a group's hyperparameters; throws with PyTorch's message ("Invalid learning rate: ..."). */
    protected void validate(ParamGroup g) {
        if (g.lr() < 0) throw new IllegalArgumentException(name + ": invalid learning rate: " + (float) g.lr());
    }

    protected static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public final List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** Every parameter, group by group. */
    public final List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (ParamGroup g : groups) out.addAll(g.params());
        return out;
    }

    /** Clears gradients: sets them to null (PyTorch 2.x default), so the next backward writes fresh ones. */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /** With {@code setToNone=false}, zeroes the gradient tensors in place instead. */
    public void zeroGrad(boolean setToNone) {
        Parameter.zeroGrad(parameters(), setToNone);
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        try (var s = GradMode.noGrad()) {
            for (ParamGroup g : groups) update(g);
        }
    }

    /** {@code step(closure)}: re-evaluates the loss (with grad on), then updates; returns the loss. */
    public final Tensor step(Supplier<Tensor> closure) {
        Tensor loss;
        try (var s = GradMode.enableGrad()) {
            loss = closure.get();
        }
        step();
        return loss;
    }

    /** The update rule for one group, run without recording. */
    protected abstract void update(ParamGroup group);

    /** The state of one parameter (momentum buffers, moments, step), created empty on first use. */
    protected final Map<String, Tensor> state(Tensor p) {
        return state.computeIfAbsent(p, k -> new LinkedHashMap<>());
    }

    /** Increments and returns a parameter's {@code step} count (kept as a 0-d tensor, as PyTorch does). */
    protected final int incrementStep(Map<String, Tensor> st) {
        Tensor step = st.get("step");
        int next = step == null ? 1 : (int) step.item() + 1;
        st.put("step", Tensor.scalar(next));
        return next;
    }

    // ---- state dict ---------------------------------------------------------------------------

    /**
     * {@code optimizer.state_dict()}: per-parameter state keyed by the parameter's position (counting
     * across groups), each group's options with its parameters' positions under "params", and the kind
     * of optimizer that saved it ({@code "SGD"}, {@code "Adam"}, ...; null for a state dict from before
     * the kind was recorded), so that one optimizer's state never loads into another kind.
     */
    public record StateDict(
            Map<Integer, Map<String, Tensor>> state, List<Map<String, Object>> paramGroups, String kind) {
        /** A state dict that does not say which optimizer saved it: it loads wherever its keys fit. */
        public StateDict(Map<Integer, Map<String, Tensor>> state, List<Map<String, Object>> paramGroups) {
            this(state, paramGroups, null);
        }
    }

    /** The kind of optimizer ({@code "SGD"}, {@code "Adam"}, ...), as recorded in its state dict. */
    public final String kind() {
        return name;
    }

    public final StateDict stateDict() {
        Map<Integer, Map<String, Tensor>> st = new LinkedHashMap<>();
        List<Map<String, Object>> gs = new ArrayList<>();
        int index = 0;
        for (ParamGroup g : groups) {
            Map<String, Object> opts = new LinkedHashMap<>(g.options());
            List<Integer> ids = new ArrayList<>();
            for (Tensor p : g.params()) {
                Map<String, Tensor> s = state.get(p);
                if (s != null && !s.isEmpty()) {
                    Map<String, Tensor> copy = new LinkedHashMap<>();
                    s.forEach((k, v) -> copy.put(k, v.detach()));
                    st.put(index, copy);
                }
                ids.add(index++);
            }
            opts.put("params", ids);
            gs.add(opts);
        }
        return new StateDict(st, gs, name);
    }

    /**
     * Restores state saved by {@link #stateDict()} for the same parameter layout. Everything is checked
     * before anything is applied, so on an error nothing changes. Each group takes the saved group's
     * options (options the saved group lacks keep their current value).
     */
    public final void loadStateDict(StateDict sd) {
        if (sd.kind() != null && !sd.kind().equals(name)) {
            throw new IllegalArgumentException(name + ": the state dict was saved by " + sd.kind() + ", not " + name
                    + "; an optimizer loads only the state of its own kind");
        }
        List<Map<String, Object>> savedGroups = sd.paramGroups();
        if (savedGroups == null || sd.state() == null)
            throw new IllegalArgumentException(name + ": the state dict lacks its state or param_groups");
        if (savedGroups.size() != groups.size()) {
            throw new IllegalArgumentException(name + ": loaded state dict has a different number of parameter groups ("
                    + savedGroups.size() + ") than the optimizer (" + groups.size() + ")");
        }
        List<Tensor> all = parameters();
        List<Map<String, Object>> newOptions = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            Map<String, Object> saved = savedGroups.get(i);
            if (saved == null)
                throw new IllegalArgumentException(
                        name + ": parameter group " + i + " of the loaded state dict is null");
            Object ids = saved.get("params");
            int n = ids instanceof List<?> l ? l.size() : -1;
            if (n != groups.get(i).params().size()) {
                throw new IllegalArgumentException(
                        name + ": loaded state dict contains a parameter group that doesn't match the "
                                + "size of optimizer's group (group " + i + ": " + n + " vs "
                                + groups.get(i).params().size() + ")");
            }
            newOptions.add(checkedOptions(i, saved));
        }
        for (var e : sd.state().entrySet()) {
            Integer i = e.getKey();
            if (i == null || i < 0 || i >= all.size()) {
                throw new IllegalArgumentException(
                        name + ": state for parameter " + i + " but the optimizer has " + all.size() + " parameters");
            }
            if (e.getValue() == null)
                throw new IllegalArgumentException(name + ": the state of parameter " + i + " is null");
            for (var s : e.getValue().entrySet()) {
                Tensor v = s.getValue();
                if (v == null)
                    throw new IllegalArgumentException(
                            name + ": state '" + s.getKey() + "' of parameter " + i + " is null");
                if (s.getKey().equals("step")
                        ? v.numel() != 1
                        : v.dim() > 0 && !Arrays.equals(v.shape(), all.get(i).shape())) {
                    throw new IllegalArgumentException(
                            name + ": state '" + s.getKey() + "' of parameter " + i + " has shape "
                                    + Arrays.toString(v.shape()) + " but "
                                    + (s.getKey().equals("step")
                                            ? "a step count is one number"
                                            : "the parameter has shape "
                                                    + Arrays.toString(all.get(i).shape())));
                }
            }
        }
        // every check passed: apply
        for (int i = 0; i < groups.size(); i++) groups.get(i).replaceOptions(newOptions.get(i));
        state.clear();
        for (var e : sd.state().entrySet()) {
            Map<String, Tensor> copy = new LinkedHashMap<>();
            Tensor p = all.get(e.getKey());
            // like PyTorch, state other than the step count follows its parameter's device
            e.getValue()
                    .forEach((k, v) -> copy.put(
                            k,
                            k.equals("step") || v.device().equals(p.device())
                                    ? v.detach().clone()
                                    : v.detach().to(p.device())));
            state.put(p, copy);
        }
    }

    /** Group {@code i}'s options after loading {@code saved}, checked as {@link #addParamGroup} checks a new group. */
    private Map<String, Object> checkedOptions(int i, Map<String, Object> saved) {
        ParamGroup current = groups.get(i);
        ParamGroup trial = new ParamGroup(current.params());
        List<String> unknown = new ArrayList<>();
        for (String k : saved.keySet()) {
            if (!"params".equals(k) && (k == null || !defaults.containsKey(k) && !EXTRA_KEYS.contains(k)))
                unknown.add(String.valueOf(k));
        }
        if (!unknown.isEmpty()) {
            Collections.sort(unknown);
            throw new IllegalArgumentException(name + ": unknown option"
                    + (unknown.size() == 1 ? " '" + unknown.get(0) + "'" : "s " + unknown) + " in parameter group " + i
                    + " of the loaded state dict; " + name + " takes " + new TreeSet<>(defaults.keySet()));
        }
        for (var o : saved.entrySet()) {
            String k = o.getKey();
            Object v = o.getValue();
            if ("params".equals(k)) continue;
            boolean flag = defaults.get(k) instanceof Boolean;
            if (flag ? !(v instanceof Boolean) : !(v instanceof Number)) {
                throw new IllegalArgumentException(name + ": option '" + k + "' in parameter group " + i
                        + " of the loaded state dict must be " + (flag ? "a boolean" : "a number") + ", got "
                        + (v instanceof String ? "'" + v + "'" : v));
            }
            trial.set(k, v);
        }
        current.options().forEach((k, v) -> {
            if (!trial.has(k)) trial.set(k, v); // e.g. a scheduler's initial_lr, which an older state dict lacks
        });
        try {
            validate(trial);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    e.getMessage() + " (parameter group " + i + " of the loaded state dict)", e);
        }
        return trial.options();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (");
        for (int i = 0; i < groups.size(); i++) {
            sb.append("\nParameter Group ").append(i);
            groups.get(i)
                    .options()
                    .forEach(
                            (k, v) -> sb.append("\n    ").append(k).append(": ").append(v));
        }
        return sb.append("\n)").toString();
    }
}
