package org.grad4j.kernels;

/**
 * Elementwise functions of two inputs. Comparisons give 1 for true and 0 for false. The *_BACKWARD
 * ops are fused activation backwards (a = output gradient, b = the activation's output), as
 * PyTorch's tanh_backward / sigmoid_backward / threshold_backward: one pass instead of three.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE,
    /** a * (1 - b*b) */
    TANH_BACKWARD,
    /** a * b * (1 - b) */
    SIGMOID_BACKWARD,
    /** b > 0 ? a : 0 */
    RELU_BACKWARD
}
