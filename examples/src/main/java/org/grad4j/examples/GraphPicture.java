package org.grad4j.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
import org.grad4j.core.tools.GraphViz;

/**
 * Draws the graph of a 2-layer MLP's cross-entropy loss (Linear(4, 8) → ReLU → Linear(8, 3)), like
 * torchviz's make_dot: writes {@code docs/mlp-loss-graph.dot}, and the SVG and PNG when Graphviz's
 * {@code dot} is installed. Argument: the output folder (default {@code docs}).
 */
public final class GraphPicture {
    private GraphPicture() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "docs");
        Files.createDirectories(dir);
        Generator gen = new Generator(0);
        Tensor w1 = Tensor.randn(gen, 8, 4).requiresGrad_(),
                b1 = Tensor.zeros(8).requiresGrad_();
        Tensor w2 = Tensor.randn(gen, 3, 8).requiresGrad_(),
                b2 = Tensor.zeros(3).requiresGrad_();
        Tensor x = Tensor.randn(gen, 5, 4), target = Tensor.indices(0, 2, 1, 1, 0);

        Tensor hidden = F.relu(Torch.addmm(b1, x, w1.t()));
        hidden.retainGrad(); // shown as a gold box
        Tensor loss = F.crossEntropy(Torch.addmm(b2, hidden, w2.t()), target);

        Map<String, Tensor> names = new LinkedHashMap<>();
        names.put("w1", w1);
        names.put("b1", b1);
        names.put("w2", w2);
        names.put("b2", b2);
        names.put("x", x);
        names.put("hidden", hidden);
        names.put("loss", loss);
        String dot = GraphViz.makeDot(loss, names, true);
        Files.writeString(dir.resolve("mlp-loss-graph.dot"), dot);
        System.out.println(dot);
        if (GraphViz.isDotAvailable()) {
            System.out.println("wrote " + GraphViz.render(dot, dir.resolve("mlp-loss-graph.svg")));
            System.out.println("wrote " + GraphViz.render(dot, dir.resolve("mlp-loss-graph.png")));
        } else {
            System.out.println("Graphviz's dot is not on the PATH: only the .dot file was written");
        }
    }
}
