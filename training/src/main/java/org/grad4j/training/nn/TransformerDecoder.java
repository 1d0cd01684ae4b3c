package org.grad4j.training.nn;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Tensor;

/**
 * {@code nn.TransformerDecoder(decoderLayer, numLayers, norm)}: {@code numLayers} deep copies of
 * {@code decoderLayer} named {@code layers.0}, {@code layers.1}, ..., then the optional final {@code norm}.
 */
public final class TransformerDecoder extends Module {
    public final ModuleList<TransformerDecoderLayer> layers;
    /** Null for none. */
    public final Module norm;

    public final int numLayers;

    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers) {
        this(decoderLayer, numLayers, null);
    }

    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, Module norm) {
        if (numLayers <= 0)
            throw new IllegalArgumentException("TransformerDecoder: num_layers must be positive, got " + numLayers);
        List<TransformerDecoderLayer> copies = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) copies.add(decoderLayer.copy());
        this.numLayers = numLayers;
        layers = registerModule("layers", new ModuleList<>(copies));
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /** {@code forward(tgt, memory)} without masks. */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false, false);
    }

    /** PyTorch's {@code forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, ...)}: each layer, then the norm. */
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
        for (TransformerDecoderLayer layer : layers) {
            x = layer.forward(
                    x,
                    memory,
                    tgtMask,
                    memoryMask,
                    tgtKeyPaddingMask,
                    memoryKeyPaddingMask,
                    tgtIsCausal,
                    memoryIsCausal);
        }
        return norm == null ? x : norm.call(x);
    }
}
