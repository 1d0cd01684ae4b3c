package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grad4j.core.tools.GraphViz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DOT text of a graph, parsed back: node names, shapes, colours and edges; and rendering with dot. */
class GraphVizTest {

    /** A parsed DOT graph: node id → attributes (label unescaped), and edges "from -> to". */
    record Dot(Map<String, Map<String, String>> nodes, List<String[]> edges) {
        String label(String id) {
            return nodes.get(id).get("label");
        }

        /** Edges as "label of from -> label of to", labels' first lines. */
        Set<String> namedEdges() {
            Set<String> out = new TreeSet<>();
            for (String[] e : edges) out.add(first(label(e[0])) + " -> " + first(label(e[1])));
            return out;
        }

        private static String first(String label) {
            return label.split("\n", -1)[0].isEmpty() ? label.replace("\n", " ").strip() : label.split("\n")[0];
        }

        List<String> idsWith(String attr, String value) {
            List<String> out = new ArrayList<>();
            nodes.forEach((id, a) -> {
                if (value.equals(a.get(attr))) out.add(id);
            });
            return out;
        }
    }

    private static final Pattern NODE = Pattern.compile("^\\t(\\w+) \\[(.*)]$");
    private static final Pattern EDGE = Pattern.compile("^\\t(\\w+) -> (\\w+)(?: \\[(.*)])?$");
    private static final Pattern ATTR = Pattern.compile("(\\w+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^ ]+)");

    static Dot parse(String dot) {
        assertTrue(dot.startsWith("digraph {\n") && dot.endsWith("}\n"), dot);
        Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
        List<String[]> edges = new ArrayList<>();
        for (String line : dot.split("\n")) {
            Matcher e = EDGE.matcher(line);
            if (e.matches()) {
                edges.add(new String[] {e.group(1), e.group(2), e.group(3) == null ? "" : e.group(3)});
                continue;
            }
            Matcher n = NODE.matcher(line);
            if (n.matches() && !n.group(1).equals("graph") && !n.group(1).equals("node")) {
                Map<String, String> attrs = new HashMap<>();
                Matcher a = ATTR.matcher(n.group(2));
                while (a.find()) {
                    String v = a.group(2);
                    if (v.startsWith("\""))
                        v = v.substring(1, v.length() - 1).replace("\\n", "\n").replace("\\\"", "\"");
                    attrs.put(a.group(1), v);
                }
                nodes.put(n.group(1), attrs);
            }
        }
        for (String[] e : edges) {
            assertTrue(
                    nodes.containsKey(e[0]) && nodes.containsKey(e[1]),
                    "edge to an undeclared node: " + e[0] + " -> " + e[1]);
        }
        return new Dot(nodes, edges);
    }

    @Test
    void nodesAreNamedLikePyTorchAndEdgesFollowTheForward() {
        Tensor w = Tensor.randn(new Generator(1), 3, 2).requiresGrad_(),
                b = Tensor.zeros(2).requiresGrad_();
        Tensor x = Tensor.randn(new Generator(2), 4, 3);
        Tensor h = x.mm(w).add(b);
        h.retainGrad();
        Tensor loss = h.tanh().sum();
        Dot d = parse(GraphViz.makeDot(loss, Map.of("w", w, "b", b, "loss", loss), false));

        List<String> ops = new ArrayList<>();
        for (String id : d.idsWith("fillcolor", "lightgrey")) ops.add(d.label(id));
        assertEquals(
                new TreeSet<>(List.of("SumBackward0", "TanhBackward0", "AddBackward0", "MmBackward0")),
                new TreeSet<>(ops));
        List<String> leaves = new ArrayList<>();
        for (String id : d.idsWith("fillcolor", "lightblue")) leaves.add(d.label(id));
        assertEquals(new TreeSet<>(List.of("w\n(3, 2)", "b\n(2)")), new TreeSet<>(leaves));
        assertEquals(
                List.of("loss\n()"),
                d.idsWith("fillcolor", "darkolivegreen1").stream().map(d::label).toList());
        assertEquals(
                List.of("retains grad\n(4, 2)"),
                d.idsWith("fillcolor", "gold").stream().map(d::label).toList());
        assertEquals(
                new TreeSet<>(List.of(
                        "w -> MmBackward0",
                        "MmBackward0 -> AddBackward0",
                        "b -> AddBackward0",
                        "AddBackward0 -> TanhBackward0",
                        "TanhBackward0 -> SumBackward0",
                        "SumBackward0 -> loss",
                        "AddBackward0 -> retains grad")),
                d.namedEdges());
    }

    @Test
    void savedTensorsAreShownOnceWithDashedEdges() {
        Tensor a = Tensor.randn(new Generator(3), 2, 3).requiresGrad_();
        Tensor y = a.exp();
        Tensor loss = y.mul(y).sum(); // MulBackward0 saves y twice (as self and other); ExpBackward0 saves y too
        Dot d = parse(GraphViz.makeDot(loss, Map.of("a", a), true));
        List<String> saved = d.idsWith("fillcolor", "orange");
        assertEquals(1, saved.size(), "y is one tensor");
        assertEquals("saved\n(2, 3)", d.label(saved.get(0)));
        Set<String> savedEdges = new TreeSet<>();
        for (String[] e : d.edges()) {
            if (e[0].equals(saved.get(0))) {
                assertEquals("style=dashed dir=none", e[2]);
                savedEdges.add(d.label(e[1]));
            }
        }
        assertEquals(new TreeSet<>(List.of("ExpBackward0", "MulBackward0")), savedEdges);
        Dot named = parse(GraphViz.makeDot(loss, Map.of("y", y), true));
        assertEquals(
                "saved y\n(2, 3)",
                named.label(named.idsWith("fillcolor", "orange").get(0)));
        assertEquals(
                3,
                Pattern.compile("-> n\\d+ \\[style=dashed")
                        .matcher(GraphViz.makeDot(loss, Map.of(), true))
                        .results()
                        .count());
        // after a backward the graph keeps nothing: no saved boxes
        loss.backward();
        assertTrue(parse(GraphViz.makeDot(loss, Map.of(), true))
                .idsWith("fillcolor", "orange")
                .isEmpty());
    }

    @Test
    void aLeafRootIsOneBox() {
        Tensor w = Tensor.ones(2).requiresGrad_();
        Dot d = parse(GraphViz.makeDot(w));
        assertEquals(2, d.nodes().size()); // the AccumulateGrad box and the root box
        assertEquals(Set.of("(2) -> (2)"), d.namedEdges());
    }

    @Test
    void rendersSvgAndPngWhenDotIsInstalled(@TempDir Path dir) throws Exception {
        assumeTrue(GraphViz.isDotAvailable(), "Graphviz's dot is not on the PATH");
        Tensor w = Tensor.randn(new Generator(4), 3, 3).requiresGrad_();
        Tensor loss = w.tanh().mm(w).sum();
        Path svg = GraphViz.render(loss, Map.of("w", w), true, dir.resolve("g.svg"));
        String text = Files.readString(svg);
        assertTrue(text.contains("<svg") && text.contains("TanhBackward0") && text.contains("MmBackward0"), text);
        Path png = GraphViz.render(GraphViz.makeDot(loss), dir.resolve("g.png"));
        byte[] head = Files.readAllBytes(png);
        assertEquals((byte) 0x89, head[0]);
        assertEquals('P', head[1]);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GraphViz.render("digraph {}", dir.resolve("g.txt")));
        assertTrue(e.getMessage().contains("name the output *.svg, *.png or *.pdf"));
    }
}
