package org.grad4j.training.nn;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * {@code nn.ModuleDict}: submodules by name, in insertion order, registered under their keys, so
 * their parameters are named {@code "attn.weight"}, {@code "mlp.0.bias"}, ... as in PyTorch.
 * Putting a key that is there replaces its module in place (the order is kept). Iterates the keys.
 */
public final class ModuleDict<M extends Module> extends Module implements Iterable<String> {
    private final Map<String, M> modules = new LinkedHashMap<>();

    public ModuleDict() {}

    public ModuleDict(Map<String, ? extends M> modules) {
        update(modules);
    }

    /** {@code dict[key] = module}: adds it, or replaces the module already under {@code key}; returns this. */
    public ModuleDict<M> put(String key, M module) {
        Objects.requireNonNull(module, "ModuleDict.put: module is null");
        setModule(key, module); // checks the name before anything changes
        modules.put(key, module);
        return this;
    }

    /** Puts every entry of {@code more}, in its iteration order; returns this. */
    public ModuleDict<M> update(Map<String, ? extends M> more) {
        for (var e : more.entrySet()) put(e.getKey(), e.getValue());
        return this;
    }

    /** The module under {@code key}; a missing key is an error, as Python's KeyError. */
    public M get(String key) {
        M m = modules.get(key);
        if (m == null) throw new NoSuchElementException("ModuleDict: no module under the key '" + key + "'");
        return m;
    }

    public boolean containsKey(String key) {
        return modules.containsKey(key);
    }

    /** Removes and returns the module under {@code key} ({@code dict.pop(key)}). */
    public M remove(String key) {
        M m = get(key);
        modules.remove(key);
        removeModule(key);
        return m;
    }

    public int size() {
        return modules.size();
    }

    public boolean isEmpty() {
        return modules.isEmpty();
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(modules.keySet());
    }

    /** Key to module in insertion order, read-only ({@code dict.items()}). */
    public Map<String, M> items() {
        return Collections.unmodifiableMap(modules);
    }

    @Override
    public Iterator<String> iterator() {
        return keys().iterator();
    }
}
