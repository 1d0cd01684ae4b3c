package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * core's layers, read from its sources (docs/ARCHITECTURE.md): values and the tensor's data at the
 * bottom, then autograd, the ops, the API (Tensor's methods, Torch, F, Autograd) and the tools. A
 * layer uses only the layers below it; the one exception is {@code Tensor implements TensorMethods}.
 * Nodes are made and attached by the Recorder alone, a tensor's autograd state is one field, and no
 * file of core passes about 400 lines.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/org/grad4j/core");
    /** The API layer's files in org.grad4j.core: everything else of that package lies below autograd. */
    private static final Set<String> FACE = Set.of(
            "TensorMethods",
            "PointwiseMethods",
            "ReductionMethods",
            "ViewMethods",
            "InPlaceMethods",
            "Torch",
            "F",
            "Autograd",
            "TensorFormatter");

    private static final List<String> LAYERS = List.of("core", "autograd", "ops", "face", "tools");

    /** Each main file of core by its class name, with its code (comments and literals blanked). */
    private static final Map<String, String> CODE = new TreeMap<>();

    private static final Map<String, String> LAYER = new TreeMap<>();
    private static final Map<String, Integer> LINES = new TreeMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String name = f.getFileName().toString().replace(".java", "");
                String dir = MAIN.relativize(f.getParent()).toString();
                String text = Files.readString(f);
                CODE.put(name, code(text));
                LINES.put(name, (int) text.lines().count());
                LAYER.put(name, dir.isEmpty() ? (FACE.contains(name) ? "face" : "core") : dir);
            }
        }
    }

    /** The source without comments, string and char literals: what is left names the code's dependencies. */
    private static String code(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                i = s.indexOf('\n', i) - 1;
                if (i < 0) break;
            } else if (s.startsWith("/*", i)) {
                i = s.indexOf("*/", i + 2) + 1;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (s.charAt(j) != c) j += s.charAt(j) == '\\' ? 2 : 1;
                out.append(c).append(c);
                i = j;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The classes of core that {@code name}'s code refers to: by import, or by simple name in its own package. */
    private static Set<String> uses(String name) {
        String code = CODE.get(name);
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("import (?:static )?org\\.grad4j\\.core\\.(?:\\w+\\.)?([A-Z]\\w*)")
                .matcher(code);
        while (m.find()) used.add(m.group(1));
        String pkg = LAYER.get(name).equals("face") ? "core" : LAYER.get(name);
        for (String other : CODE.keySet()) {
            String otherPkg = LAYER.get(other).equals("face") ? "core" : LAYER.get(other);
            if (!other.equals(name)
                    && otherPkg.equals(pkg)
                    && Pattern.compile("\\b" + other + "\\b").matcher(code).find()) {
                used.add(other);
            }
        }
        used.retainAll(CODE.keySet());
        used.remove(name);
        return used;
    }

    @Test
    void everyFileSitsInItsLayer() {
        assertEquals("autograd", LAYER.get("Engine"));
        assertEquals("autograd", LAYER.get("Recorder"));
        assertEquals("autograd", LAYER.get("ActivationCheckpoint"));
        assertEquals("ops", LAYER.get("Pointwise"));
        assertEquals("ops", LAYER.get("Embeddings"));
        assertEquals("tools", LAYER.get("GradCheck"));
        assertEquals("core", LAYER.get("Tensor"));
        assertTrue(LAYERS.containsAll(LAYER.values()), "an unknown layer: " + new TreeSet<>(LAYER.values()));
    }

    @Test
    void importsPointDown() {
        List<String> up = new ArrayList<>();
        for (String name : CODE.keySet()) {
            int at = LAYERS.indexOf(LAYER.get(name));
            for (String used : uses(name)) {
                if (LAYERS.indexOf(LAYER.get(used)) > at) up.add(name + " -> " + used);
            }
        }
        assertEquals(List.of("Tensor -> TensorMethods"), up, "imports that run up a layer");
    }

    @Test
    void onlyTheRecorderAttachesNodes() {
        List<String> makers = new ArrayList<>();
        for (var e : CODE.entrySet()) {
            Matcher m = Pattern.compile("new (OpNode|CopySlices|AccumulateGrad)\\(|setAutograd\\(")
                    .matcher(e.getValue());
            while (m.find()) makers.add(e.getKey() + ": " + m.group());
        }
        makers.sort(null);
        assertEquals(
                List.of(
                        "AutogradMeta: new AccumulateGrad(",
                        "AutogradMeta: setAutograd(",
                        "Recorder: new CopySlices(",
                        "Recorder: new OpNode(",
                        "Recorder: new OpNode(",
                        "Recorder: setAutograd(",
                        "TensorInternals: setAutograd("),
                makers);
    }

    @Test
    void aTensorsAutogradStateIsOneField() {
        List<String> fields = new ArrayList<>();
        for (Field f : Tensor.class.getDeclaredFields())
            if (!Modifier.isStatic(f.getModifiers())) fields.add(f.getName());
        assertEquals(List.of("buffer", "shape", "strides", "offset", "dtype", "version", "base", "autograd"), fields);
    }

    @Test
    void noFileIsLong() {
        Map<String, Integer> longer = new TreeMap<>();
        LINES.forEach((name, n) -> {
            if (n > 400) longer.put(name, n);
        });
        assertEquals(Map.of(), longer, "files of core over 400 lines");
    }
}
