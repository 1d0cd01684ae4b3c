package org.grad4j.core;

import static org.grad4j.core.Asserts.assertShape;
import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The arguments of the indexing views (narrow, slice, select, Slice, asStrided) are checked as PyTorch
 * checks them: narrow's bounds are errors, never clamped; slice's huge steps do not wrap. Bad
 * arguments leave the tensor as it was.
 */
class NarrowTest {

    private static Tensor x32() {
        return Tensor.arange(6).reshape(3, 2);
    }

    private static <T extends Throwable> void fails(Class<T> type, String message, Tensor x, Executable call) {
        float[] before = x.toFloatArray();
        int version = x.version();
        assertEquals(message, assertThrows(type, call).getMessage());
        assertArrayEquals(before, x.toFloatArray());
        assertEquals(version, x.version());
    }

    @Test
    void narrowTakesANegativeStartFromTheEnd() {
        Tensor x = x32();
        assertValues(x.narrow(0, -1, 1), 4, 5); // PyTorch: the last row
        assertValues(x.narrow(0, -3, 2), 0, 1, 2, 3);
        assertValues(x.narrow(1, -1, 1), 1, 3, 5);
        assertShape(x.narrow(0, 3, 0), 0, 2); // start == size with length 0: empty, as PyTorch allows
        assertShape(x.narrow(0, -3, 0), 0, 2);
    }

    @Test
    void narrowRejectsALengthBeyondTheDimension() {
        Tensor x = x32();
        fails(
                IllegalArgumentException.class,
                "narrow(): start (2) + length (5) exceeds dimension size (3).",
                x,
                () -> x.narrow(0, 2, 5));
        fails(
                IllegalArgumentException.class,
                "narrow(): start (2) + length (2) exceeds dimension size (3).",
                x,
                () -> x.narrow(0, -1, 2));
        fails(
                IllegalArgumentException.class,
                "narrow(): start (1) + length (2147483647) exceeds dimension size (3).",
                x,
                () -> x.narrow(0, 1, Integer.MAX_VALUE)); // start + length would wrap in int
    }

    @Test
    void narrowRejectsANegativeLength() {
        Tensor x = x32();
        fails(IllegalArgumentException.class, "narrow(): length must be non-negative.", x, () -> x.narrow(0, 1, -1));
    }

    @Test
    void narrowRejectsAStartOutOfRange() {
        Tensor x = x32();
        fails(
                IndexOutOfBoundsException.class,
                "narrow(): start out of range (expected to be in range of [-3, 3], but got 4)",
                x,
                () -> x.narrow(0, 4, 0));
        fails(
                IndexOutOfBoundsException.class,
                "narrow(): start out of range (expected to be in range of [-3, 3], but got -4)",
                x,
                () -> x.narrow(0, -4, 1));
        fails(
                IndexOutOfBoundsException.class,
                "narrow: dimension out of range (expected to be in range of [-2, 1], but got 2) for a 2-d tensor",
                x,
                () -> x.narrow(2, 0, 1));
        Tensor s = Tensor.scalar(1f);
        fails(
                IllegalArgumentException.class,
                "narrow() cannot be applied to a 0-dim tensor.",
                s,
                () -> s.narrow(0, 0, 1));
    }

    @Test
    void narrowIsASliceInTheGraph() {
        Tensor x = x32().requiresGrad_();
        Tensor n = x.narrow(0, -2, 2);
        assertEquals("SliceBackward0", n.gradFn().name()); // PyTorch records narrow as a slice
        n.sum().backward();
        assertValues(x.grad(), 0, 0, 1, 1, 1, 1);
        GradCheck.check(
                xs -> xs[0].narrow(1, -1, 1).mul(xs[0].narrow(1, 0, 1)),
                Tensor.randn(4, 2).requiresGrad_());
    }

