package org.grad4j.core;

/**
 * A post-hook of a backward node ({@code grad_fn.register_hook} in PyTorch), called after the node
 * ran. {@code gradInputs} are the gradients it computed for its inputs (one per input of the forward
 * op, null where none is needed); {@code gradOutputs} the gradient it received (one entry). Return
 * replacement gradInputs (same length and shapes; null entries allowed), or null to keep them.
 */
@FunctionalInterface
public interface NodeHook {
    Tensor[] apply(Tensor[] gradInputs, Tensor[] gradOutputs);
}
