package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** The activation modules against PyTorch 2.13 (values from {@code nn.GELU()(x)} etc. in float32). */
class ActivationModulesTest {
    private static final Tensor X = Tensor.tensor(-3f, -1f, -0.5f, 0f, 0.5f, 1f, 3f);

    private static void assertClose(double[] want, Tensor got) {
        float[] g = got.toFloatArray();
        assertEquals(want.length, g.length);
        for (int i = 0; i < g.length; i++) assertEquals(want[i], g[i], 2e-6, "element " + i);
    }

    @Test
    void valuesMatchPyTorch() {
        assertClose(
                new double[] {-0.00405022502, -0.158655256, -0.154268771, 0, 0.345731229, 0.841344714, 2.99594975},
                new GELU().call(X));
        assertClose(
                new double[] {-0.00363743305, -0.158807993, -0.154285997, 0, 0.345714003, 0.841192007, 2.99636269},
                new GELU("tanh").call(X));
        assertClose(
                new double[] {-0.142277613, -0.268941432, -0.188770339, 0, 0.311229676, 0.731058598, 2.85772252},
                new SiLU().call(X));
        assertClose(new double[] {-0.6, -0.2, -0.1, 0, 0.5, 1, 3}, new LeakyReLU(0.2f).call(X));
        assertClose(
                new double[] {0.00123784260, 0.0634640008, 0.156630844, 0.346573591, 0.656630814, 1, 3},
                new Softplus(2f, 1f).call(X));
    }

    @Test
    void recordsTheFunctionalNodes() {
        Tensor x = X.detach().requiresGrad_();
        assertEquals("GeluBackward0", new GELU("tanh").call(x).gradFn().name());
        assertEquals("SiluBackward0", new SiLU().call(x).gradFn().name());
        assertEquals("LeakyReluBackward0", new LeakyReLU().call(x).gradFn().name());
        assertEquals("SoftplusBackward0", new Softplus().call(x).gradFn().name());
    }

    @Test
    void printsLikePyTorch() {
        assertEquals("GELU(approximate='none')", new GELU().toString());
        assertEquals("GELU(approximate='tanh')", new GELU("tanh").toString());
        assertEquals("SiLU()", new SiLU().toString());
        assertEquals("LeakyReLU(negative_slope=0.01)", new LeakyReLU().toString());
        assertEquals("Softplus(beta=1.0, threshold=20.0)", new Softplus().toString());
    }

    @Test
    void geluRefusesAnUnknownApproximation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GELU("fast"));
        assertEquals("GELU: approximate argument must be either none or tanh, got 'fast'", e.getMessage());
    }
}
