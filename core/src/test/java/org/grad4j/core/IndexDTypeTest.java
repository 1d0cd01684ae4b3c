package org.grad4j.core;

import static org.grad4j.core.Asserts.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op that takes an index tensor takes INT64 only, as PyTorch does: a BOOL mask or a FLOAT32
 * tensor is an error naming the op and the dtype (never read as indices), and nothing is changed.
 */
class IndexDTypeTest {

    /** A BOOL mask [true, false, true] and a FLOAT32 tensor of whole numbers: neither is an index tensor. */
    static Stream<Tensor> notIndices() {
        return Stream.of(Tensor.tensor(1, 0, 1).gt(0.5f), Tensor.tensor(1, 0, 1));
    }

    private static void fails(String message, Tensor x, Function<Tensor, Object> op) {
        float[] before = x.toFloatArray();
        int version = x.version();
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, () -> op.apply(x)).getMessage());
        assertArrayEquals(before, x.toFloatArray());
        assertEquals(version, x.version());
        assertNull(x.grad());
    }

    @ParameterizedTest
    @MethodSource("notIndices")
    void indexSelectTakesInt64Only(Tensor index) {
        fails(
                "indexSelect(): Expected dtype int64 for index but got " + index.dtype()
                        + " (shape [3]); make index tensors " + "with Tensor.indices(...)",
                Tensor.arange(6).reshape(3, 2).requiresGrad_(),
                x -> x.indexSelect(0, index));
        fails(
                "indexSelect(): Expected dtype int64 for index but got " + index.dtype()
                        + " (shape [3]); make index tensors " + "with Tensor.indices(...)",
                Tensor.arange(6).reshape(3, 2),
                x -> Torch.indexSelect(x, 1, index));
    }

    @ParameterizedTest
    @MethodSource("notIndices")
    void indexAddTakesInt64Only(Tensor index) {
        fails(
                "indexAdd(): Expected dtype int64 for index but got " + index.dtype()
                        + " (shape [3]); make index tensors " + "with Tensor.indices(...)",
                Tensor.zeros(3, 2),
                x -> x.indexAdd(0, index, Tensor.ones(3, 2)));
    }

    @ParameterizedTest
    @MethodSource("notIndices")
    void embeddingTakesInt64Only(Tensor index) {
        fails(
                "embedding(): Expected dtype int64 for indices but got " + index.dtype()
                        + " (shape [3]); make index tensors " + "with Tensor.indices(...)",
                Tensor.randn(4, 2).requiresGrad_(),
                w -> F.embedding(index, w));
    }

    @ParameterizedTest
    @MethodSource("notIndices")
    void lossTargetsAreInt64Only(Tensor target) {
        String tail = ", but got " + target.dtype()
                + "; for class probabilities compute -(target * input.logSoftmax(1)).sum(1)";
        fails(
                "nllLoss: expected target dtype to be int64 (class indices, e.g. Tensor.indices(...))" + tail,
                Tensor.randn(3, 2).requiresGrad_(),
                x -> F.nllLoss(x, target));
        fails(
                "crossEntropy: expected target dtype to be int64 (class indices, e.g. Tensor.indices(...))" + tail,
                Tensor.randn(3, 2).requiresGrad_(),
                x -> F.crossEntropy(x, target));
    }

    @ParameterizedTest
    @MethodSource("notIndices")
    void getTakesInt64IndexTensorsOnly(Tensor index) {
        String message = index.dtype() == DType.BOOL
                ? "get: boolean mask indexing (x[mask]) is not supported, got a torch.bool index of shape [3]; index with "
                        + "Tensor.indices(...)"
                : "get: tensors used as indices must be int64 (Tensor.indices(...)), got torch.float32 of shape [3]";
        fails(message, Tensor.arange(6).reshape(3, 2), x -> x.get(index));
    }

    @Test
    void int64IndicesStillWork() {
        Tensor x = Tensor.arange(6).reshape(3, 2);
        assertValues(x.indexSelect(0, Tensor.indices(2, 0)), 4, 5, 0, 1);
        assertValues(x.get(Tensor.indices(-1)), 4, 5);
        assertValues(Tensor.zeros(3).indexAdd(0, Tensor.indices(1, 1), Tensor.ones(2)), 0, 2, 0);
        assertValues(F.embedding(Tensor.indices(1), x), 2, 3);
        Tensor argmax = x.argmax(0); // INT64 results are index tensors
        assertEquals(DType.INT64, argmax.dtype());
        assertValues(x.indexSelect(0, argmax), 4, 5, 4, 5);
    }

    @Test
    void aFractionWrittenIntoAnInt64TensorIsAnErrorNotTruncated() {
        Tensor index = Tensor.indices(0, 1);
        index.add_(0.5f); // storage is float32: the tag stays INT64, the value is 1.5
        Tensor x = Tensor.arange(6).reshape(3, 2);
        fails(
                "indexSelect(): index holds the non-integral value 0.5 at position 0; indices must be whole numbers",
                x,
                t -> t.indexSelect(0, index));
        fails(
                "embedding(): indices holds the non-integral value 0.5 at position 0; indices must be whole numbers",
                x,
                t -> F.embedding(index, t));
    }

    @Test
    void floatLabelsConvertToInt64AsInPyTorch() {
        // x.to(torch.int64) truncates toward zero; the result is an index tensor outside the graph
        Tensor f = Tensor.tensor(2.9f, -0.5f, -1.7f, 0f, 3e7f).requiresGrad_();
        Tensor i = f.to(DType.INT64);
        assertEquals(DType.INT64, i.dtype());
        assertArrayEquals(new float[] {2, 0, -1, 0, 3e7f}, i.toFloatArray());
        assertFalse(i.requiresGrad());
        assertSame(i, i.to(DType.INT64));
        assertValues(
                Tensor.arange(6)
                        .reshape(3, 2)
                        .indexSelect(0, Tensor.tensor(2, 0).to(DType.INT64)),
                4,
                5,
                0,
                1);
        assertValues(Tensor.tensor(0.5f, 0f, Float.NaN).to(DType.BOOL), 1, 0, 1);
        assertEquals(DType.FLOAT32, Tensor.indices(3).to(DType.FLOAT32).dtype());
        Tensor bad = Tensor.tensor(1f, Float.NaN);
        assertEquals(
                "to(torch.int64): cannot convert NaN (at position 1 of a tensor of shape [2]) to an integer",
                assertThrows(IllegalArgumentException.class, () -> bad.to(DType.INT64))
                        .getMessage());
        assertEquals(DType.FLOAT32, bad.dtype());
    }

    @Test
    void catAndStackKeepInt64() {
        // collating labels (Dataset.getBatch stacks samples) must keep them usable as class indices
        Tensor labels =
                Torch.stack(List.of(Tensor.indices(2).view(), Tensor.indices(0).view()), 0);
        assertEquals(DType.INT64, labels.dtype());
        assertValues(F.nllLoss(Tensor.tensor(new float[][] {{-1, -2, -3}, {-4, -5, -6}}), labels), (3 + 4) / 2f);
        assertEquals(
                DType.INT64, Torch.cat(0, Tensor.indices(1), Tensor.indices(2)).dtype());
        assertEquals(
                DType.INT64,
                Torch.cat(0, Tensor.indices(1), Tensor.tensor(1).gt(0f)).dtype());
        assertEquals(
                DType.BOOL,
                Torch.cat(0, Tensor.tensor(1).gt(0f), Tensor.tensor(0).gt(0f)).dtype());
        assertEquals(
                DType.FLOAT32, Torch.cat(0, Tensor.indices(1), Tensor.tensor(2)).dtype());
    }
}
