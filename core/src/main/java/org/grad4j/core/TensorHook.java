package org.grad4j.core;

/**
 * Called with a tensor's gradient during backward (PyTorch's {@code register_hook}). Return a tensor
 * to replace the gradient, or null to keep it.
 */
@FunctionalInterface
public interface TensorHook {
    Tensor apply(Tensor grad);
}
