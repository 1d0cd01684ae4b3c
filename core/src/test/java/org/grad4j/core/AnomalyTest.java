package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.autograd.AnomalyMode;
import org.junit.jupiter.api.Test;

/**
 * Anomaly mode: NaN/Inf produced in backward is an error that names the backward node, the forward
 * op, and the Java stack trace of where that op was created (for a double backward, also the node
 * whose backward recorded it).
 */
class AnomalyTest {

    private static Tensor forwardThatBreaks(Tensor x) {
        return x.sqrt().mul(2f); // sqrt'(0) = inf
    }

    @Test
    void theMessageNamesTheNodeTheForwardOpAndWhereItWasCreated() {
        Tensor x = Tensor.tensor(4f, 0f).requiresGrad_();
        ArithmeticException e;
        try (var s = Torch.detectAnomaly()) {
            Tensor y = forwardThatBreaks(x).sum();
            e = assertThrows(ArithmeticException.class, y::backward);
        }
        String m = e.getMessage();
        assertTrue(
                m.startsWith(
                        "Function 'SqrtBackward0' returned inf values in its 0th output. Error detected in "
                                + "SqrtBackward0, the backward of the forward op 'sqrt', which was created at (Java stack of the forward call):"),
                m);
        // the stack starts at the user's line that called the op (library frames dropped, as PyTorch shows
        // the Python line of the forward call)
        String firstFrame = m.split("\n")[1];
        assertTrue(
                firstFrame.startsWith("\tat org.grad4j.core.AnomalyTest.forwardThatBreaks(AnomalyTest.java:"),
                firstFrame);
        assertFalse(m.contains("org.grad4j.core.ops.Pointwise"), m);
        assertTrue(
                m.contains("\tat org.grad4j.core.AnomalyTest.theMessageNamesTheNodeTheForwardOpAndWhereItWasCreated("),
                m);
        assertTrue(m.contains("Check that op's inputs for values outside its domain"), m);
        // the creation trace is also the exception's cause, so a printed stack shows it
        assertNotNull(e.getCause());
        assertTrue(e.getCause().getStackTrace().length > 0);
    }

    @Test
    void withoutAnomalyModeNothingIsRecordedAndNanFlowsThrough() {
        Tensor x = Tensor.tensor(4f, 0f).requiresGrad_();
        Tensor y = forwardThatBreaks(x);
        assertNull(y.gradFn().creationStackTrace());
        y.sum().backward();
        assertTrue(Float.isInfinite(x.grad().toFloatArray()[1]));
        assertFalse(AnomalyMode.isEnabled());
    }

    @Test
    void aForwardOutsideAnomalyModeIsNamedAndTheFixIsGiven() {
        Tensor x = Tensor.tensor(-1f).requiresGrad_();
        Tensor y = x.log(); // NaN in forward; backward 1/x is finite, but then sqrt of NaN...
        Tensor z = y.sqrt().sum();
        ArithmeticException e;
        try (var s = Torch.detectAnomaly()) {
            e = assertThrows(ArithmeticException.class, z::backward);
        }
        assertTrue(
                e.getMessage()
                        .startsWith("Function 'SqrtBackward0' returned nan values in its 0th output. Error "
                                + "detected in SqrtBackward0, the backward of the forward op 'sqrt'. Run the forward pass inside "
                                + "Torch.detectAnomaly() too, to see where that op was created."),
                e.getMessage());
    }

    @Test
    void aDoubleBackwardNamesTheNodeWhoseBackwardRecordedTheFailingOp() {
        Tensor x = Tensor.scalar(0f).requiresGrad_();
        ArithmeticException e;
        try (var s = Torch.detectAnomaly()) {
            Tensor y = x.pow(1.5f); // y' = 1.5 x^0.5 is fine at 0; y'' = 0.75 x^-0.5 is not
            Tensor g = Autograd.grad(y, x, true);
            e = assertThrows(ArithmeticException.class, () -> Autograd.grad(g, x));
        }
        String m = e.getMessage();
        assertTrue(m.startsWith("Function 'PowBackward0' returned inf values"), m);
        assertTrue(
                m.contains(
                        "The op was recorded during the backward of PowBackward0 (createGraph), whose forward op 'pow' "
                                + "was created at:"),
                m);
        assertTrue(m.contains("AnomalyTest.aDoubleBackwardNamesTheNodeWhoseBackwardRecordedTheFailingOp("), m);
    }

    @Test
    void theScopeRestoresThePreviousSetting() {
        assertFalse(AnomalyMode.isEnabled());
        try (var outer = Torch.detectAnomaly()) {
            try (var inner = Torch.detectAnomaly()) {
                assertTrue(AnomalyMode.isEnabled());
            }
            assertTrue(AnomalyMode.isEnabled());
            Tensor t = Tensor.ones(1).requiresGrad_().mul(2f);
            assertNotNull(t.gradFn().creationStackTrace());
        }
        assertFalse(AnomalyMode.isEnabled());
    }
}
