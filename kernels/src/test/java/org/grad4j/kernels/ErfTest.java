package org.grad4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link UnaryOp#erf} against erf in double precision, on a dense sweep of floats. */
class ErfTest {
    /**
     * Every 97th float of [-4, 4] (about 22 million bit patterns, both signs, subnormals included) is
     * within 1 ulp of erf computed in double (Maclaurin series, exact to ~1e-13 there); beyond 4, erf
     * rounds to ±1 in float.
     */
    @Test
    void withinOneUlpOverADenseSweep() {
        double worst = 0;
        float worstX = 0;
        int top = Float.floatToRawIntBits(4f);
        for (int bits = 0; bits <= top; bits += 97) {
            for (float x : new float[] {Float.intBitsToFloat(bits), -Float.intBitsToFloat(bits)}) {
                double ref = erfSeries(x);
                double err = Math.abs(UnaryOp.erf(x) - ref) / Math.ulp((float) ref);
                if (err > worst) {
                    worst = err;
                    worstX = x;
                }
            }
        }
        assertTrue(worst <= 1.0, "erf is " + worst + " ulp off at " + worstX);
        for (float x = 4f; x < 40f; x += 0.125f) {
            assertEquals(1f, UnaryOp.erf(x), "erf(" + x + ")");
            assertEquals(-1f, UnaryOp.erf(-x), "erf(" + -x + ")");
        }
    }

    /** erf by its Maclaurin series, summed until the terms stop adding. */
    private static double erfSeries(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            double next = sum + term / (2 * n + 1);
            if (next == sum) break;
            sum = next;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