    /**
     * The gradient of a slice or select is one strided copy into zeros, recorded as PyTorch records it
     * ({@code SliceBackwardBackward0}, {@code SelectBackwardBackward0}), so it can be differentiated again.
     */
    @Test
    void theBackwardOfASliceIsItselfASliceNode() {
        Tensor x = Tensor.arange(12).reshape(2, 6).requiresGrad_();
        Tensor y = x.narrow(1, 2, 3);
        Tensor g = Autograd.grad(y.mul(y).sum(), x, true);
        assertEquals("SliceBackwardBackward0", g.gradFn().name());
        assertValues(g, 0, 0, 4, 6, 8, 0, 0, 0, 16, 18, 20, 0); // PyTorch: 2x inside the narrow, 0 outside
        Tensor stepped = x.slice(1, 1, 6, 2);
        Tensor gs = Autograd.grad(stepped.mul(stepped).sum(), x, true);
        assertEquals("SliceBackwardBackward0", gs.gradFn().name());
        assertValues(gs, 0, 2, 0, 6, 0, 10, 0, 14, 0, 18, 0, 22);
        Tensor sel = x.select(1, 4);
        Tensor gsel = Autograd.grad(sel.mul(sel).sum(), x, true);
        assertEquals("SelectBackwardBackward0", gsel.gradFn().name());
        assertValues(gsel, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 20, 0);
        GradCheck.gradgradcheck(
                xs -> xs[0].narrow(1, 1, 2).mul(xs[0].select(0, 1).narrow(0, 0, 2)),
                Tensor.randn(3, 4).requiresGrad_());
        GradCheck.gradgradcheck(
                xs -> xs[0].slice(0, 0, 6, 3).mul(xs[0].slice(0, 1, 7, 3)),
                Tensor.randn(7, 2).requiresGrad_());
    }

    @Test
    void sliceWithAHugeStepDoesNotWrap() {
        Tensor x = x32();
        // (end - start + step - 1) / step wrapped to -1 in int: a negative size
        assertShape(x.slice(0, 0, 3, Integer.MAX_VALUE), 1, 2);
        assertValues(x.slice(0, 1, 3, Integer.MAX_VALUE), 2, 3);
        assertShape(x.get(Slice.of(0, 3, Integer.MAX_VALUE)), 1, 2);
        assertValues(x.slice(1, 0, 2, 1 << 30), 0, 2, 4);
        assertValues(x.slice(0, 0, 3, 2), 0, 1, 4, 5);
    }

    @Test
    void sliceRejectsASteplessOrBackwardStep() {
        Tensor x = x32();
        fails(
                IllegalArgumentException.class,
                "slice(): step must be greater than zero, got 0",
                x,
                () -> x.get(Slice.of(0, 3, 0)));
        fails(
                IllegalArgumentException.class,
                "slice(): step must be greater than zero, got -1",
                x,
                () -> x.slice(0, 0, 3, -1));
    }

    @Test
    void selectRejectsAnIndexOutOfRange() {
        Tensor x = x32();
        fails(
                IndexOutOfBoundsException.class,
                "select(): index 3 out of range for tensor of size [3, 2] at dimension 0 "
                        + "(expected an index in [-3, 2])",
                x,
                () -> x.select(0, 3));
        // x[0, -3]: the message names x's dimension 1, not dimension 0 of the row x[0]
        fails(
                IndexOutOfBoundsException.class,
                "get: index -3 is out of bounds for dimension 1 with size 2 (tensor of shape " + "[3, 2])",
                x,
                () -> x.get(0, -3));
        fails(
                IndexOutOfBoundsException.class,
                "get: index 3 is out of bounds for dimension 0 with size 3 (tensor of shape " + "[3, 2])",
                x,
                () -> x.get(3));
    }

    @Test
    void asStridedChecksItsArgumentsAsPyTorch() {
        Tensor x = Tensor.arange(4);
        fails(
                IllegalArgumentException.class,
                "asStrided: Negative strides are not supported at the moment, got strides: [-1]",
                x,
                () -> x.asStrided(new int[] {2}, new int[] {-1}, 3));
        fails(
                IllegalArgumentException.class,
                "asStrided: mismatch in length of strides and shape: 2 sizes, 1 strides",
                x,
                () -> x.asStrided(new int[] {2, 2}, new int[] {1}, 0));
        fails(
                IllegalArgumentException.class,
                "asStrided: invalid storage offset -1",
                x,
                () -> x.asStrided(new int[] {2}, new int[] {1}, -1));
        assertValues(x.asStrided(new int[] {2}, new int[] {2}, 1), 1, 3);
    }
}
