package org.grad4j.core;

import static org.grad4j.core.Asserts.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A shape whose element count passes 2^31-1 is an error naming the op and the shape, at any rank:
 * the product of four sizes of 65536 is 2^64, which wraps a long to 0 and used to pass as an empty
 * tensor. Views (expand, view, reshape, asStrided) are checked as well as allocations.
 */
class ShapeOverflowTest {

    private static final int B = 65536;
    private static final String HUGE = "[65536, 65536, 65536, 65536]";

    private static void tooBig(String op, String shape, Executable call) {
        String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertEquals(
                op + ": a tensor of shape " + shape + " would have more than 2^31-1 elements (the product of its sizes "
                        + "overflows), which one buffer cannot hold",
                message);
    }

    @Test
    void factoriesRejectAnOverflowingShape() {
        tooBig("zeros", HUGE, () -> Tensor.zeros(B, B, B, B));
        tooBig("zeros", HUGE, () -> Torch.zeros(B, B, B, B));
        tooBig("ones", HUGE, () -> Tensor.ones(B, B, B, B));
        tooBig("full", HUGE, () -> Tensor.full(2f, B, B, B, B));
        tooBig("rand", HUGE, () -> Tensor.rand(B, B, B, B));
        tooBig("randn", HUGE, () -> Tensor.randn(B, B, B, B));
        tooBig("of", HUGE, () -> Tensor.of(new float[0], B, B, B, B));
        tooBig("eye", "[65536, 65536]", () -> Tensor.eye(B));
        tooBig("zeros", "[65536, 65536, 32768]", () -> Tensor.zeros(B, B, B / 2)); // 2^47: no wrap, still too big
        // checked left to right as PyTorch does: a trailing 0 does not make the wrapped product acceptable
        tooBig("zeros", "[65536, 65536, 65536, 65536, 0]", () -> Tensor.zeros(B, B, B, B, 0));
        assertShape(Tensor.zeros(0, B, B), 0, B, B); // an empty tensor whose product never passes the limit is fine
    }

    @Test
    void aNegativeSizeIsNamedWithItsOp() {
        assertEquals(
                "zeros: negative dimension -1 in shape [2, -1]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1))
                        .getMessage());
        assertEquals(
                "randn: negative dimension -3 in shape [-3]",
                assertThrows(IllegalArgumentException.class, () -> Tensor.randn(-3))
                        .getMessage());
        assertEquals(
                "eye: n must be greater or equal to 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> Tensor.eye(-1))
                        .getMessage());
    }

    @Test
    void viewsRejectAnOverflowingShape() {
        Tensor one = Tensor.zeros(1, 1, 1, 1), empty = Tensor.zeros(0);
        tooBig("expand", HUGE, () -> one.expand(B, B, B, B));
        tooBig("expand", "[65536, 65536, 65536, 65536, 1, 1, 1, 1]", () -> one.expand(B, B, B, B, -1, -1, -1, -1));
        tooBig("view", "[65536, 65536, 65536, 65536, 0]", () -> empty.view(B, B, B, B, 0));
        tooBig("reshape", "[65536, 65536, 65536, 65536, 0]", () -> empty.reshape(B, B, B, B, 0));
        assertShape(
                empty.reshape(0, B, B, B, B), 0, B, B, B, B); // from a leading 0 the product never grows, as in PyTorch
        tooBig("view", "[-1, 65536, 65536, 65536, 65536]", () -> empty.view(-1, B, B, B, B));
        tooBig("asStrided", HUGE, () -> one.asStrided(new int[] {B, B, B, B}, new int[] {0, 0, 0, 0}, 0));
        assertShape(one.expand(B, B / 2 - 1, 1, 1), B, B / 2 - 1, 1, 1); // under the limit: a view, no memory
    }

    @Test
    void broadcastingNamesTheOp() {
        Tensor column = Tensor.zeros(1, 1).expand(B, 1),
                row = Tensor.zeros(1, 1).expand(1, B);
        tooBig("add", "[65536, 65536]", () -> column.add(row));
        tooBig("mul", "[65536, 65536]", () -> column.mul(row));
        tooBig("where", "[65536, 65536]", () -> Torch.where(column.gt(0f), column, row));
        tooBig(
                "matmul",
                "[65536, 65536]",
                () -> Tensor.zeros(1, 1, 1, 1)
                        .expand(B, 1, 1, 1)
                        .matmul(Tensor.zeros(1, 1, 1, 1).expand(1, B, 1, 1)));
    }

    @Test
    void catRejectsAConcatenatedSizeBeyondTheLimit() {
        Tensor half = Tensor.zeros(1).expand(1 << 30);
        assertEquals(
                "cat(): the concatenated size along dimension 0 is 2147483648, more than 2^31-1",
                assertThrows(IllegalArgumentException.class, () -> Torch.cat(0, half, half))
                        .getMessage());
    }

    @Test
    void slidingWindowsRejectAnOverflowingColumnCount() {
        Tensor x = Tensor.zeros(1, 1, 1, 1);
        // 65536 x 65536 taps: c·kh·kw wrapped to 0 and unfold returned an empty [1, 0, 4]
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> F.unfold(x, new int[] {B}, new int[] {1}, new int[] {B / 2}, new int[] {1}))
                .getMessage();
        assertEquals(
                "unfold: 2 x 2 windows of 65536 x 65536 taps (input shape [1, 1, 1, 1], padding=(32768, 32768), "
                        + "dilation=(1, 1)) are more than 2^31-1 elements, which one buffer cannot hold",
                m);
        // 65536 channels of 401 x 401 windows: the im2col columns pass 2^31-1
        Tensor wide = Tensor.zeros(1, 1, 1, 1).expand(1, B, 1, 1),
                w = Tensor.zeros(1, 1, 1, 1).expand(1, B, 1, 1);
        tooBig("conv2d", "[1, 65536, 1, 1, 401, 401]", () -> F.conv2d(wide, w, null, 1, 200));
    }
}
