package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * silu, gelu (exact and tanh), erf, softplus and leaky_relu against PyTorch: values, first derivatives
 * and the derivative of the summed first derivative (double backward), and what they do with special
 * values.
 *
 * <p>Reference numbers: PyTorch 2.13.0 (CPU wheel), float32, for x below:
 * {@code y = f(x); g, = autograd.grad(y.sum(), x, create_graph=True); gg, = autograd.grad(g.sum(), x)}.
 */
class TransformerActivationsTest {
    private static final float[] X = {-5f, -2.5f, -1f, -0.5f, -1e-3f, 0f, 0.3f, 1f, 2.2f, 4f, 12f};

    static Stream<Arguments> pytorch() {
        return Stream.of(
                Arguments.of(
                        "silu",
                        "SiluBackward0",
                        (UnaryOperator<Tensor>) F::silu,
                        new float[] {
                            -0.033464252948760986f,
                            -0.189645454287529f,
                            -0.2689414322376251f,
                            -0.1887703388929367f,
                            -0.0004997500218451023f,
                            0.0f,
                            0.172332763671875f,
                            0.7310585975646973f,
                            1.9805489778518677f,
                            3.9280550479888916f,
                            11.99992561340332f
                        },
                        new float[] {
                            -0.02654743380844593f,
                            -0.09940110146999359f,
                            0.07232948392629623f,
                            0.260038822889328f,
                            0.49950000643730164f,
                            0.5f,
                            0.6477799415588379f,
                            0.9276705384254456f,
                            1.09781014919281f,
                            1.0526646375656128f,
                            1.000068187713623f
                        },
                        new float[] {
                            -0.01949922926723957f,
                            -0.008462153375148773f,
                            0.30236613750457764f,
                            0.4412290155887604f,
                            0.4999997317790985f,
                            0.5f,
                            0.4779977798461914f,
                            0.30236610770225525f,
                            0.021453477442264557f,
                            -0.032783977687358856f,
                            -6.19875208940357e-05f
                        }),
                Arguments.of(
                        "gelu",
                        "GeluBackward0",
                        (UnaryOperator<Tensor>) F::gelu,
                        new float[] {
                            -1.1920928955078125e-06f,
                            -0.015524178743362427f,
                            -0.15865525603294373f,
                            -0.1542687714099884f,
                            -0.0004996010684408247f,
                            0.0f,
                            0.1853734403848648f,
                            0.8413447141647339f,
                            2.16941237449646f,
                            3.999873638153076f,
                            12.0f
                        },
                        new float[] {
                            -7.12275505065918e-06f,
                            -0.03761106729507446f,
                            -0.08331543207168579f,
                            0.1325049102306366f,
                            0.4992021918296814f,
                            0.5f,
                            0.7323277592658997f,
                            1.083315372467041f,
                            1.0641406774520874f,
                            1.000503659248352f,
                            1.0f
                        },
                        new float[] {
                            -3.419454878894612e-05f,
                            -0.07449528574943542f,
                            0.2419707328081131f,
                            0.6161143183708191f,
                            0.7978838086128235f,
                            0.7978845834732056f,
                            0.7284507751464844f,
                            0.2419707328081131f,
                            -0.10074783861637115f,
                            -0.001873623114079237f,
                            -3.0478648229250412e-30f
                        }),
                Arguments.of(
                        "gelu tanh",
                        "GeluBackward0",
                        (UnaryOperator<Tensor>) x -> F.gelu(x, "tanh"),
                        new float[] {
                            -2.980232238769531e-07f,
                            -0.015084296464920044f,
                            -0.15880799293518066f,
                            -0.1542859971523285f,
                            -0.0004996010684408247f,
                            0.0f,
                            0.18537093698978424f,
                            0.8411920070648193f,
                            2.1696784496307373f,
                            3.999929904937744f,
                            12.0f
                        },
                        new float[] {
                            -2.010875732594286e-06f,
                            -0.03795165196061134f,
                            -0.08296409249305725f,
                            0.1326301097869873f,
                            0.4992021322250366f,
                            0.5f,
                            0.7322955131530762f,
                            1.0829640626907349f,
                            1.0649189949035645f,
                            1.0003349781036377f,
                            1.0f
                        },
                        new float[] {
                            -9.595456504030153e-06f,
                            -0.0762452706694603f,
                            0.24214822053909302f,
                            0.6155069470405579f,
                            0.7978837490081787f,
                            0.7978845834732056f,
                            0.7281484007835388f,
                            0.24214822053909302f,
                            -0.10170760005712509f,
                            -0.0014741872437298298f,
                            0.0f
                        }),
                Arguments.of(
                        "erf",
                        "ErfBackward0",
                        (UnaryOperator<Tensor>) Tensor::erf,
                        new float[] {
                            -1.0f,
                            -0.9995930194854736f,
                            -0.8427007794380188f,
                            -0.5204998850822449f,
                            -0.001128378789871931f,
                            0.0f,
                            0.3286267817020416f,
                            0.8427007794380188f,
                            0.9981371760368347f,
                            1.0f,
                            1.0f
                        },
                        new float[] {
                            1.5670867381523124e-11f, 0.002178284339606762f, 0.41510751843452454f, 0.8787826299667358f,
                            1.1283780336380005f, 1.128379225730896f, 1.0312609672546387f, 0.41510751843452454f,
                            0.008922154083848f, 1.2698235707375716e-07f, 0.0f
                        },
                        new float[] {
                            1.5670867381523124e-10f,
                            0.01089142169803381f,
                            0.8302150368690491f,
                            0.8787826299667358f,
                            0.0022567561827600002f,
                            -0.0f,
                            -0.6187565922737122f,
                            -0.8302150368690491f,
                            -0.0392574779689312f,
                            -1.0158588565900573e-06f,
                            -0.0f
                        }),
                Arguments.of(
                        "softplus",
                        "SoftplusBackward0",
                        (UnaryOperator<Tensor>) F::softplus,
                        new float[] {
                            0.006715348456054926f, 0.07888973504304886f, 0.3132616877555847f, 0.4740769863128662f,
                            0.6926472783088684f, 0.6931471824645996f, 0.8543552756309509f, 1.31326162815094f,
                            2.3050832748413086f, 4.0181498527526855f, 12.000005722045898f
                        },
                        new float[] {
                            0.006692850962281227f,
                            0.07585817575454712f,
                            0.2689414322376251f,
                            0.3775406777858734f,
                            0.4997499883174896f,
                            0.5f,
                            0.5744425654411316f,
                            0.7310585975646973f,
                            0.9002495408058167f,
                            0.9820137619972229f,
                            0.9999938607215881f
                        },
                        new float[] {
                            0.006648056674748659f, 0.0701037123799324f, 0.1966119408607483f, 0.23500370979309082f,
                            0.24999994039535522f, 0.25f, 0.24445831775665283f, 0.1966119259595871f,
                            0.08980030566453934f, 0.017662733793258667f, 6.1988448578631505e-06f
                        }),
                Arguments.of(
                        "softplus beta 2, threshold 1",
                        "SoftplusBackward0",
                        (UnaryOperator<Tensor>) x -> F.softplus(x, 2f, 1f),
                        new float[] {
                            2.2699450710206293e-05f,
                            0.003357674228027463f,
                            0.06346400082111359f,
                            0.15663084387779236f,
                            0.34607383608818054f,
                            0.3465735912322998f,
                            0.5187439918518066f,
                            1.0f,
                            2.200000047683716f,
                            4.0f,
                            12.0f
                        },
                        new float[] {
                            4.539786823443137e-05f,
                            0.006692850962281227f,
                            0.11920291930437088f,
                            0.2689414322376251f,
                            0.49949997663497925f,
                            0.5f,
                            0.6456563472747803f,
                            1.0f,
                            1.0f,
                            1.0f,
                            1.0f
                        },
                        new float[] {
                            9.079161827685311e-05f,
                            0.013296113349497318f,
                            0.20998716354370117f,
                            0.3932238817214966f,
                            0.499999463558197f,
                            0.5f,
                            0.457568496465683f,
                            0.0f,
                            0.0f,
                            0.0f,
                            0.0f
                        }),
                Arguments.of(
                        "leakyRelu 0.2",
                        "LeakyReluBackward0",
                        (UnaryOperator<Tensor>) x -> F.leakyRelu(x, 0.2f),
                        new float[] {
                            -1.0f,
                            -0.5f,
                            -0.20000000298023224f,
                            -0.10000000149011612f,
                            -0.00020000000949949026f,
                            0.0f,
                            0.30000001192092896f,
                            1.0f,
                            2.200000047683716f,
                            4.0f,
                            12.0f
                        },
                        new float[] {0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 1f, 1f, 1f, 1f, 1f},
                        new float[11]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pytorch")
    void valuesAndFirstAndSecondDerivativesMatchPyTorch(
            String name, String gradFn, UnaryOperator<Tensor> f, float[] y, float[] g, float[] gg) {
        Tensor x = Tensor.of(X.clone(), X.length).requiresGrad_();
        Tensor out = f.apply(x);
        assertEquals(gradFn, out.gradFn().name(), name);
        assertClose(y, out, name + " values");
        Tensor d1 = Autograd.grad(out.sum(), x, true);
        assertClose(g, d1, name + " first derivative");
        // leaky_relu's derivative is flat in x: no graph to differentiate, a zero second derivative
        assertClose(
                gg, d1.requiresGrad() ? Autograd.grad(d1.sum(), x) : Tensor.zerosLike(x), name + " second derivative");
    }

    private static void assertClose(float[] expected, Tensor actual, String what) {
        float[] a = actual.toFloatArray();
        assertEquals(expected.length, a.length, what);
        for (int i = 0; i < a.length; i++) {
            float tol = 2e-6f + 2e-6f * Math.abs(expected[i]);
            assertTrue(
                    Math.abs(expected[i] - a[i]) <= tol,
                    what + " at x = " + X[i] + ": PyTorch " + expected[i] + ", got " + a[i]);
        }
    }

    /** PyTorch 2.13.0 on (NaN, inf, -inf, -0, -100, 100), except where noted. */
    @Test
    void specialValuesAsPyTorch() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {nan, inf, -inf, -0f, -100f, 100f}, 6);
        assertArrayEquals(
                new float[] {nan, inf, nan, -0f, -0f, 100f}, F.gelu(x, "tanh").toFloatArray());
        assertArrayEquals(new float[] {nan, 1f, -1f, -0f, -1f, 1f}, x.erf().toFloatArray());
        assertArrayEquals(
                new float[] {nan, inf, -inf, -0f, -20f, 100f},
                F.leakyRelu(x, 0.2f).toFloatArray());
        assertArrayEquals(
                new float[] {nan, inf, 0f, 0.6931471824645996f, 3.783505853677006e-44f, 100f},
                F.softplus(x).toFloatArray());
        assertArrayEquals(
                new float[] {nan, inf, 0f, 0.3465735912322998f, 0f, 100f},
                F.softplus(x, 2f, 1f).toFloatArray());
        // PyTorch gives gelu(inf) = NaN from its vectorised erf; the exact formula's limit, inf, is kept.
        assertArrayEquals(new float[] {nan, inf, nan, -0f, -0f, 100f}, F.gelu(x).toFloatArray());
        // PyTorch's silu(-100) is -0 (exp overflows in float); the formula in double gives the subnormal
        // -100/e^100, which rounds to -3.7e-42.
        float[] silu = F.silu(x).toFloatArray();
        assertArrayEquals(new float[] {nan, inf, nan, -0f}, java.util.Arrays.copyOf(silu, 4));
        assertTrue(silu[4] <= 0f && silu[4] > -1e-41f, "silu(-100) = " + silu[4]);
        assertEquals(100f, silu[5]);
    }

    @Test
    void geluRefusesAnUnknownApproximationAndRecordsNothing() {
        Tensor x = Tensor.of(new float[] {-1f, 0.5f}, 2).requiresGrad_();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.gelu(x, "erf"));
        assertEquals("gelu: approximate argument must be either none or tanh, got 'erf'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.gelu(x, null));
        assertArrayEquals(new float[] {-1f, 0.5f}, x.toFloatArray());
        assertNull(x.grad());
        assertNull(x.gradFn());
    }

    /**
     * Exact GELU's gradient is one fused gelu_backward node, recorded as PyTorch records it, whose own
     * gradients (in the output gradient and in x) match PyTorch's.
     */
    @Test
    void geluBackwardIsOneNodeDifferentiableAgain() {
        Tensor x =
                Tensor.of(new float[] {-3f, -1f, -0.25f, 0f, 0.5f, 2f, 6f}, 7).requiresGrad_();
        Tensor w = Tensor.arange(7);
        Tensor d1 = Autograd.grad(F.gelu(x).mul(w).sum(), x, true);
        assertEquals("GeluBackwardBackward0", d1.gradFn().name());
        // torch.autograd.grad(gelu(x).mul(arange(7.)).sum(), x, create_graph=True)
        assertArrayEquals(
                new float[] {-0f, -0.08331543f, 0.60925341f, 1.5f, 3.46998024f, 5.42615938f, 6f},
                d1.toFloatArray(),
                1e-5f);
        assertArrayEquals(
                new float[] {-0f, 0.241970733f, 1.49833894f, 2.39365387f, 2.46445727f, -0.539909661f, -1.23948007e-06f},
                Autograd.grad(d1.sum(), x).toFloatArray(),
                1e-5f);
        GradCheck.gradgradcheck(
                xs -> F.gelu(xs[0]).mul(xs[1]),
                Tensor.randn(3, 4).requiresGrad_(),
                Tensor.randn(3, 4).requiresGrad_());
    }

    /** The defaults are PyTorch's: approximate "none", beta 1 and threshold 20, negative slope 0.01. */
    @Test
    void defaultsAsPyTorch() {
        Tensor x = Tensor.of(new float[] {-3f, 0.7f, 25f}, 3);
        assertArrayEquals(F.gelu(x, "none").toFloatArray(), F.gelu(x).toFloatArray());
        assertArrayEquals(F.softplus(x, 1f, 20f).toFloatArray(), F.softplus(x).toFloatArray());
        assertArrayEquals(new float[] {-0.03f, 0.7f, 25f}, F.leakyRelu(x).toFloatArray(), 1e-9f);
    }
}
