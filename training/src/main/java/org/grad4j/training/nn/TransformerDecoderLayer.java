package org.grad4j.training.nn;

import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;

/**
 * {@code nn.TransformerDecoderLayer}: self-attention, attention over the encoder's output
 * ({@code memory}), then a feed-forward block, each with a residual connection and a LayerNorm (after
 * the block, or before it with {@code normFirst}). Submodules are named as PyTorch's ({@code self_attn},
 * {@code multihead_attn}, {@code linear1}, {@code linear2}, {@code norm1..3}, the dropouts).
 */
public final class TransformerDecoderLayer extends Module {
    public final int dModel, nhead, dimFeedforward;
    public final float dropoutP, layerNormEps;
    /** "relu" or "gelu". */
    public final String activation;

    public final boolean batchFirst, normFirst, bias;
    public final MultiheadAttention selfAttn, multiheadAttn;
    public final Linear linear1, linear2;
    public final Dropout dropout, dropout1, dropout2, dropout3;
    public final LayerNorm norm1, norm2, norm3;
    private final Generator generator;

    /** PyTorch's defaults: dim_feedforward 2048, dropout 0.1, relu, eps 1e-5, sequence first, post-norm, biases. */
    public TransformerDecoderLayer(int dModel, int nhead) {
        this(dModel, nhead, 2048, 0.1f, "relu", 1e-5f, false, false, true, Generator.defaultGenerator());
    }

    /** {@code generator} draws the initial weights and the dropout masks. */
    public TransformerDecoderLayer(
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
        TransformerEncoderLayer.checkActivation(activation);
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
        selfAttn = registerModule(
                "self_attn",
                new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, dModel, dModel, generator));
        multiheadAttn = registerModule(
                "multihead_attn",
                new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, dModel, dModel, generator));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, bias, generator));
        this.dropout = registerModule("dropout", new Dropout(dropout, generator));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, bias, generator));
        norm1 = registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, bias));
        norm2 = registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, bias));
        norm3 = registerModule("norm3", new LayerNorm(new int[] {dModel}, layerNormEps, true, bias));
        dropout1 = registerModule("dropout1", new Dropout(dropout, generator));
        dropout2 = registerModule("dropout2", new Dropout(dropout, generator));
        dropout3 = registerModule("dropout3", new Dropout(dropout, generator));
    }

    /** A new layer with the same settings and a copy of this one's weights (PyTorch's deepcopy). */
    TransformerDecoderLayer copy() {
        TransformerDecoderLayer c = new TransformerDecoderLayer(
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

    /** {@code forward(tgt, memory)} without masks. */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false, false);
    }

    /**
     * {@code forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
     * tgt_is_causal, memory_is_causal)}; masks as {@link MultiheadAttention}'s.
     */
    public Tensor forward(
            Tensor tgt,
            Tensor memory,
            Tensor tgtMask,
            Tensor memoryMask,
            Tensor tgtKeyPaddingMask,
            Tensor memoryKeyPaddingMask,
            boolean tgtIsCausal,
            boolean memoryIsCausal) {
        Tensor x = tgt;
        if (normFirst) {
            x = x.add(selfAttentionBlock(norm1.call(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = x.add(memoryBlock(norm2.call(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
            return x.add(feedForwardBlock(norm3.call(x)));
        }
        x = norm1.call(x.add(selfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
        x = norm2.call(x.add(memoryBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal)));
        return norm3.call(x.add(feedForwardBlock(x)));
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout1.call(selfAttn.forward(x, x, x, keyPaddingMask, false, mask, true, isCausal)
                .output());
    }

    private Tensor memoryBlock(Tensor x, Tensor mem, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout2.call(multiheadAttn
                .forward(x, mem, mem, keyPaddingMask, false, mask, true, isCausal)
                .output());
    }

    private Tensor feedForwardBlock(Tensor x) {
        return dropout3.call(linear2.call(dropout.call(TransformerEncoderLayer.activate(activation, linear1.call(x)))));
    }
}
