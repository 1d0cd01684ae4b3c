package org.grad4j.training.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.grad4j.core.Device;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * Base of every layer ({@code torch.nn.Module}). Parameters, buffers and submodules are found by
 * registration ({@link #registerParameter}, {@link #registerBuffer}, {@link #registerModule}), in
 * registration order, and named with dotted paths ({@code "0.weight"}, {@code "encoder.fc1.bias"}).
 *
 * <p>Subclasses implement {@link #forward(Tensor)}; callers use {@link #call(Tensor)} (PyTorch's
 * {@code module(x)}), which also runs the forward pre-hooks, forward hooks and backward hooks.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    private final List<ForwardPreHook> forwardPreHooks = new CopyOnWriteArrayList<>();
    private final List<ForwardHook> forwardHooks = new CopyOnWriteArrayList<>();
    private final List<BackwardHook> backwardHooks = new CopyOnWriteArrayList<>();

    /** Called before forward with the input; return a replacement input or null to keep it. */
    @FunctionalInterface
    public interface ForwardPreHook {
        Tensor apply(Module module, Tensor input);
    }

    /** Called after forward; return a replacement output or null to keep it. */
    @FunctionalInterface
    public interface ForwardHook {
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /**
     * {@code register_full_backward_hook}: called with the gradient of the module's input (null when the
     * input needs no grad) and of its output; return a replacement input gradient or null to keep it.
     */
    @FunctionalInterface
    public interface BackwardHook {
        Tensor apply(Module module, Tensor gradInput, Tensor gradOutput);
    }

    /** Handle returned by the module hook registrations; {@link #remove()} unregisters. */
    public static final class HookHandle {
        private final Runnable remover;

        HookHandle(Runnable remover) {
            this.remover = remover;
        }

        public void remove() {
            remover.run();
        }
    }

    // ---- registration -------------------------------------------------------------------------

    /** Registers {@code param} (a leaf that requires grad, see {@link Parameter#of}) under {@code name}; returns it. */
    protected final Tensor registerParameter(String name, Tensor param) {
        checkName(name);
        if (param != null && (!param.isLeaf() || !param.requiresGrad())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".registerParameter: '" + name
                    + "' must be a leaf tensor that requires grad (use Parameter.of(tensor)), got "
                    + (param.isLeaf()
                            ? "a leaf that does not require grad"
                            : "the output of " + param.gradFn().name()));
        }
        parameters.put(name, param);
        return param;
    }

    /** Registers state that is saved in the state dict but is not a parameter (e.g. running means). */
    protected final Tensor registerBuffer(String name, Tensor buffer) {
        checkName(name);
        buffers.put(name, buffer);
        return buffer;
    }

    /** Registers a submodule under {@code name}; returns it. */
    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        if (module == this) throw new IllegalArgumentException("registerModule: a module cannot contain itself");
        children.put(name, module);
        return module;
    }

    /**
     * For the containers: puts {@code module} under {@code name}, replacing (in place, keeping the order)
     * a submodule already there, as PyTorch's {@code add_module} does.
     */
    final void setModule(String name, Module module) {
        if (children.containsKey(name)) {
            if (module == this) throw new IllegalArgumentException("registerModule: a module cannot contain itself");
            children.put(name, module);
        } else {
            registerModule(name, module);
        }
    }

    /** For the containers: removes every submodule (they register the survivors again, renumbered). */
    final void clearModules() {
        children.clear();
    }

    /** For the containers: removes the submodule {@code name}, if any. */
    final Module removeModule(String name) {
        return children.remove(name);
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(
                    getClass().getSimpleName() + ": name can't be empty or contain \".\", got \"" + name + "\"");
        }
        if ((parameters.containsKey(name) ? 1 : 0)
                        + (buffers.containsKey(name) ? 1 : 0)
                        + (children.containsKey(name) ? 1 : 0)
                > 0) {
            throw new IllegalArgumentException(
                    getClass().getSimpleName() + ": attribute '" + name + "' already exists");
        }
    }

    // ---- traversal ----------------------------------------------------------------------------

    /** All parameters of this module and its submodules, each once, in registration order. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters by dotted name; a parameter shared by two modules appears once, under its first name. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (var e : namedModules().entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            for (var p : e.getValue().parameters.entrySet()) {
                if (p.getValue() != null && seen.add(p.getValue())) out.put(prefix + p.getKey(), p.getValue());
            }
        }
        return out;
    }

    /** Buffers by dotted name. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : namedModules().entrySet()) {
            String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
            for (var b : e.getValue().buffers.entrySet()) {
                if (b.getValue() != null) out.put(prefix + b.getKey(), b.getValue());
            }
        }
        return out;
    }

    /** Direct submodules by name. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module (name "") and every submodule, depth first, by dotted name; each once. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", this, out, seen);
        return out;
    }

    private static void collect(String name, Module m, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(m)) return;
        out.put(name, m);
        for (var c : m.children.entrySet())
            collect(name.isEmpty() ? c.getKey() : name + "." + c.getKey(), c.getValue(), out, seen);
    }

    // ---- modes --------------------------------------------------------------------------------

    /** Training mode (dropout active, batch statistics); applies to all submodules. Returns this. */
    public Module train(boolean mode) {
        for (Module m : namedModules().values()) m.training = mode;
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** Evaluation mode, {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Sets every parameter's grad to null ({@code setToNone}) or zeroes it in place. */
    public void zeroGrad(boolean setToNone) {
        Parameter.zeroGrad(parameters(), setToNone);
    }

    public void zeroGrad() {
        zeroGrad(true);
    }

    // ---- devices ------------------------------------------------------------------------------

    /**
     * Moves every parameter and buffer of this module and its submodules to {@code device}, in place
     * ({@code model.to(device)}): each keeps its identity (PyTorch's {@code param.data = param.to(device)}),
     * so an optimizer built before or after sees the moved tensors; gradients are moved too. Returns this.
     */
    public Module to(Device device) {
        java.util.Objects.requireNonNull(device, "Module.to: device is null");
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        try (var s = GradMode.noGrad()) {
            for (Module m : namedModules().values()) {
                for (Tensor p : m.parameters.values()) if (p != null && seen.add(p)) moveTo(p, device);
                for (Tensor b : m.buffers.values()) if (b != null && seen.add(b)) moveTo(b, device);
            }
        }
        return this;
    }

    /** {@code model.to("tornado")}: {@link #to(Device)} with {@link Device#of(String)}. */
    public Module to(String device) {
        return to(Device.of(device));
    }

    private static void moveTo(Tensor t, Device device) {
        Tensor grad = t.grad();
        if (!t.device().equals(device)) t.setData(t.to(device));
        if (grad != null && !grad.device().equals(device)) t.setGrad(grad.to(device));
    }

    // ---- state dict ---------------------------------------------------------------------------

    /**
     * Parameters and buffers by dotted name, detached (sharing storage, as PyTorch's state_dict). A
     * tensor registered in two places (tied weights) is listed under both names, as PyTorch lists it,
     * so a checkpoint written from it loads into the PyTorch model with {@code strict=True}.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", this, out);
        out.replaceAll((k, v) -> v.detach());
        return out;
    }

    // PyTorch's state_dict order: each module's parameters, then its buffers, then its children's, every
    // name kept (named_parameters drops the second name of a shared tensor; state_dict does not)
    private static void collectState(String prefix, Module m, Map<String, Tensor> out) {
        m.parameters.forEach((k, v) -> {
            if (v != null) out.put(prefix + k, v);
        });
        m.buffers.forEach((k, v) -> {
            if (v != null) out.put(prefix + k, v);
        });
        m.children.forEach((k, c) -> collectState(prefix + k + ".", c, out));
    }

    /**
     * Copies {@code state} into this module's parameters and buffers in place (so optimizers holding
     * them stay valid). With {@code strict}, a missing or unexpected key is an error; a shape mismatch
     * always is. Nothing is copied unless every check passes.
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = new LinkedHashMap<>();
        collectState("", this, own);
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (String k : own.keySet()) if (!state.containsKey(k)) missing.add(k);
        for (var e : state.entrySet()) {
            Tensor mine = own.get(e.getKey());
            if (mine == null) {
                unexpected.add(e.getKey());
            } else if (!Arrays.equals(mine.shape(), e.getValue().shape())) {
                mismatched.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(e.getValue().shape()) + " from checkpoint, the shape in current model is "
                        + Arrays.toString(mine.shape()));
            }
        }
        StringBuilder err = new StringBuilder();
        if (strict && !missing.isEmpty())
            err.append("Missing key(s) in state_dict: ").append(missing).append(". ");
        if (strict && !unexpected.isEmpty())
            err.append("Unexpected key(s) in state_dict: ").append(unexpected).append(". ");
        for (String m : mismatched) err.append(m).append(". ");
        if (!err.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for "
                    + getClass().getSimpleName() + ": " + err.toString().trim());
        }
        try (var s = GradMode.noGrad()) {
            for (var e : state.entrySet()) {
                Tensor mine = own.get(e.getKey());
                if (mine != null)
                    mine.copy_(e.getValue().to(mine.device())); // a checkpoint loads onto the model's device
            }
        }
    }

    public final void loadStateDict(Map<String, Tensor> state) {
        loadStateDict(state, true);
    }

    // ---- forward and hooks --------------------------------------------------------------------

    /** The computation; PyTorch's {@code forward}. Call {@link #call(Tensor)} to run hooks too. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(
                "Module [" + getClass().getSimpleName() + "] is missing the required \"forward\" function");
    }

    /** {@code module(input)}: pre-hooks, {@link #forward}, forward hooks, and the backward hooks' wiring. */
    public final Tensor call(Tensor input) {
        for (ForwardPreHook h : forwardPreHooks) {
            Tensor r = h.apply(this, input);
            if (r != null) input = r;
        }
        boolean hookBackward = !backwardHooks.isEmpty() && GradMode.isEnabled();
        Tensor[] gradOut = new Tensor[1];
        // A view of its own gives this module's input a node of its own, so its hook sees only the
        // gradient that flows through this module (as PyTorch's BackwardHookFunction does).
        if (hookBackward && input.requiresGrad()) {
            Tensor in = input.view(input.shape());
            in.registerHook(g -> runBackwardHooks(g, gradOut[0]));
            input = in;
        }
        Tensor output = forward(input);
        for (ForwardHook h : forwardHooks) {
            Tensor r = h.apply(this, input, output);
            if (r != null) output = r;
        }
        if (hookBackward && output.requiresGrad()) {
            boolean inputNeedsGrad = input.requiresGrad();
            Tensor out = output.view(output.shape());
            out.registerHook(g -> {
                gradOut[0] = g;
                if (!inputNeedsGrad) runBackwardHooks(null, g);
                return null;
            });
            output = out;
        }
        return output;
    }

    private Tensor runBackwardHooks(Tensor gradInput, Tensor gradOutput) {
        Tensor current = gradInput;
        boolean replaced = false;
        for (BackwardHook h : backwardHooks) {
            Tensor r = h.apply(this, current, gradOutput);
            if (r != null) {
                current = r;
                replaced = true;
            }
        }
        return replaced ? current : null;
    }

    public final HookHandle registerForwardPreHook(ForwardPreHook hook) {
        forwardPreHooks.add(hook);
        return new HookHandle(() -> forwardPreHooks.remove(hook));
    }

    public final HookHandle registerForwardHook(ForwardHook hook) {
        forwardHooks.add(hook);
        return new HookHandle(() -> forwardHooks.remove(hook));
    }

    /** {@code register_full_backward_hook}. */
    public final HookHandle registerFullBackwardHook(BackwardHook hook) {
        backwardHooks.add(hook);
        return new HookHandle(() -> backwardHooks.remove(hook));
    }

    // ---- printing -----------------------------------------------------------------------------

    /** The constructor arguments shown by {@link #toString()}, e.g. {@code in_features=3, out_features=2}. */
    protected String extraRepr() {
        return "";
    }

    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        if (children.isEmpty()) return name + "(" + extraRepr() + ")";
        StringBuilder sb = new StringBuilder(name).append("(");
        if (!extraRepr().isEmpty()) sb.append("\n  ").append(extraRepr());
        for (var c : children.entrySet()) {
            sb.append("\n  (")
                    .append(c.getKey())
                    .append("): ")
                    .append(c.getValue().toString().replace("\n", "\n  "));
        }
        return sb.append("\n)").toString();
    }
}
