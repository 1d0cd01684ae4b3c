package org.grad4j.kernels;

/**
 * Elementwise functions of one input. {@code p0}, {@code p1} are the op's scalar parameters:
 * POW: x^p0; POW_BASE: p0^x; AFFINE: p0*x + p1; CLAMP: min(max(x, p0), p1) with NaN meaning "no bound".
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, TANH, SIGMOID, RELU, SIGN, POW, POW_BASE, AFFINE, CLAMP, RECIPROCAL
}
