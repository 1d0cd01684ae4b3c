package org.grad4j.training.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/**
 * One entry of an optimizer's {@code param_groups}: parameters and the hyperparameters that apply to
 * them ({@code lr}, {@code momentum}, {@code betas} as {@code beta1}/{@code beta2}, ...). Options not
 * set here take the optimizer's defaults when the group is added.
 * <pre>{@code new Adam(List.of(new ParamGroup(backbone), new ParamGroup(head).set("lr", 1e-2)), 1e-3)}</pre>
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final Map<String, Object> options = new LinkedHashMap<>();

    public ParamGroup(List<Tensor> params) {
        if (params.isEmpty()) throw new IllegalArgumentException("ParamGroup: optimizer got an empty parameter list");
        this.params = List.copyOf(params);
    }

    public List<Tensor> params() {
        return params;
    }

    /** Sets an option (a Number or a Boolean); returns this. */
    public ParamGroup set(String key, Object value) {
        if (!(value instanceof Number || value instanceof Boolean)) {
            throw new IllegalArgumentException(
                    "ParamGroup: option '" + key + "' must be a number or a boolean, got " + value);
        }
        options.put(key, value instanceof Number n && !(value instanceof Double) ? n.doubleValue() : value);
        return this;
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    public Object get(String key) {
        Object v = options.get(key);
        if (v == null)
            throw new IllegalArgumentException(
                    "ParamGroup: no option '" + key + "' (options: " + options.keySet() + ")");
        return v;
    }

    public double getDouble(String key) {
        return ((Number) get(key)).doubleValue();
    }

    public boolean getBoolean(String key) {
        return (Boolean) get(key);
    }

    public double lr() {
        return getDouble("lr");
    }

    public void setLr(double lr) {
        options.put("lr", lr);
    }

    /** The options (not the params), read-only. */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    /** Replaces every option at once (loading a state dict). */
    void replaceOptions(Map<String, Object> replacement) {
        options.clear();
        options.putAll(replacement);
    }

    List<Tensor> paramsCopy() {
        return new ArrayList<>(params);
    }
}
