package org.grad4j.kernels;

/**
 * Reductions. MAX/MIN also report the position of the first extreme element (NaN wins, as in PyTorch).
 * Each carries its device {@link #code()}, a named constant of {@link Code} (from 1, as the
 * elementwise ops' codes).
 */
public enum ReduceOp {
    SUM(Code.SUM),
    MAX(Code.MAX),
    MIN(Code.MIN);

    /** The device codes, one named constant per reduction. */
    public static final class Code {
        private Code() {}

        public static final int SUM = 1, MAX = 2, MIN = 3;
    }

    private final int code;

    ReduceOp(int code) {
        this.code = code;
    }

    /** The device code, the constant of {@link Code} named as this reduction. */
    public int code() {
        return code;
    }
}
