package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.Function;
import org.grad4j.core.GradcheckTables.In;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;

/** The finite-difference checker itself rejects wrong first and second derivatives. */
class GradCheckTest {
    // =============================================================================================
    // The checker itself
    // =============================================================================================

    @Test
    void checkerRejectsAWrongGradient() {
        Tensor x = new In(99).randn(3, 4);
        // x * detach(x): the analytic gradient misses half of the true one (2x)
        assertThrows(AssertionError.class, () -> GradCheck.check(xs -> xs[0].mul(xs[0].detach()), x));
        GradCheck.check(xs -> xs[0].mul(xs[0]), x);
    }

    @Test
    void gradgradcheckRejectsAWrongSecondDerivative() {
        Tensor x = new In(98).randn(3, 4);
        // z = x^2 whose incoming gradient is cut from the graph by a hook: the first derivative of
        // z * x is right, the second misses the terms through the detached gradient
        Function<Tensor[], Tensor> fn = xs -> {
            Tensor z = xs[0].pow(2f);
            if (z.requiresGrad()) z.registerHook(g -> g.detach());
            return z.mul(xs[0]);
        };
        GradCheck.check(fn, x);
        assertThrows(AssertionError.class, () -> GradCheck.gradgradcheck(fn, x));
    }
}
