package org.grad4j.training.nn;

import static org.grad4j.training.nn.MultiheadAttentionTest.keysAndShapes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.checkpoint.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformerModulesTest {

    private static TransformerEncoderLayer encoderLayer(boolean bias, long seed) {
        return new TransformerEncoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, bias, new Generator(seed));
    }

    private static TransformerDecoderLayer decoderLayer(boolean bias, long seed) {
        return new TransformerDecoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, bias, new Generator(seed));
    }

    @Test
    void layersHavePyTorchsStateDictKeys() {
        // torch: nn.TransformerEncoderLayer(8, 2, 16).state_dict()
        assertEquals(
                List.of(
                        "self_attn.in_proj_weight [24, 8]",
                        "self_attn.in_proj_bias [24]",
                        "self_attn.out_proj.weight [8, 8]",
                        "self_attn.out_proj.bias [8]",
                        "linear1.weight [16, 8]",
                        "linear1.bias [16]",
                        "linear2.weight [8, 16]",
                        "linear2.bias [8]",
                        "norm1.weight [8]",
                        "norm1.bias [8]",
                        "norm2.weight [8]",
                        "norm2.bias [8]"),
                keysAndShapes(encoderLayer(true, 0)));
        // torch: nn.TransformerDecoderLayer(8, 2, 16, bias=False).state_dict()
        assertEquals(
                List.of(
                        "self_attn.in_proj_weight [24, 8]",
                        "self_attn.out_proj.weight [8, 8]",
                        "multihead_attn.in_proj_weight [24, 8]",
                        "multihead_attn.out_proj.weight [8, 8]",
                        "linear1.weight [16, 8]",
                        "linear2.weight [8, 16]",
                        "norm1.weight [8]",
                        "norm2.weight [8]",
                        "norm3.weight [8]"),
                keysAndShapes(decoderLayer(false, 0)));
    }

    /** torch: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8)).state_dict() */
    static List<String> pytorchEncoderKeys() {
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            for (String k : List.of(
                    "self_attn.in_proj_weight [24, 8]",
                    "self_attn.in_proj_bias [24]",
                    "self_attn.out_proj.weight [8, 8]",
                    "self_attn.out_proj.bias [8]",
                    "linear1.weight [16, 8]",
                    "linear1.bias [16]",
                    "linear2.weight [8, 16]",
                    "linear2.bias [8]",
                    "norm1.weight [8]",
                    "norm1.bias [8]",
                    "norm2.weight [8]",
                    "norm2.bias [8]")) want.add("layers." + i + "." + k);
        }
        want.add("norm.weight [8]");
        want.add("norm.bias [8]");
        return want;
    }

    @Test
    void stacksAreDeepCopiesNamedLayersN() {
        TransformerEncoderLayer layer = encoderLayer(true, 1);
        TransformerEncoder enc = new TransformerEncoder(layer, 2, new LayerNorm(8));
        assertEquals(pytorchEncoderKeys(), keysAndShapes(enc));
        Tensor w0 = enc.layers.get(0).selfAttn.inProjWeight, w1 = enc.layers.get(1).selfAttn.inProjWeight;
        assertNotSame(w0, w1);
        assertNotSame(layer.selfAttn.inProjWeight, w0);
        assertArrayEquals(layer.selfAttn.inProjWeight.toFloatArray(), w1.toFloatArray(), "copies start equal");
        Init.zeros_(w0);
        assertFalse(Arrays.equals(w0.toFloatArray(), w1.toFloatArray()), "and learn apart");
        assertEquals(2 * 12 + 2, enc.parameters().size());

        TransformerDecoder dec = new TransformerDecoder(decoderLayer(true, 2), 3);
        assertEquals(3 * 18, dec.parameters().size());
        assertEquals(
                "layers.2.norm3.bias", List.copyOf(dec.stateDict().keySet()).getLast());
    }

    @Test
    void dropoutOnlyInTraining() {
        TransformerEncoderLayer layer = encoderLayer(true, 3);
        Tensor x = Tensor.randn(new Generator(4), 5, 2, 8);
        Tensor train1 = layer.call(x), train2 = layer.call(x);
        assertFalse(Arrays.equals(train1.toFloatArray(), train2.toFloatArray()), "fresh dropout masks each call");
        layer.eval();
        assertArrayEquals(layer.call(x).toFloatArray(), layer.call(x).toFloatArray());
    }

    @Test
    void badSettingsAreRefused() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> new TransformerEncoderLayer(8, 2, 16, 0.1f, "tanh", 1e-5f, false, false, true, new Generator(0)));
        assertEquals("activation should be relu/gelu, not tanh", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TransformerEncoder(encoderLayer(true, 0), 0));
        assertEquals("TransformerEncoder: num_layers must be positive, got 0", e.getMessage());
    }

    @Test
    void squareSubsequentMaskIsPyTorchs() {
        float inf = Float.NEGATIVE_INFINITY;
        // torch: nn.Transformer.generate_square_subsequent_mask(3)
        assertArrayEquals(
                new float[] {0, inf, inf, 0, 0, inf, 0, 0, 0},
                TransformerEncoder.generateSquareSubsequentMask(3).toFloatArray());
    }

    @Test
    void checkpointOfAnEncoderRoundTripsWithPyTorchsKeys(@TempDir Path dir) {
        TransformerEncoder enc = new TransformerEncoder(encoderLayer(true, 5), 2, new LayerNorm(8));
        // move every parameter off its initial value, so that the norms and biases are checked too
        for (Tensor p : enc.parameters()) {
            try (var s = org.grad4j.core.GradMode.noGrad()) {
                p.add_(Tensor.randn(new Generator(p.numel()), p.shape()).mul(0.1f));
            }
        }
        enc.eval();
        Path f = dir.resolve("encoder.safetensors");
        Checkpoint.saveModel(f, enc);
        List<String> fileKeys = new ArrayList<>();
        SafeTensors.load(f).tensors().forEach((k, v) -> fileKeys.add(k + " " + Arrays.toString(v.shape())));
        assertEquals(pytorchEncoderKeys(), fileKeys);
        TransformerEncoder back = new TransformerEncoder(encoderLayer(true, 6), 2, new LayerNorm(8));
        back.eval();
        Checkpoint.loadModel(f, back);
        Tensor x = Tensor.randn(new Generator(7), 4, 2, 8);
        Tensor mask = TransformerEncoder.generateSquareSubsequentMask(4);
        assertArrayEquals(
                enc.forward(x, mask, null, true).toFloatArray(),
                back.forward(x, mask, null, true).toFloatArray());
    }
}
