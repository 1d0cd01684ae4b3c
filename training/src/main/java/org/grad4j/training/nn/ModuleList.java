package org.grad4j.training.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * {@code nn.ModuleList}: submodules held in a list and registered under their positions, so their
 * parameters are named {@code "0.weight"}, {@code "1.self_attn.in_proj_weight"}, ... as in PyTorch.
 * It has no forward of its own: the owner iterates it.
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> modules = new ArrayList<>();

    public ModuleList() {}

    public ModuleList(Iterable<? extends M> modules) {
        extend(modules);
    }

    /** Appends {@code module} under the name {@code size()}; returns this. */
    public ModuleList<M> append(M module) {
        Objects.requireNonNull(module, "ModuleList.append: module is null");
        registerModule(Integer.toString(modules.size()), module);
        modules.add(module);
        return this;
    }

    /** Appends each of {@code more} in order; returns this. */
    public ModuleList<M> extend(Iterable<? extends M> more) {
        for (M m : more) append(m);
        return this;
    }

    /** Inserts {@code module} before position {@code index} (0..size); the modules after it are renumbered. */
    public void insert(int index, M module) {
        Objects.requireNonNull(module, "ModuleList.insert: module is null");
        if (index < 0 || index > modules.size()) {
            throw new IndexOutOfBoundsException(
                    "ModuleList.insert: index " + index + " is out of range for a list of " + modules.size());
        }
        if (module == this) throw new IllegalArgumentException("registerModule: a module cannot contain itself");
        modules.add(index, module);
        renumber();
    }

    /** The module at {@code index}; negative indices count from the end, as in Python. */
    public M get(int index) {
        return modules.get(position(index));
    }

    /** Replaces the module at {@code index} ({@code list[i] = module}); returns the one it replaced. */
    public M set(int index, M module) {
        Objects.requireNonNull(module, "ModuleList.set: module is null");
        int i = position(index);
        setModule(Integer.toString(i), module);
        return modules.set(i, module);
    }

    /** Removes the module at {@code index} ({@code del list[i]}); the modules after it are renumbered. */
    public M remove(int index) {
        M removed = modules.remove(position(index));
        renumber();
        return removed;
    }

    public int size() {
        return modules.size();
    }

    public boolean isEmpty() {
        return modules.isEmpty();
    }

    /** The modules in order, read-only. */
    public List<M> modules() {
        return Collections.unmodifiableList(modules);
    }

    @Override
    public Iterator<M> iterator() {
        return modules().iterator();
    }

    private int position(int index) {
        int i = index < 0 ? index + modules.size() : index;
        if (i < 0 || i >= modules.size())
            throw new IndexOutOfBoundsException("ModuleList: index " + index + " is out of range");
        return i;
    }

    // PyTorch renames the keys after an insert or a delete, so the names stay 0..n-1
    private void renumber() {
        clearModules();
        for (int i = 0; i < modules.size(); i++) registerModule(Integer.toString(i), modules.get(i));
    }
}
