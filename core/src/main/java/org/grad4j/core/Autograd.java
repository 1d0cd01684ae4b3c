package org.grad4j.core;

import org.grad4j.core.autograd.Engine;

/** The functional API of {@code torch.autograd}: gradients returned instead of accumulated. */
public final class Autograd {
    private Autograd() {}

    /**
     * Gradients of {@code outputs} with respect to {@code inputs} ({@code torch.autograd.grad}).
     *
     * @param gradOutputs one per output (the vector of the vector-Jacobian product), or null for
     *                    one-element outputs
     * @param retainGraph keep the graph for another backward
     * @param createGraph record the backward, so the result can be differentiated again
     * @param allowUnused return null for an input the outputs do not depend on, instead of failing
     */
    public static Tensor[] grad(
            Tensor[] outputs,
            Tensor[] inputs,
            Tensor[] gradOutputs,
            boolean retainGraph,
            boolean createGraph,
            boolean allowUnused) {
        if (gradOutputs != null && gradOutputs.length != outputs.length) {
            throw new IllegalArgumentException(
                    "grad: got " + gradOutputs.length + " gradOutputs for " + outputs.length + " outputs");
        }
        return Engine.grad(outputs, gradOutputs, inputs, allowUnused, new Engine.Options(retainGraph, createGraph));
    }

    /** {@code grad(output, input)} of a one-element output; {@code createGraph} implies retaining the graph. */
    public static Tensor grad(Tensor output, Tensor input, boolean createGraph) {
        return grad(new Tensor[] {output}, new Tensor[] {input}, null, createGraph, createGraph, false)[0];
    }

    /** {@code grad(output, input)} of a one-element output, freeing the graph. */
    public static Tensor grad(Tensor output, Tensor input) {
        return grad(output, input, false);
    }

    /** Gradients of a one-element output with respect to several inputs. */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(new Tensor[] {output}, inputs, null, false, false, false);
    }
}
