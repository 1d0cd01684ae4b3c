package org.grad4j.training.nn;

import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * {@code nn.Embedding(numEmbeddings, embeddingDim)}: a lookup table [V, D] initialised N(0, 1), as
 * PyTorch's; the {@code paddingIdx} row (if any) starts at zero and gets no gradient.
 */
public final class Embedding extends Module {
    public final int numEmbeddings, embeddingDim;
    /** Null for none. */
    public final Integer paddingIdx;

    public final Tensor weight;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Generator.defaultGenerator());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator gen) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be positive, got "
                    + numEmbeddings + " and " + embeddingDim);
        }
        if (paddingIdx != null && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
            throw new IllegalArgumentException(
                    "Embedding: padding_idx must be within num_embeddings, got " + paddingIdx);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx == null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
        Tensor w = Tensor.randn(gen, numEmbeddings, embeddingDim);
        if (this.paddingIdx != null) {
            try (var s = GradMode.noGrad()) {
                w.select(0, this.paddingIdx).zero_();
            }
        }
        weight = registerParameter("weight", Parameter.of(w));
    }

    @Override
    public Tensor forward(Tensor indices) {
        return F.embedding(indices, weight, paddingIdx, false);
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx != null ? ", padding_idx=" + paddingIdx : "");
    }
}
