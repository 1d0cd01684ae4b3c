package org.grad4j.training.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.Optimizer;

/**
 * Model and optimizer state in one safetensors file, written atomically. The model's tensors keep
 * their state-dict names ({@code "0.weight"}), so PyTorch reads them with
 * {@code safetensors.torch.load_file}; the optimizer's tensors are named
 * {@code "optimizer.state.<param index>.<key>"} and its parameter groups are JSON in the metadata.
 * Extra metadata (epoch, step, ...) is stored as strings.
 */
public final class Checkpoint {
    private Checkpoint() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String OPT_PREFIX = "optimizer.state.";
    static final String GROUPS_KEY = "grad4j.optimizer.param_groups";
    /** Which optimizer saved the state ("SGD", "Adam", ...); older checkpoints lack it. */
    static final String KIND_KEY = "grad4j.optimizer.kind";

    /** Saves the model's state dict and, when {@code optimizer} is not null, the optimizer's state. */
    public static void save(Path file, Module model, Optimizer optimizer, Map<String, String> extra) {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.stateDict());
        Map<String, String> meta = new TreeMap<>();
        if (extra != null) {
            for (var e : extra.entrySet()) {
                if (e.getKey().startsWith("grad4j."))
                    throw new IllegalArgumentException(
                            "checkpoint metadata keys starting with 'grad4j.' are reserved: " + e.getKey());
                meta.put(e.getKey(), e.getValue());
            }
        }
        if (optimizer != null) {
            for (String k : tensors.keySet()) {
                if (k.startsWith("optimizer."))
                    throw new IllegalArgumentException(
                            "a model state key starting with 'optimizer.' clashes with the optimizer's: " + k);
            }
            Optimizer.StateDict sd = optimizer.stateDict();
            sd.state().forEach((i, st) -> st.forEach((k, v) -> tensors.put(OPT_PREFIX + i + "." + k, v)));
            try {
                meta.put(GROUPS_KEY, JSON.writeValueAsString(sd.paramGroups()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("optimizer param groups cannot be written as JSON", e);
            }
            meta.put(KIND_KEY, sd.kind());
        }
        SafeTensors.save(file, tensors, meta);
    }

    /** Weights only: a plain state dict that {@code model.load_state_dict(load_file(path))} accepts in PyTorch. */
    public static void saveModel(Path file, Module model) {
        SafeTensors.save(file, model.stateDict(), Map.of());
    }

    /**
     * Loads into {@code model} (strictly: every key must match) and, when given, {@code optimizer};
     * returns the extra metadata. Either both are loaded or, on any error, neither changes.
     */
    public static Map<String, String> load(Path file, Module model, Optimizer optimizer) {
        SafeTensors.Contents c = SafeTensors.load(file);
        Map<String, Tensor> modelState = new LinkedHashMap<>();
        Map<Integer, Map<String, Tensor>> optState = new TreeMap<>();
        for (var e : c.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(OPT_PREFIX)) {
                String rest = k.substring(OPT_PREFIX.length());
                int dot = rest.indexOf('.');
                int index;
                try {
                    index = Integer.parseInt(rest.substring(0, Math.max(dot, 0)));
                } catch (NumberFormatException ex) {
                    throw new CheckpointException(file, "malformed optimizer tensor name '" + k + "'");
                }
                optState.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(rest.substring(dot + 1), e.getValue());
            } else {
                modelState.put(k, e.getValue());
            }
        }
        Optimizer.StateDict loaded = null;
        if (optimizer != null) {
            String groupsJson = c.metadata().get(GROUPS_KEY);
            if (groupsJson == null)
                throw new CheckpointException(file, "holds no optimizer state (it was saved without an optimizer)");
            List<Map<String, Object>> groups;
            try {
                groups = JSON.readValue(groupsJson, new TypeReference<ArrayList<Map<String, Object>>>() {});
            } catch (JsonProcessingException e) {
                throw new CheckpointException(
                        file, "optimizer param groups are not a JSON array of objects: " + e.getOriginalMessage(), e);
            }
            if (groups == null || groups.contains(null))
                throw new CheckpointException(file, "optimizer param groups are not a JSON array of objects");
            loaded = new Optimizer.StateDict(optState, groups, c.metadata().get(KIND_KEY));
        }
        // Nothing changes unless everything fits. The model is checked first (a model that does not fit is
        // the root cause; its own load refuses it before copying anything), then the optimizer loads (all or
        // nothing), then the model, which now cannot fail.
        if (!fits(model, modelState)) {
            try {
                model.loadStateDict(modelState);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file, "does not fit the model: " + e.getMessage(), e);
            }
        }
        Optimizer.StateDict before = null;
        if (optimizer != null) {
            before = optimizer.stateDict();
            try {
                optimizer.loadStateDict(loaded);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file, "does not fit the optimizer: " + e.getMessage(), e);
            }
        }
        try {
            model.loadStateDict(modelState);
        } catch (RuntimeException e) {
            if (before != null) optimizer.loadStateDict(before);
            throw new CheckpointException(file, "does not fit the model: " + e.getMessage(), e);
        }
        Map<String, String> extra = new LinkedHashMap<>();
        c.metadata().forEach((k, v) -> {
            if (!k.startsWith("grad4j.")) extra.put(k, v);
        });
        return extra;
    }

    /** Whether {@link Module#loadStateDict(Map)} accepts {@code state}: the same names, the same shapes. */
    private static boolean fits(Module model, Map<String, Tensor> state) {
        Map<String, Tensor> own = model.stateDict();
        if (!own.keySet().equals(state.keySet())) return false;
        for (var e : own.entrySet()) {
            if (!Arrays.equals(e.getValue().shape(), state.get(e.getKey()).shape())) return false;
        }
        return true;
    }

    /** Loads the model's weights only (any optimizer tensors in the file are ignored). */
    public static Map<String, String> loadModel(Path file, Module model) {
        return load(file, model, null);
    }
}
