package org.grad4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OperandRecordsTest {

    /** Expected sizes from torch.nn.functional.unfold(...).shape on inputs of these sizes. */
    @ParameterizedTest(name = "size={0} k={1} pad={2} stride={3} dil={4} -> {5}")
    @CsvSource({
        "28, 5, 0, 1, 1, 24",
        "28, 3, 1, 1, 1, 28",
        "7, 3, 1, 2, 1, 4",
        "7, 3, 1, 2, 2, 3",
        "6, 2, 0, 2, 1, 3",
        "5, 5, 0, 1, 1, 1",
        "1, 1, 0, 3, 1, 1"
    })
    void windowCountsPositionsAsPyTorch(int size, int kernel, int pad, int stride, int dilation, int expected) {
        var tall = new Window2d(kernel, 1, pad, 0, stride, 1, dilation, 1);
        var wide = new Window2d(1, kernel, 0, pad, 1, stride, 1, dilation);
        assertEquals(expected, tall.outH(size));
        assertEquals(size, tall.outW(size));
        assertEquals(expected, wide.outW(size));
        assertEquals(size, wide.outH(size));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = ';',
            value = {
                "0, 3, 0, 0, 1, 1, 1, 1; kernel=(0, 3), stride=(1, 1), dilation=(1, 1)",
                "3, 3, 0, 0, 0, 1, 1, 1; kernel=(3, 3), stride=(0, 1), dilation=(1, 1)",
                "3, 3, 0, 0, 1, 1, 1, -2; kernel=(3, 3), stride=(1, 1), dilation=(1, -2)"
            })
    void windowRejectsNonPositiveSizes(String ints, String expected) {
        int[] v = java.util.Arrays.stream(ints.split(","))
                .mapToInt(t -> Integer.parseInt(t.trim()))
                .toArray();
        var e = assertThrows(
                IllegalArgumentException.class, () -> new Window2d(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));
        assertEquals("Window2d: kernel size, stride and dilation must be positive, got " + expected, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"-1, 0", "0, -3"})
    void windowRejectsNegativePadding(int padH, int padW) {
        var e = assertThrows(IllegalArgumentException.class, () -> new Window2d(3, 3, padH, padW, 1, 1, 1, 1));
        assertEquals(
                "Window2d: padding must be non-negative, got padding=(" + padH + ", " + padW + ")", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"2, 3, 5, 4, 6", "1, 7, 1, 1, 7", "0, 4, 2, 2, 0"})
    void imageShapeCountsPlanes(int batch, int channels, int height, int width, int planes) {
        assertEquals(planes, new ImageShape(batch, channels, height, width).planes());
    }

    @ParameterizedTest
    @CsvSource({"-1, 3, 5, 4", "2, 3, -5, 4"})
    void imageShapeRejectsNegativeSizes(int batch, int channels, int height, int width) {
        var e = assertThrows(IllegalArgumentException.class, () -> new ImageShape(batch, channels, height, width));
        assertEquals(
                "ImageShape: sizes must be non-negative, got [" + batch + ", " + channels + ", " + height + ", " + width
                        + "]",
                e.getMessage());
    }
}
