package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.core.Reduction;
import org.grad4j.core.Tensor;
import org.grad4j.core.tools.GradCheck;
import org.grad4j.training.nn.BatchNorm.BatchNorm1d;
import org.grad4j.training.nn.BatchNorm.BatchNorm2d;
import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void conv2dComputesWindowSumsAndInitialisesLikePyTorch() {
        Conv2d c = new Conv2d(1, 1, 2, 1, 0, new Generator(0));
        c.loadStateDict(Map.of("weight", Tensor.ones(1, 1, 2, 2), "bias", Tensor.tensor(10f)));
        Tensor x = Tensor.arange(9).view(1, 1, 3, 3); // 0..8
        assertArrayEquals(new float[] {18, 22, 30, 34}, c.call(x).toFloatArray());
        assertEquals("ConvolutionBackward0", c.call(x.requiresGrad_()).gradFn().name());
        Conv2d big = new Conv2d(3, 8, 5, 1, 2, new Generator(1));
        assertArrayEquals(new int[] {8, 3, 5, 5}, big.weight.shape());
        assertArrayEquals(
                new int[] {2, 8, 7, 7}, big.call(Tensor.zeros(2, 3, 7, 7)).shape(), "padding 2 keeps 7x7");
        float bound = (float) (1 / Math.sqrt(3 * 25));
        float max = 0;
        for (float v : big.weight.toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.9f * bound, max + " vs " + bound);
        assertEquals("Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))", big.toString());
        Conv2d small = new Conv2d(2, 2, 2, 1, 0, new Generator(2));
        Tensor in = Tensor.randn(new Generator(3), 1, 2, 3, 3);
        GradCheck.check(xs -> org.grad4j.core.F.conv2d(in, xs[0], xs[1]), small.weight, small.bias);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Conv2d(
                        3,
                        4,
                        new int[] {3, 3},
                        new int[] {1, 1},
                        new int[] {0, 0},
                        new int[] {1, 1},
                        2,
                        true,
                        new Generator(0)));
        assertTrue(e.getMessage().contains("divisible by groups (2)"), e.getMessage());
    }

    @Test
    void linearRunsAsFLinearOverLeadingDimensions() {
        Linear lin = new Linear(3, 2, true, new Generator(6));
        Tensor x = Tensor.randn(new Generator(7), 4, 5, 3).requiresGrad_();
        Tensor y = lin.forward(x);
        // PyTorch's nn.Linear on a contiguous 3-d input: one addmm over the rows, viewed back (ViewBackward0)
        assertEquals("ViewBackward0", y.gradFn().name());
        assertArrayEquals(new int[] {4, 5, 2}, y.shape());
        Tensor expected = x.matmul(lin.weight.t()).add(lin.bias);
        assertArrayEquals(expected.toFloatArray(), y.toFloatArray(), 1e-6f);
        assertEquals("AddmmBackward0", lin.forward(x.select(0, 0)).gradFn().name());
        GradCheck.check(xs -> lin.forward(xs[0]), x.narrow(0, 0, 1).detach().requiresGrad_());
    }

    @Test
    void pooling() {
        Tensor x = Tensor.arange(16).view(1, 1, 4, 4);
        assertArrayEquals(new float[] {5, 7, 13, 15}, new MaxPool2d(2).call(x).toFloatArray());
        assertArrayEquals(
                new float[] {2.5f, 4.5f, 10.5f, 12.5f}, new AvgPool2d(2).call(x).toFloatArray());
        assertArrayEquals(new int[] {1, 1, 3, 3}, new MaxPool2d(2, 1, 0).call(x).shape());
    }

    @Test
    void dropoutOnlyInTraining() {
        Dropout d = new Dropout(0.5f, new Generator(4));
        Tensor x = Tensor.ones(1000);
        float[] y = d.call(x).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0f || v == 2f, "kept values are scaled by 1/(1-p): " + v);
            if (v == 0f) zeros++;
        }
        assertTrue(zeros > 400 && zeros < 600, zeros + " zeros");
        d.eval();
        assertArrayEquals(x.toFloatArray(), d.call(x).toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5f));
        assertEquals("Dropout: dropout probability has to be between 0 and 1, but got 1.5", e.getMessage());
    }

    @Test
    void batchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval() {
        BatchNorm2d bn = new BatchNorm2d(2);
        // channel 0 holds 1..4, channel 1 holds 10 everywhere
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 10, 10, 10, 10}, 1, 2, 2, 2);
        float[] y = bn.call(x).toFloatArray();
        double std = Math.sqrt(1.25 + 1e-5); // biased variance of 1..4
        assertArrayEquals(
                new float[] {
                    (float) (-1.5 / std), (float) (-0.5 / std), (float) (0.5 / std), (float) (1.5 / std), 0, 0, 0, 0
                },
                y,
                1e-5f);
        // running = 0.9·running + 0.1·batch (variance unbiased: 5/3)
        assertArrayEquals(new float[] {0.25f, 1f}, bn.runningMean.toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0.9f + 0.1f * 5f / 3f, 0.9f}, bn.runningVar.toFloatArray(), 1e-6f);
        assertEquals(1f, bn.numBatchesTracked.item());
        assertEquals(
                List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                new ArrayList<>(bn.stateDict().keySet()));
        bn.eval();
        float[] e = bn.call(x).toFloatArray();
        assertEquals((1 - 0.25) / Math.sqrt(0.9 + 0.1 * 5 / 3.0 + 1e-5), e[0], 1e-5);
        assertEquals(1f, bn.numBatchesTracked.item(), "eval does not count batches");
        IllegalArgumentException err = assertThrows(IllegalArgumentException.class, () -> bn.call(Tensor.zeros(2, 2)));
        assertEquals("BatchNorm2d: expected 4D input, got 2D input of shape [2, 2]", err.getMessage());
        err = assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).call(Tensor.zeros(4, 2)));
        assertEquals("BatchNorm1d: expected 3 channels (dimension 1), got input of shape [4, 2]", err.getMessage());
        assertArrayEquals(
                new int[] {4, 3},
                new BatchNorm1d(3).call(Tensor.randn(new Generator(1), 4, 3)).shape());
    }

    @Test
    void layerNormNormalisesTheTrailingDimensions() {
        LayerNorm ln = new LayerNorm(4);
        float[] y = ln.call(Tensor.tensor(new float[][] {{1, 2, 3, 4}})).toFloatArray();
        double std = Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(
                new float[] {(float) (-1.5 / std), (float) (-0.5 / std), (float) (0.5 / std), (float) (1.5 / std)},
                y,
                1e-5f);
        assertEquals(
                List.of("weight", "bias"), new ArrayList<>(ln.namedParameters().keySet()));
        assertEquals("LayerNorm((4), eps=1.0E-5, elementwise_affine=True)", ln.toString());
    }

    @Test
    void embeddingLooksUpRowsAndKeepsThePaddingRowAtZero() {
        Embedding emb = new Embedding(5, 3, 0, new Generator(2));
        assertArrayEquals(new float[3], emb.weight.get(0).toFloatArray());
        Tensor out = emb.call(Tensor.indices(3, 0, 3));
        assertArrayEquals(new int[] {3, 3}, out.shape());
        assertArrayEquals(emb.weight.get(3).toFloatArray(), out.get(0).toFloatArray());
        out.sum().backward();
        float[] g = emb.weight.grad().toFloatArray();
        assertArrayEquals(new float[] {0, 0, 0}, new float[] {g[0], g[1], g[2]}, "no gradient for the padding row");
        assertArrayEquals(new float[] {2, 2, 2}, new float[] {g[9], g[10], g[11]}, "row 3 used twice");
    }

    @Test
    void crossEntropyWithClassWeightsAndIgnoreIndex() {
        Tensor logits = Tensor.tensor(new float[][] {{1, 2}, {1, 1}});
        double l0 = Math.log(1 + Math.exp(-1)), l1 = Math.log(2);
        CrossEntropyLoss weighted = new CrossEntropyLoss(Tensor.tensor(1, 3), -100, Reduction.MEAN);
        assertEquals(
                (3 * l0 + l1) / 4, weighted.call(logits, Tensor.indices(1, 0)).item(), 1e-6);
        CrossEntropyLoss ignoring = new CrossEntropyLoss(null, -100, Reduction.MEAN);
        assertEquals(l0, ignoring.call(logits, Tensor.indices(1, -100)).item(), 1e-6);
        assertEquals(List.of("weight"), new ArrayList<>(weighted.stateDict().keySet()));
    }

    @Test
    void aSmallCnnRunsOnFashionMnistShapedInput() {
        Generator g = new Generator(0);
        Sequential cnn = new Sequential(
                new Conv2d(1, 8, 5, 1, 0, g),
                new ReLU(),
                new MaxPool2d(2),
                new Conv2d(8, 16, 5, 1, 0, g),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Linear(256, 10, true, g));
        Tensor out = cnn.call(Tensor.rand(g, 2, 1, 28, 28));
        assertArrayEquals(new int[] {2, 10}, out.shape());
        new CrossEntropyLoss().call(out, Tensor.indices(3, 7)).backward();
        for (Tensor p : cnn.parameters())
            assertTrue(p.grad() != null && p.grad().abs().sum().item() > 0);
    }
}
