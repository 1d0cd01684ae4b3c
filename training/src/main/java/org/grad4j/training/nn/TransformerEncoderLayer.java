package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * {@code nn.TransformerEncoderLayer}: self-attention then a feed-forward block (linear1, activation,
 * dropout, linear2), each with a residual connection and a LayerNorm, after the block (post-norm, the
 * default) or before it ({@code normFirst}). Submodules are named as PyTorch's ({@code self_attn},
 * {@code linear1}, {@code linear2}, {@code norm1}, {@code norm2}, the dropouts), so the state dicts match.
 */
public final class TransformerEncoderLayer extends Module {
    public final int dModel, nhead, dimFeedforward;
    public final float dropoutP, layerNormEps;
    /** "relu" or "gelu". */
    public final String activation;

    public final boolean batchFirst, normFirst, bias;
    public final MultiheadAttention selfAttn;
    public final Linear linear1, linear2;
    public final Dropout dropout, dropout1, dropout2;
    public final LayerNorm norm1, norm2;
    private final Generator generator;

    /** PyTorch's defaults: dim_feedforward 2048, dropout 0.1, relu, eps 1e-5, sequence first, post-norm, biases. */
    public TransformerEncoderLayer(int dModel, int nhead) {
        this(dModel, nhead, 2048, 0.1f, "relu", 1e-5f, false, false, true, Generator.defaultGenerator());
    }

    /** {@code generator} draws the initial weights and the dropout masks. */
    public TransformerEncoderLayer(
            int dModel,
            int nhead,
            int dimFeedforward,
            float dropout,
            String activation,
            float layerNormEps,
            boolean batchFirst,
            boolean normFirst,
            boolean bias,
            Generator generator) {
        checkActivation(activation);
        this.dModel = dModel;
        this.nhead = nhead;
        this.dimFeedforward = dimFeedforward;
        this.dropoutP = dropout;
        this.activation = activation;
        this.layerNormEps = layerNormEps;
        this.batchFirst = batchFirst;
        this.normFirst = normFirst;
        this.bias = bias;
        this.generator = generator;
        // PyTorch's registration order, which is its state-dict order
        selfAttn = registerModule(
                "self_attn",
                new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, dModel, dModel, generator));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, bias, generator));
        this.dropout = registerModule("dropout", new Dropout(dropout, generator));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, bias, generator));
        norm1 = registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, bias));
        norm2 = registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, bias));
        dropout1 = registerModule("dropout1", new Dropout(dropout, generator));
        dropout2 = registerModule("dropout2", new Dropout(dropout, generator));
    }

    static void checkActivation(String activation) {
        if (!"relu".equals(activation) && !"gelu".equals(activation))
            throw new IllegalArgumentException("activation should be relu/gelu, not " + activation);
    }

    static Tensor activate(String activation, Tensor x) {
        return "relu".equals(activation) ? F.relu(x) : F.gelu(x);
    }

    /** A new layer with the same settings and a copy of this one's weights (PyTorch's deepcopy). */
    TransformerEncoderLayer copy() {
        TransformerEncoderLayer c = new TransformerEncoderLayer(
                dModel,
                nhead,
                dimFeedforward,
                dropoutP,
                activation,
                layerNormEps,
                batchFirst,
                normFirst,
                bias,
                generator);
        c.loadStateDict(stateDict());
        c.train(isTraining());
        return c;
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    /**
     * {@code forward(src, src_mask, src_key_padding_mask, is_causal)}: masks as {@link MultiheadAttention}'s
     * {@code attnMask} and {@code keyPaddingMask}; {@code isCausal} is the hint that {@code srcMask} is causal.
     */
    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        if (normFirst) {
            x = x.add(selfAttentionBlock(norm1.call(x), srcMask, srcKeyPaddingMask, isCausal));
            return x.add(feedForwardBlock(norm2.call(x)));
        }
        x = norm1.call(x.add(selfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
        return norm2.call(x.add(feedForwardBlock(x)));
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        Tensor a = selfAttn.forward(x, x, x, keyPaddingMask, false, mask, true, isCausal)
                .output();
        return dropout1.call(a);
    }

    private Tensor feedForwardBlock(Tensor x) {
        return dropout2.call(linear2.call(dropout.call(activate(activation, linear1.call(x)))));
    }
}
