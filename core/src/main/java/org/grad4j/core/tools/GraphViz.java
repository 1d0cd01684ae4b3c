package org.grad4j.core.tools;

import static org.grad4j.core.TensorInternals.base;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.AutogradGraph;
import org.grad4j.core.autograd.Node;

/**
 * Pictures of the graph behind a tensor, like torchviz's {@code make_dot}: Graphviz DOT text, and an
 * SVG or PNG when Graphviz's {@code dot} is on the PATH (Debian: {@code apt-get install graphviz}).
 *
 * <p>Backward nodes are grey boxes named like PyTorch's ({@code MulBackward0}); leaves that require
 * grad are blue boxes with their name (when given) and shape; the root is green; a tensor that
 * {@code retainGrad()}s is a gold box hanging off its node; with {@code showSaved}, the tensors the
 * backward keeps are orange boxes joined to their nodes by dashed edges. Edges run as torchviz draws
 * them, in the forward direction (from an op's input to the op); gradients flow against them.
 */
public final class GraphViz {
    private GraphViz() {}

    /** The DOT text of the graph behind {@code root}, without names and saved tensors. */
    public static String makeDot(Tensor root) {
        return makeDot(root, Map.of(), false);
    }

    /**
     * @param params    names of tensors (parameters, inputs) for their boxes, as torchviz's {@code params}
     * @param showSaved also draw the tensors the backward keeps (torchviz's {@code show_saved})
     */
    public static String makeDot(Tensor root, Map<String, Tensor> params, boolean showSaved) {
        Map<Tensor, String> names = new IdentityHashMap<>();
        params.forEach((k, v) -> names.put(v, k));
        StringBuilder sb = new StringBuilder();
        sb.append("digraph {\n");
        sb.append("\tgraph [size=\"12,12\"]\n");
        sb.append("\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]\n");
        List<Node> nodes = AutogradGraph.nodes(root);
        Map<Node, String> ids = new IdentityHashMap<>();
        for (Node n : nodes) ids.put(n, "n" + ids.size());
        for (Node n : nodes) {
            String id = ids.get(n);
            Tensor v = AutogradGraph.variable(n);
            if (v != null) {
                String name = names.get(v);
                sb.append('\t')
                        .append(id)
                        .append(" [label=")
                        .append(quote((name == null ? "" : name) + "\n" + shape(v)))
                        .append(" fillcolor=lightblue]\n");
            } else {
                sb.append('\t')
                        .append(id)
                        .append(" [label=")
                        .append(quote(n.name()))
                        .append(" fillcolor=lightgrey]\n");
            }
            for (Node m : n.nextFunctions())
                sb.append('\t').append(ids.get(m)).append(" -> ").append(id).append('\n');
            Tensor t = AutogradGraph.retainedGradOf(n);
            if (t != null && t != root) {
                String tid = id + "_retained";
                String name = names.get(t);
                sb.append('\t')
                        .append(tid)
                        .append(" [label=")
                        .append(quote((name == null ? "" : name + " ") + "retains grad\n" + shape(t)))
                        .append(" fillcolor=gold]\n");
                sb.append('\t').append(id).append(" -> ").append(tid).append(" [style=dotted]\n");
            }
        }
        if (showSaved) {
            Map<Tensor, String> savedIds = new IdentityHashMap<>(); // a tensor saved by several nodes is drawn once
            for (Node n : nodes) {
                for (Tensor t : AutogradGraph.savedTensors(n)) {
                    String sid = savedIds.get(t);
                    if (sid == null) {
                        sid = "s" + savedIds.size();
                        savedIds.put(t, sid);
                        String name = names.get(t);
                        if (name == null && base(t) != null && names.get(base(t)) != null)
                            name = names.get(base(t)) + " (view)";
                        sb.append('\t')
                                .append(sid)
                                .append(" [label=")
                                .append(quote((name == null ? "saved" : "saved " + name) + "\n" + shape(t)))
                                .append(" fillcolor=orange]\n");
                    }
                    sb.append('\t')
                            .append(sid)
                            .append(" -> ")
                            .append(ids.get(n))
                            .append(" [style=dashed dir=none]\n");
                }
            }
        }
        String rootName = names.get(root);
        sb.append("\troot [label=")
                .append(quote((rootName == null ? "" : rootName) + "\n" + shape(root)))
                .append(" fillcolor=darkolivegreen1]\n");
        if (!nodes.isEmpty()) sb.append('\t').append(ids.get(nodes.get(0))).append(" -> root\n");
        sb.append("}\n");
        return sb.toString();
    }

    /** A shape as torchviz prints it: {@code (3, 4)}, {@code ()} for a 0-d tensor. */
    private static String shape(Tensor t) {
        StringBuilder sb = new StringBuilder("(");
        int[] shape = t.shape();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(')').toString();
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    // ---- rendering ---------------------------------------------------------------------------

    /** Whether Graphviz's {@code dot} can be run. */
    public static boolean isDotAvailable() {
        try {
            Process p =
                    new ProcessBuilder("dot", "-V").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Renders DOT text to {@code output} with {@code dot}; the format is the file's extension
     * ({@code .svg}, {@code .png}, {@code .pdf}).
     */
    public static Path render(String dot, Path output) {
        String file = output.getFileName().toString();
        int dotAt = file.lastIndexOf('.');
        String format = dotAt < 0 ? "" : file.substring(dotAt + 1).toLowerCase();
        if (!List.of("svg", "png", "pdf").contains(format)) {
            throw new IllegalArgumentException("GraphViz.render: cannot tell the format from '" + file
                    + "'; name the output *.svg, *.png or *.pdf");
        }
        List<String> cmd = new ArrayList<>(
                List.of("dot", "-T" + format, "-o", output.toAbsolutePath().toString()));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(dot.getBytes(StandardCharsets.UTF_8));
            }
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("GraphViz.render: dot failed on " + output + ": " + log.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(
                    "GraphViz.render: Graphviz's 'dot' could not be run (" + e.getMessage()
                            + "); install Graphviz (Debian/Ubuntu: apt-get install graphviz) or render the text of makeDot "
                            + "elsewhere",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("GraphViz.render: interrupted while dot was running", e);
        }
        if (!Files.exists(output)) throw new IllegalStateException("GraphViz.render: dot wrote no file " + output);
        return output;
    }

    /** makeDot, then render: the picture of the graph behind {@code root}. */
    public static Path render(Tensor root, Map<String, Tensor> params, boolean showSaved, Path output) {
        return render(makeDot(root, params, showSaved), output);
    }
}
