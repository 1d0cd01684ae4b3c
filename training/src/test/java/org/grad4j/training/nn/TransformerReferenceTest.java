package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MultiheadAttention and the transformer layers against PyTorch 2.13: each case loads the weights
 * PyTorch drew into the same module built here (strictly, so the key lists match too), runs the same
 * inputs and masks, and compares with PyTorch's outputs. The numbers are in
 * {@code transformer_reference.safetensors}, made by {@code transformer_reference.py} beside it.
 */
class TransformerReferenceTest {
    private static Map<String, Tensor> ref;
    private static final float TOL = 2e-5f;

    @BeforeAll
    static void load() throws URISyntaxException {
        var url = TransformerReferenceTest.class.getResource("transformer_reference.safetensors");
        ref = SafeTensors.load(Path.of(url.toURI())).tensors();
    }

    private static Map<String, Tensor> state(String c) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String prefix = c + "/state/";
        ref.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    private static Tensor in(String c, String name) {
        return ref.get(c + "/in/" + name);
    }

    private static Tensor mask(String c, String name) {
        return in(c, name).ne(0f); // stored as 0/1 floats
    }

    private static void assertMatches(String c, String name, Tensor got) {
        Tensor want = ref.get(c + "/out/" + name);
        assertArrayEquals(want.shape(), got.shape(), c + " " + name + " shape");
        float[] w = want.toFloatArray(), g = got.toFloatArray();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], TOL, c + " " + name + " element " + i);
    }

    private static <M extends Module> M loaded(String c, M m) {
        m.loadStateDict(state(c), true);
        m.eval();
        return m;
    }

    @Test
    void selfAttentionWithHeadAveragedWeights() {
        var m = loaded("mha_self", new MultiheadAttention(8, 2));
        Tensor x = in("mha_self", "x");
        var r = m.forward(x, x, x);
        assertMatches("mha_self", "output", r.output());
        assertMatches("mha_self", "weights", r.weights());
    }

    @Test
    void crossAttentionBatchFirstWithPaddingAndFloatMaskPerHeadWeights() {
        String c = "mha_cross";
        var m = loaded(c, new MultiheadAttention(8, 2, 0f, true, true));
        var r = m.forward(
                in(c, "q"),
                in(c, "k"),
                in(c, "v"),
                mask(c, "key_padding_mask"),
                true,
                in(c, "attn_mask"),
                false,
                false);
        assertMatches(c, "output", r.output());
        assertMatches(c, "weights", r.weights());
    }

    @Test
    void causalBoolMaskWithoutWeights() {
        String c = "mha_causal";
        var m = loaded(c, new MultiheadAttention(8, 2));
        Tensor x = in(c, "x");
        var r = m.forward(x, x, x, null, false, mask(c, "attn_mask"), true, true);
        assertMatches(c, "output", r.output());
        assertNull(r.weights());
    }

    @Test
    void separateKeyAndValueSizesUnbatchedWithPerHeadBoolMask() {
        String c = "mha_kdim";
        var m = loaded(c, new MultiheadAttention(8, 2, 0f, true, false, 6, 4, new Generator(0)));
        var r = m.forward(in(c, "q"), in(c, "k"), in(c, "v"), null, true, mask(c, "attn_mask"), true, false);
        assertMatches(c, "output", r.output());
        assertMatches(c, "weights", r.weights());
    }

    @Test
    void encoderLayerPostNormReluWithPadding() {
        String c = "enc_post";
        var m = loaded(
                c, new TransformerEncoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, true, new Generator(0)));
        assertMatches(c, "output", m.forward(in(c, "x"), null, mask(c, "key_padding_mask"), false));
    }

    @Test
    void encoderLayerPreNormGeluBatchFirstWithoutBiasCausal() {
        String c = "enc_pre";
        var m = loaded(
                c, new TransformerEncoderLayer(8, 2, 16, 0.1f, "gelu", 1e-5f, true, true, false, new Generator(0)));
        assertMatches(c, "output", m.forward(in(c, "x"), in(c, "mask"), null, true));
    }

    @Test
    void decoderLayerPostNormBatchFirstWithCausalAndMemoryPadding() {
        String c = "dec_post";
        var m = loaded(
                c, new TransformerDecoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, true, false, true, new Generator(0)));
        Tensor out = m.forward(
                in(c, "tgt"),
                in(c, "memory"),
                mask(c, "tgt_mask"),
                null,
                null,
                mask(c, "memory_key_padding_mask"),
                true,
                false);
        assertMatches(c, "output", out);
    }

    @Test
    void decoderLayerPreNormGelu() {
        String c = "dec_pre";
        var m = loaded(
                c, new TransformerDecoderLayer(8, 2, 16, 0.1f, "gelu", 1e-5f, false, true, true, new Generator(0)));
        assertMatches(c, "output", m.forward(in(c, "tgt"), in(c, "memory")));
    }

    @Test
    void encoderStackWithFinalNorm() {
        String c = "encoder";
        var layer = new TransformerEncoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, true, new Generator(0));
        var m = loaded(c, new TransformerEncoder(layer, 2, new LayerNorm(8)));
        assertMatches(c, "output", m.forward(in(c, "x"), mask(c, "mask"), mask(c, "key_padding_mask"), true));
    }

    @Test
    void decoderStackWithFinalNorm() {
        String c = "decoder";
        var layer = new TransformerDecoderLayer(8, 2, 16, 0.1f, "relu", 1e-5f, false, false, true, new Generator(0));
        var m = loaded(c, new TransformerDecoder(layer, 2, new LayerNorm(8)));
        Tensor out = m.forward(in(c, "tgt"), in(c, "memory"), mask(c, "tgt_mask"), null, null, null, true, false);
        assertMatches(c, "output", out);
    }
}
