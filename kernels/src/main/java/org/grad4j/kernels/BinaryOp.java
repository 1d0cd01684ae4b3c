package org.grad4j.kernels;

/**
 * Elementwise functions of two inputs, and their table, as {@link UnaryOp}'s: scalar formula
 * ({@link #apply}), {@link VectorForm} on the JVM backend (for unit-stride or broadcast-scalar
 * operands), device {@link #code()}. Comparisons give 1 for true and 0 for false. The *_BACKWARD ops
 * are fused activation backwards (a = output gradient, b = the activation's output), as PyTorch's
 * tanh_backward / sigmoid_backward / threshold_backward: one pass instead of three (GELU_BACKWARD: b
 * is the GELU's input, as gelu_backward's).
 */
public enum BinaryOp {
    ADD(Code.ADD, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a + b;
        }
    },
    SUB(Code.SUB, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a - b;
        }
    },
    MUL(Code.MUL, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a * b;
        }
    },
    DIV(Code.DIV, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a / b;
        }
    },
    /**
     * C's pow, as PyTorch's: Math.pow but for a base of 1, or of -1 to an infinite power, which give 1
     * (Math.pow: NaN). Its special cases are why it has no vector form.
     */
    POW(Code.POW, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a == 1f || (a == -1f && Math.abs(b) == Float.POSITIVE_INFINITY) ? 1f : (float) Math.pow(a, b);
        }
    },
    /** NaN wins; -0 < +0. */
    MAXIMUM(Code.MAXIMUM, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return Math.max(a, b);
        }
    },
    MINIMUM(Code.MINIMUM, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return Math.min(a, b);
        }
    },
    EQ(Code.EQ, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a == b ? 1f : 0f;
        }
    },
    NE(Code.NE, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a != b ? 1f : 0f;
        }
    },
    LT(Code.LT, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a < b ? 1f : 0f;
        }
    },
    LE(Code.LE, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a <= b ? 1f : 0f;
        }
    },
    GT(Code.GT, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a > b ? 1f : 0f;
        }
    },
    GE(Code.GE, VectorForm.NONE) {
        @Override
        public float apply(float a, float b) {
            return a >= b ? 1f : 0f;
        }
    },
    /** a * (1 - b*b) */
    TANH_BACKWARD(Code.TANH_BACKWARD, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a * (1f - b * b);
        }
    },
    /** a * b * (1 - b) */
    SIGMOID_BACKWARD(Code.SIGMOID_BACKWARD, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return a * b * (1f - b);
        }
    },
    /** b > 0 ? a : 0 */
    RELU_BACKWARD(Code.RELU_BACKWARD, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            return b > 0f ? a : 0f;
        }
    },
    /**
     * a * (Φ(b) + b·φ(b)): exact GELU's backward (b = the GELU's input), as PyTorch's gelu_backward
     * with approximate="none"; φ's exp is {@link UnaryOp#expf}, so the vector loop gives these bits.
     */
    GELU_BACKWARD(Code.GELU_BACKWARD, VectorForm.EXACT) {
        @Override
        public float apply(float a, float b) {
            float cdf = 0.5f * (1f + UnaryOp.erf(b * UnaryOp.SQRT1_2));
            float pdf = UnaryOp.expf(-0.5f * b * b) * INV_SQRT_2PI;
            return a * (cdf + b * pdf);
        }
    };

    /** 1/√(2π), φ(0). */
    public static final float INV_SQRT_2PI = 0.39894228040143267794f;

    /** The device codes, one named constant per op; from 1, as {@link UnaryOp.Code}'s and for the same reasons. */
    public static final class Code {
        private Code() {}

        public static final int ADD = 1,
                SUB = 2,
                MUL = 3,
                DIV = 4,
                POW = 5,
                MAXIMUM = 6,
                MINIMUM = 7,
                EQ = 8,
                NE = 9,
                LT = 10,
                LE = 11,
                GT = 12,
                GE = 13,
                TANH_BACKWARD = 14,
                SIGMOID_BACKWARD = 15,
                RELU_BACKWARD = 16,
                GELU_BACKWARD = 17;
    }

    private final int code;
    private final VectorForm vectorForm;

    BinaryOp(int code, VectorForm vectorForm) {
        this.code = code;
        this.vectorForm = vectorForm;
    }

    /** The op's scalar formula: the value of one output element. */
    public abstract float apply(float a, float b);

    /** The device code, the constant of {@link Code} named as this op. */
    public int code() {
        return code;
    }

    public VectorForm vectorForm() {
        return vectorForm;
    }
}
