package org.grad4j.kernels;

/**
 * How the JVM backend's Vector API loops ({@code kernels.jvm.VectorElementwise}) compute an
 * elementwise op on unit-stride rows; every other row, and every op of form {@link #NONE}, runs the
 * op's scalar formula. {@code ElementwiseTableTest} checks each op's claim.
 */
public enum VectorForm {
    /** No vector loop: the scalar formula runs (log, sign, comparisons, pow with a tensor exponent...). */
    NONE(0),
    /** Lanewise Vector API arithmetic giving the scalar formula's exact bits. */
    EXACT(0),
    /**
     * {@code VectorMath}'s Cephes polynomials (exp, tanh, sigmoid): within {@link #ulps()} of the
     * scalar formula, results below {@link Float#MIN_NORMAL} flushed to zero; the same bits in every
     * JIT mode, unlike the Vector API's own EXP/TANH.
     */
    POLYNOMIAL(2);

    private final int ulps;

    VectorForm(int ulps) {
        this.ulps = ulps;
    }

    /** The largest distance from the scalar formula, in units in the last place. */
    public int ulps() {
        return ulps;
    }
}
