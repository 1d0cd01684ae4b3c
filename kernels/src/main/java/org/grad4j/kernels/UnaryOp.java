package org.grad4j.kernels;

/**
 * Elementwise functions of one input, and the table every backend takes their meaning from: each op
 * carries its scalar formula ({@link #apply}, what the JVM backend's scalar loops call and every
 * other kernel is tested against), its {@link VectorForm} on the JVM backend, and its device
 * {@link #code()} (a named constant of {@link Code}, for kernels that cannot use an enum).
 * {@code p0}, {@code p1} are the op's scalar parameters.
 */
public enum UnaryOp {
    NEG(Code.NEG, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return -x;
        }
    },
    /** Vector form: {@code VectorMath.exp}. */
    EXP(Code.EXP, VectorForm.POLYNOMIAL) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) Math.exp(x);
        }
    },
    LOG(Code.LOG, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) Math.log(x);
        }
    },
    SQRT(Code.SQRT, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) Math.sqrt(x);
        }
    },
    ABS(Code.ABS, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return Math.abs(x);
        }
    },
    /** Vector form: {@code VectorMath.tanh}. */
    TANH(Code.TANH, VectorForm.POLYNOMIAL) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) Math.tanh(x);
        }
    },
    /** 1 / (1 + exp(-x)); vector form: {@code VectorMath.sigmoid}. */
    SIGMOID(Code.SIGMOID, VectorForm.POLYNOMIAL) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) (1.0 / (1.0 + Math.exp(-x)));
        }
    },
    /** max(x, 0): NaN kept (as PyTorch), -0 gives +0. */
    RELU(Code.RELU, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return Math.max(x, 0f); // branch-free once compiled, where a test on the sign mispredicts
        }
    },
    SIGN(Code.SIGN, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return Math.signum(x);
        }
    },
    /** x^p0 as {@link BinaryOp#POW} (x·x and x exactly for p0 = 2 and 1); vector form for p0 = 2 only. */
    POW(Code.POW, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return p0 == 2f ? x * x : p0 == 1f ? x : BinaryOp.POW.apply(x, p0);
        }
    },
    /** p0^x as {@link BinaryOp#POW}. */
    POW_BASE(Code.POW_BASE, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return BinaryOp.POW.apply(p0, x);
        }
    },
    /** p0·x + p1. */
    AFFINE(Code.AFFINE, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return p0 * x + p1;
        }
    },
    /** min(max(x, p0), p1), a NaN bound meaning "no bound". */
    CLAMP(Code.CLAMP, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            float v = x;
            if (p0 == p0 && v < p0) v = p0;
            if (p1 == p1 && v > p1) v = p1;
            return v;
        }
    },
    RECIPROCAL(Code.RECIPROCAL, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return 1f / x;
        }
    },
    /** x / (1 + exp(-x)), as PyTorch's silu kernel. */
    SILU(Code.SILU, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return (float) (x / (1.0 + Math.exp(-x)));
        }
    },
    /** The error function, {@link #erf(float)}. */
    ERF(Code.ERF, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return erf(x);
        }
    },
    /** Exact GELU, x/2 · (1 + erf(x/√2)), as PyTorch's (approximate="none"). */
    GELU(Code.GELU, VectorForm.EXACT) {
        @Override
        public float apply(float x, float p0, float p1) {
            return 0.5f * x * (1f + erf(x * SQRT1_2));
        }
    },
    /** GELU's tanh approximation, x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's (approximate="tanh"). */
    GELU_TANH(Code.GELU_TANH, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            float inner = GELU_BETA * (x + GELU_KAPPA * (x * x * x));
            return 0.5f * x * (1f + (float) Math.tanh(inner));
        }
    },
    /** log(1 + exp(p0·x)) / p0, and x itself where p0·x > p1 (beta, threshold), as PyTorch's softplus. */
    SOFTPLUS(Code.SOFTPLUS, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            float bx = x * p0;
            return bx > p1 ? x : (float) Math.log1p(Math.exp(bx)) / p0;
        }
    },
    /** x where x > 0, else p0·x (the negative slope); NaN kept. */
    LEAKY_RELU(Code.LEAKY_RELU, VectorForm.NONE) {
        @Override
        public float apply(float x, float p0, float p1) {
            return x > 0f ? x : x * p0;
        }
    };

    /** 1/√2, √(2/π) and the cubic coefficient of GELU's tanh form (PyTorch's M_SQRT1_2, kBeta, kKappa). */
    public static final float SQRT1_2 = 0.70710678118654752440f,
            GELU_BETA = 0.79788456080286535588f,
            GELU_KAPPA = 0.044715f;

    /**
     * erf in float arithmetic: N. Juffa's minimax erff (two polynomials split at |x| = 0.927734375, the
     * outer one as 1 - exp(p(|x|))), within 1 ulp of the true value over all floats. The device kernels
     * compute the same polynomials.
     */
    public static float erf(float a) {
        float t = Math.abs(a), s = a * a, r;
        if (t > 0.927734375f) {
            r = Math.fma(-1.72853470e-5f, t, 3.83197126e-4f);
            float u = Math.fma(-3.88396438e-3f, t, 2.42546219e-2f);
            r = Math.fma(r, s, u);
            r = Math.fma(r, t, -1.06777877e-1f);
            r = Math.fma(r, t, -6.34846687e-1f);
            r = Math.fma(r, t, -1.28717512e-1f);
            r = Math.fma(r, t, -t);
            r = 1f - (float) Math.exp(r);
            return Math.copySign(r, a);
        }
        r = -5.96761703e-4f;
        r = Math.fma(r, s, 4.99119423e-3f);
        r = Math.fma(r, s, -2.67681349e-2f);
        r = Math.fma(r, s, 1.12819925e-1f);
        r = Math.fma(r, s, -3.76125336e-1f);
        r = Math.fma(r, s, 1.28379166e-1f);
        return Math.fma(r, a, a);
    }

    /**
     * exp in float arithmetic, the JVM backend's vector exp (Cephes' expf: n = round(x·log2 e), a degree-6
     * polynomial of the remainder, 2^n in two halves) lane for lane, so a scalar formula that uses it and
     * a vector loop give the same bits; results below {@code EXP_LO} are 0, above {@code EXP_HI} infinity.
     */
    public static float expf(float a) {
        if (a > EXP_HI) return Float.POSITIVE_INFINITY;
        if (a < EXP_LO) return 0f;
        float c = Math.min(Math.max(a, EXP_LO), EXP_HI);
        float t = Math.fma(c, EXP_LOG2E, 0.5f);
        float tr = (float) (int) t;
        float n = tr > t ? tr - 1f : tr;
        float r = Math.fma(n, -EXP_LN2_HI, c) + n * -EXP_LN2_LO;
        float y = Math.fma(r, EXP_P[0], EXP_P[1]);
        for (int i = 2; i < EXP_P.length; i++) y = Math.fma(y, r, EXP_P[i]);
        y = Math.fma(y, r * r, r) + 1f;
        int ni = (int) n, h = ni >> 1;
        return y * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((ni - h + 127) << 23);
    }

    /** {@link #expf}'s range (below EXP_LO the result would be subnormal: flushed to 0) and constants. */
    public static final float EXP_HI = 88.72283935546875f,
            EXP_LO = -87.33654f,
            EXP_LOG2E = 1.44269504088896341f,
            EXP_LN2_HI = 0.693359375f,
            EXP_LN2_LO = -2.12194440e-4f;

    private static final float[] EXP_P = {
        1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f
    };

    /**
     * The device codes, one named constant per op (compile-time constants, so device kernels can
     * switch on them). They start at 1, not at the ops' positions: a parameter block whose code was
     * never set selects no op, and a code taken from {@code ordinal()} by mistake fails the tests.
     */
    public static final class Code {
        private Code() {}

        public static final int NEG = 1,
                EXP = 2,
                LOG = 3,
                SQRT = 4,
                ABS = 5,
                TANH = 6,
                SIGMOID = 7,
                RELU = 8,
                SIGN = 9,
                POW = 10,
                POW_BASE = 11,
                AFFINE = 12,
                CLAMP = 13,
                RECIPROCAL = 14,
                SILU = 15,
                ERF = 16,
                GELU = 17,
                GELU_TANH = 18,
                SOFTPLUS = 19,
                LEAKY_RELU = 20;
    }

    private final int code;
    private final VectorForm vectorForm;

    UnaryOp(int code, VectorForm vectorForm) {
        this.code = code;
        this.vectorForm = vectorForm;
    }

    /** The op's scalar formula: the value of one output element. */
    public abstract float apply(float x, float p0, float p1);

    /** The device code, the constant of {@link Code} named as this op. */
    public int code() {
        return code;
    }

    public VectorForm vectorForm() {
        return vectorForm;
    }
}
