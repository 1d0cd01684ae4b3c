package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.stream.Stream;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * clamp with one side open, as {@code torch.clamp(x, min=m)}: a null bound is no bound, recorded as
 * ClampBackward1, while clampMin/clampMax stay PyTorch's clamp_min/clamp_max (their own grad_fn).
 * Values and names below are PyTorch's for x = [-1, 0.25, 0.75, 2].
 */
class ClampTest {

    private static Tensor x() {
        return Tensor.tensor(-1f, 0.25f, 0.75f, 2f).requiresGrad_();
    }

    @Test
    void everyMixOfBoundsCompilesAndClampsTheGivenSides() {
        Tensor x = x();
        Float lo = 0.5f, hi = 0.5f, none = null;
        assertValues(x.clamp(0f, 1f), 0, 0.25f, 0.75f, 1);
        assertValues(x.clamp(0, 1), 0, 0.25f, 0.75f, 1); // int literals widen to the float overload
        assertValues(x.clamp(0.5f, null), 0.5f, 0.5f, 0.75f, 2);
        assertValues(x.clamp(null, 0.5f), -1, 0.25f, 0.5f, 0.5f);
        assertValues(x.clamp(lo, 1f), 0.5f, 0.5f, 0.75f, 1);
        assertValues(x.clamp(0f, hi), 0, 0.25f, 0.5f, 0.5f);
        assertValues(x.clamp(lo, none), 0.5f, 0.5f, 0.75f, 2);
        assertValues(x.clamp(none, hi), -1, 0.25f, 0.5f, 0.5f);
        assertValues(Torch.clamp(x, 0.5f, null), 0.5f, 0.5f, 0.75f, 2);
        assertValues(Torch.clamp(x, null, 0.5f), -1, 0.25f, 0.5f, 0.5f);
        assertValues(Torch.clamp(x, lo, hi), 0.5f, 0.5f, 0.5f, 0.5f);
        assertValues(x.clamp(3f, 1f), 1, 1, 1, 1); // min > max: every element is max, as in PyTorch
    }

    static Stream<Arguments> gradFnNames() {
        Tensor x = x();
        return Stream.of(
                Arguments.of("ClampBackward1", x.clamp(0f, 1f)),
                Arguments.of("ClampBackward1", x.clamp(0.5f, null)),
                Arguments.of("ClampBackward1", x.clamp(null, 0.5f)),
                Arguments.of("ClampBackward1", Torch.clamp(x, 0.5f, null)),
                Arguments.of("ClampBackward1", x.mul(1f).clamp_(0.5f, null)),
                Arguments.of("ClampMinBackward0", x.clampMin(0.5f)),
                Arguments.of("ClampMaxBackward0", x.clampMax(0.5f)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradFnNames")
    void gradFnIsPyTorchs(String name, Tensor y) {
        assertEquals(name, y.gradFn().name());
    }

    @Test
    void bothBoundsNullIsPyTorchsError() {
        Tensor x = Tensor.tensor(-1f, 2f);
        String message = "clamp: At least one of 'min' or 'max' must not be None (null)";
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, () -> x.clamp(null, null))
                        .getMessage());
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, () -> Torch.clamp(x, null, null))
                        .getMessage());
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, () -> x.clamp_(null, null))
                        .getMessage());
        assertValues(x, -1, 2);
        assertEquals(0, x.version());
    }

    @Test
    void aNaNBoundGivesNaNAsInPyTorch() {
        // it used to mean "no bound on that side"
        Tensor x = x();
        for (Tensor y : new Tensor[] {
            x.clamp(Float.NaN, 1f),
            x.clamp(0f, Float.NaN),
            x.clamp(Float.NaN, null),
            x.clampMin(Float.NaN),
            x.clampMax(Float.NaN)
        }) {
            for (float v : y.toFloatArray()) assertTrue(Float.isNaN(v), y::toString);
            assertArrayEquals(
                    new float[4], Autograd.grad(y.sum(), x, false).toFloatArray()); // every comparison is false
        }
    }

    @Test
    void anInfiniteGradientStopsAtTheBound() {
        // PyTorch's rule is where(mask, grad, 0): an infinite (or NaN) gradient is 0 where clamped, not inf * 0 = NaN
        Tensor x = x(), inf = Tensor.full(Float.POSITIVE_INFINITY, 4);
        float i = Float.POSITIVE_INFINITY;
        assertArrayEquals(
                new float[] {0, i, i, 0},
                Autograd.grad(
                        new Tensor[] {x.clamp(0f, 1f)}, new Tensor[] {x}, new Tensor[] {inf}, false, false, false)[0]
                        .toFloatArray());
        assertArrayEquals(
                new float[] {0, 0, i, i},
                Autograd.grad(
                        new Tensor[] {x.clamp(0.5f, null)}, new Tensor[] {x}, new Tensor[] {inf}, false, false, false)[
                        0]
                        .toFloatArray());
    }

    /** Inputs at least 0.15 from every bound used below, so finite differences never cross one. */
    private static Tensor leaf() {
        return Tensor.tensor(-1.3f, -0.7f, -0.2f, 0.15f, 0.35f, 0.75f, 1.2f, 1.9f)
                .view(2, 4)
                .requiresGrad_();
    }

    static Stream<Arguments> gradchecks() {
        return Stream.of(
                Arguments.of("clamp(0.5, null)", (Function<Tensor[], Tensor>) xs -> xs[0].clamp(0.5f, null)),
                Arguments.of("clamp(null, 0.5)", (Function<Tensor[], Tensor>) xs -> xs[0].clamp(null, 0.5f)),
                Arguments.of("clamp(-0.5, 1) then square", (Function<Tensor[], Tensor>)
                        xs -> xs[0].clamp(-0.5f, 1f).pow(2f)),
                Arguments.of("clamp(null, 0) of x^3", (Function<Tensor[], Tensor>)
                        xs -> xs[0].pow(3f).clamp(null, 0f)),
                Arguments.of("clamp_(0, null) of 2x, then square", (Function<Tensor[], Tensor>)
                        xs -> xs[0].mul(2f).clamp_(0f, null).pow(2f)),
                Arguments.of("clampMin(0.5) then exp", (Function<Tensor[], Tensor>)
                        xs -> xs[0].clampMin(0.5f).exp()),
                Arguments.of("clampMax(0.5) times x", (Function<Tensor[], Tensor>)
                        xs -> xs[0].clampMax(0.5f).mul(xs[0])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradchecks")
    void gradcheckAndGradgradcheck(String name, Function<Tensor[], Tensor> fn) {
        GradCheck.check(fn, leaf());
        GradCheck.gradgradcheck(fn, leaf());
    }
}
