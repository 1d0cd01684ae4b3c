package org.grad4j.training.nn;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Tensor;

/**
 * {@code nn.TransformerEncoder(encoderLayer, numLayers, norm)}: {@code numLayers} copies of
 * {@code encoderLayer} (deep copies, as PyTorch makes: each starts with the same weights and then learns
 * its own), named {@code layers.0}, {@code layers.1}, ..., then the optional final {@code norm}.
 */
public final class TransformerEncoder extends Module {
    public final ModuleList<TransformerEncoderLayer> layers;
    /** Null for none. */
    public final Module norm;

    public final int numLayers;

    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers) {
        this(encoderLayer, numLayers, null);
    }

    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module norm) {
        if (numLayers <= 0)
            throw new IllegalArgumentException("TransformerEncoder: num_layers must be positive, got " + numLayers);
        List<TransformerEncoderLayer> copies = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) copies.add(encoderLayer.copy());
        this.numLayers = numLayers;
        layers = registerModule("layers", new ModuleList<>(copies));
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /**
     * The causal mask for a sequence of {@code size}: 0 on and below the diagonal, -inf above it
     * (PyTorch's {@code nn.Transformer.generate_square_subsequent_mask}).
     */
    public static Tensor generateSquareSubsequentMask(int size) {
        if (size <= 0)
            throw new IllegalArgumentException("generateSquareSubsequentMask: size must be positive, got " + size);
        return Tensor.full(Float.NEGATIVE_INFINITY, size, size).triu(1);
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    /** {@code forward(src, mask, src_key_padding_mask, is_causal)}: each layer in turn, then the norm. */
    public Tensor forward(Tensor src, Tensor mask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        for (TransformerEncoderLayer layer : layers) x = layer.forward(x, mask, srcKeyPaddingMask, isCausal);
        return norm == null ? x : norm.call(x);
    }
}
