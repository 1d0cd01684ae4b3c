package org.grad4j.kernels;

/** Elementwise functions of two inputs. Comparisons give 1 for true and 0 for false. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE
}
