package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.core.tools.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MultiheadAttentionTest {

    /** "name [shape]" for each state-dict entry, in order, as the PyTorch lists below are written. */
    static List<String> keysAndShapes(Module m) {
        List<String> out = new ArrayList<>();
        m.stateDict().forEach((k, v) -> out.add(k + " " + Arrays.toString(v.shape())));
        return out;
    }

    @Test
    void stateDictHasPyTorchsKeysAndShapes() {
        // torch: [(k, list(v.shape)) for k, v in nn.MultiheadAttention(8, 2, ...).state_dict().items()]
        assertEquals(
                List.of("in_proj_weight [24, 8]", "in_proj_bias [24]", "out_proj.weight [8, 8]", "out_proj.bias [8]"),
                keysAndShapes(new MultiheadAttention(8, 2)));
        assertEquals(
                List.of("in_proj_weight [24, 8]", "out_proj.weight [8, 8]"),
                keysAndShapes(new MultiheadAttention(8, 2, 0f, false, false)));
        assertEquals(
                List.of(
                        "q_proj_weight [8, 8]",
                        "k_proj_weight [8, 6]",
                        "v_proj_weight [8, 4]",
                        "in_proj_bias [24]",
                        "out_proj.weight [8, 8]",
                        "out_proj.bias [8]"),
                keysAndShapes(new MultiheadAttention(8, 2, 0f, true, false, 6, 4, new Generator(0))));
    }

    @Test
    void initialisesAsPyTorch() {
        var m = new MultiheadAttention(16, 4, 0f, true, false, 16, 16, new Generator(3));
        double xavier = Math.sqrt(6.0 / (16 + 48)); // xavier_uniform_ on [48, 16]
        assertWithin(m.inProjWeight, xavier);
        assertWithin(m.outProj.weight, 1 / Math.sqrt(16)); // Linear's init
        assertArrayEquals(new float[48], m.inProjBias.toFloatArray());
        assertArrayEquals(new float[16], m.outProj.bias.toFloatArray());
        var sep = new MultiheadAttention(16, 4, 0f, true, false, 8, 4, new Generator(3));
        assertWithin(sep.kProjWeight, Math.sqrt(6.0 / (8 + 16)));
        assertWithin(sep.vProjWeight, Math.sqrt(6.0 / (4 + 16)));
    }

    private static void assertWithin(Tensor t, double bound) {
        float max = 0;
        for (float v : t.toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.8 * bound, max + " vs bound " + bound);
    }

    @Test
    void gradcheckThroughInputsAndWeights() {
        var m = new MultiheadAttention(4, 2, 0f, true, true, 4, 4, new Generator(5));
        Tensor q = Tensor.randn(new Generator(6), 2, 3, 4).requiresGrad_();
        Tensor kv = Tensor.randn(new Generator(7), 2, 5, 4).requiresGrad_();
        Tensor pad = Tensor.tensor(0, 0, 0, 1, 0, 0, 1, 0, 0, 0).view(2, 5).ne(0f);
        GradCheck.check(
                xs -> m.forward(xs[0], xs[1], xs[1], pad, false, null, true, false)
                        .output(),
                q,
                kv);
        Tensor x = Tensor.randn(new Generator(8), 3, 4).requiresGrad_(); // unbatched self-attention, causal
        Tensor causal = TransformerEncoder.generateSquareSubsequentMask(3);
        GradCheck.check(
                xs -> {
                    var r = m.forward(xs[0], xs[0], xs[0], null, true, causal, false, true);
                    return r.output().sum().add(r.weights().mul(r.weights()).sum());
                },
                x);
        GradCheck.check(
                xs -> m.forward(x, x, x, null, false, causal, true, true).output(),
                m.inProjWeight,
                m.inProjBias,
                m.outProj.weight,
                m.outProj.bias);
    }

    @Test
    void boolAndFloatMasksAgreeAndMaskedKeysGetNoWeight() {
        var m = new MultiheadAttention(4, 2, 0f, true, true, 4, 4, new Generator(9));
        Tensor x = Tensor.randn(new Generator(10), 2, 3, 4);
        Tensor bool = Tensor.tensor(0, 1, 1, 0, 0, 1, 0, 0, 0).view(3, 3).ne(0f);
        Tensor asFloat = Tensor.zeros(3, 3).maskedFill(bool, Float.NEGATIVE_INFINITY);
        var a = m.forward(x, x, x, null, true, bool, false, false);
        var b = m.forward(x, x, x, null, true, asFloat, false, false);
        assertArrayEquals(a.output().toFloatArray(), b.output().toFloatArray());
        float[] w = a.weights().toFloatArray(); // (2, 2, 3, 3)
        float[] allowed = bool.toFloatArray();
        for (int i = 0; i < w.length; i++) if (allowed[i % 9] != 0) assertEquals(0f, w[i], "weight " + i);
        Tensor pad = Tensor.tensor(0, 0, 1, 0, 0, 0).view(2, 3).ne(0f); // batch 0 ignores key 2
        float[] wp = m.forward(x, x, x, pad, true, null, true, false).weights().toFloatArray(); // (2, 3, 3)
        for (int r = 0; r < 3; r++) {
            assertEquals(0f, wp[r * 3 + 2]);
            assertTrue(wp[9 + r * 3 + 2] > 0, "batch 1 keeps key 2");
        }
    }

    @Test
    void dropoutActsOnlyInTrainingAndFollowsItsGenerator() {
        Tensor x = Tensor.randn(new Generator(11), 2, 4, 8);
        var a = new MultiheadAttention(8, 2, 0.5f, true, true, 8, 8, new Generator(12));
        var b = new MultiheadAttention(8, 2, 0.5f, true, true, 8, 8, new Generator(12));
        float[] wa = a.forward(x, x, x).weights().toFloatArray(),
                wb = b.forward(x, x, x).weights().toFloatArray();
        assertArrayEquals(wa, wb, "the same seed draws the same weights and the same masks");
        Tensor perHead = a.forward(x, x, x, null, true, null, false, false).weights();
        long zeros = 0;
        for (float v : perHead.toFloatArray()) if (v == 0f) zeros++;
        assertTrue(zeros > 0, "training mode drops attention weights");
        a.eval();
        Tensor rows =
                a.forward(x, x, x, null, true, null, false, false).weights().sum(-1);
        for (float v : rows.toFloatArray()) assertEquals(1f, v, 1e-6f, "eval mode: rows of probabilities");
    }

    @Test
    void shapeErrorsNamePyTorchsProblemAndChangeNothing() {
        var m = new MultiheadAttention(4, 2, 0f, true, false, 4, 4, new Generator(13));
        Map<String, Tensor> before = copy(m.stateDict());
        Tensor x = Tensor.randn(new Generator(14), 3, 4);
        expect(
                "MultiheadAttention: For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found 2-D and 3-D tensors respectively",
                () -> m.forward(x, x, Tensor.zeros(3, 2, 4)));
        expect(
                "MultiheadAttention: was expecting embedding dimension of 4, but got 5",
                () -> m.forward(Tensor.zeros(2, 3, 5), Tensor.zeros(2, 3, 5), Tensor.zeros(2, 3, 5)));
        expect(
                "MultiheadAttention: The shape of the 2D attn_mask is [3, 2], but should be (3, 3).",
                () -> m.forward(x, x, x, null, true, Tensor.zeros(3, 2), true, false));
        expect(
                "MultiheadAttention: Need attn_mask if specifying the is_causal hint. You may use TransformerEncoder.generateSquareSubsequentMask to create this mask.",
                () -> m.forward(x, x, x, null, true, null, true, true));
        expect(
                "MultiheadAttention: only bool and floating types of attn_mask are supported, got torch.int64",
                () -> m.forward(
                        x,
                        x,
                        x,
                        null,
                        true,
                        Tensor.indices(0, 0, 0, 0, 0, 0, 0, 0, 0).view(3, 3),
                        true,
                        false));
        expect(
                "MultiheadAttention: Expected key_padded_mask.shape[1] to be 5, but got 4",
                () -> m.forward(
                        Tensor.zeros(3, 2, 4),
                        Tensor.zeros(5, 2, 4),
                        Tensor.zeros(5, 2, 4),
                        Tensor.zeros(2, 4).ne(0f),
                        true,
                        null,
                        true,
                        false));
        expect(
                "MultiheadAttention: query should be unbatched 2D or batched 3D tensor but received 4-D query tensor",
                () -> m.forward(Tensor.zeros(1, 2, 3, 4), x, x));
        expect(
                "MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim=8 and num_heads=3",
                () -> new MultiheadAttention(8, 3));
        m.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k).toFloatArray(), v.toFloatArray(), k));
        for (Tensor p : m.parameters()) assertNull(p.grad());
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> sd) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        sd.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    private static void expect(String message, Executable e) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, e).getMessage());
    }
}
