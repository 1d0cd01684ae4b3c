package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Printing a tensor exactly as PyTorch 2.x does. */
class TensorPrintingTest {
    // ---- printing, exactly as PyTorch 2.x ------------------------------------------------------

    @Test
    void printsScalarsWithGradFn() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        Tensor out = x.add(2).mul(x.add(2)).mul(3).mean();
        assertEquals("tensor(27., grad_fn=<MeanBackward0>)", out.toString());
        assertEquals("tensor(3.5000)", Tensor.scalar(3.5f).toString());
        assertEquals(
                "tensor(3., requires_grad=True)",
                Tensor.scalar(3).requiresGrad_().toString());
        assertEquals(
                "tensor(-0.5000, grad_fn=<MulBackward0>)",
                Tensor.scalar(1).requiresGrad_().mul(-0.5f).toString());
    }

    @Test
    void printsAMatrixThatRequiresGrad() {
        assertEquals(
                "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
                Tensor.ones(2, 2).requiresGrad_().toString());
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        assertEquals(
                "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)",
                x.add(2).toString());
    }

    @Test
    void suffixesWrapToANewLineWithTheSevenSpaceIndent() {
        assertEquals(
                "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000],\n"
                        + "       requires_grad=True)",
                Tensor.full(0.5f, 8).requiresGrad_().toString());
        assertEquals(
                "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000],\n"
                        + "       grad_fn=<MulBackward0>)",
                Tensor.full(0.5f, 8).requiresGrad_().mul(1).toString());
        // when it fits, it stays on the line
        assertEquals(
                "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000], requires_grad=True)",
                Tensor.full(0.5f, 6).requiresGrad_().toString());
    }

    @Test
    void printsFloatsWithFourDecimals() {
        assertEquals("tensor([0.1000, 2.5000])", Tensor.tensor(0.1f, 2.5f).toString());
        assertEquals("tensor([-1.,  2.])", Tensor.tensor(-1, 2).toString());
        assertEquals("tensor([1., 2., 3.])", Tensor.tensor(1, 2, 3).toString());
        assertEquals("tensor([-0.1235,  1.0000])", Tensor.tensor(-0.123456f, 1).toString());
        // the value is rounded half to even, like Python's format: 0.03125 is exactly halfway
        assertEquals("tensor([0.0312, 1.0000])", Tensor.tensor(0.03125f, 1).toString());
        assertEquals("tensor([0., 0.])", Tensor.zeros(2).toString());
        assertEquals("tensor([  0.0000, 100.5000])", Tensor.tensor(0, 100.5f).toString());
        assertEquals("tensor([1., nan])", Tensor.tensor(1, Float.NaN).toString());
        assertEquals(
                "tensor([1.5000,    inf,   -inf])",
                Tensor.tensor(1.5f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)
                        .toString());
        assertEquals("tensor([nan, nan])", Tensor.tensor(Float.NaN, Float.NaN).toString());
    }

    @Test
    void printsAMatrixWithAlignedColumns() {
        Tensor m = Tensor.tensor(new float[][] {{1.5f, -2.25f}, {10, 3}});
        assertEquals("tensor([[ 1.5000, -2.2500],\n        [10.0000,  3.0000]])", m.toString());
        Tensor n = Tensor.arange(6).view(2, 3);
        assertEquals("tensor([[0., 1., 2.],\n        [3., 4., 5.]])", n.toString());
        assertEquals("tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])", n.t().toString());
        Tensor cube = Tensor.arange(8).view(2, 2, 2);
        assertEquals(
                "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])", cube.toString());
    }

    @Test
    void printsScientificNotation() {
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.tensor(1e-5f, 1).toString());
        assertEquals("tensor([1.0000e+00, 2.0000e+03])", Tensor.tensor(1, 2000).toString());
        assertEquals("tensor([1.2346e+09])", Tensor.tensor(1.23456789e9f).toString());
        assertEquals(
                "tensor([ 1.0000e-05, -1.0000e+00])", Tensor.tensor(1e-5f, -1).toString());
        assertEquals("tensor(1.0000e-05)", Tensor.scalar(1e-5f).toString());
    }

    @Test
    void printsIntegerTensors() {
        assertEquals("tensor([ 0,  2, 10])", Tensor.indices(0, 2, 10).toString());
        assertEquals("tensor([], dtype=torch.int64)", Tensor.indices().toString());
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(2, 0))", Tensor.zeros(2, 0).toString());
        assertEquals("tensor([], dtype=torch.bool)", Tensor.zeros(0).gt(0).toString());
    }

    @Test
    void wrapsLongRowsAt80Columns() {
        assertEquals(
                "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
                        + "        14., 15., 16., 17., 18., 19.])",
                Tensor.arange(20).toString());
        assertEquals(
                "tensor([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
                        + "         14., 15., 16., 17., 18., 19.],\n"
                        + "        [20., 21., 22., 23., 24., 25., 26., 27., 28., 29., 30., 31., 32., 33.,\n"
                        + "         34., 35., 36., 37., 38., 39.]])",
                Tensor.arange(40).view(2, 20).toString());
    }

    @Test
    void summarisesLargeTensors() {
        assertEquals(
                "tensor([0., 0., 0.,  ..., 0., 0., 0.])", Tensor.zeros(2000).toString());
        assertEquals(
                "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n" + "        1.9990e+03])",
                Tensor.arange(2000).toString());
        assertEquals(
                "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n"
                        + "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
                        + "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
                        + "        ...,\n"
                        + "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
                        + "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
                        + "        [0., 0., 0.,  ..., 0., 0., 0.]])",
                Tensor.zeros(100, 100).toString());
        // only the printed elements choose the format: the hidden 0.5s do not force decimals
        float[] d = new float[1001];
        Arrays.fill(d, 0.5f);
        d[0] = 1;
        d[1] = 2;
        d[2] = 3;
        d[998] = 4;
        d[999] = 5;
        d[1000] = 6;
        assertEquals(
                "tensor([1., 2., 3.,  ..., 4., 5., 6.])", Tensor.of(d, 1001).toString());
        // at the threshold nothing is summarised
        String s = Tensor.zeros(1000).toString();
        assertFalse(s.contains("..."));
        assertNotEquals(-1, s.indexOf("\n"));
    }
}
