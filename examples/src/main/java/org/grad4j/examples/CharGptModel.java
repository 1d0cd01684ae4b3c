package org.grad4j.examples;

import java.util.Arrays;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.Dropout;
import org.grad4j.training.nn.Embedding;
import org.grad4j.training.nn.LayerNorm;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.Module;
import org.grad4j.training.nn.Sequential;

/**
 * A character-level GPT as nanoGPT's {@code model.py}: token and position embeddings, {@code nLayer}
 * pre-norm blocks (causal self-attention, then a GELU MLP four times as wide, each added to the
 * residual stream), a final LayerNorm, and an output head tied to the token embedding (logits =
 * {@code x · wteᵀ}). Parameter names are nanoGPT's ({@code transformer.h.0.attn.c_attn.weight}), so
 * the state dict loads into docs/reference/chargpt.py's model with {@code strict=True}.
 *
 * <p>Initialised as nanoGPT: weights of Linear and Embedding N(0, 0.02), biases 0, and the two
 * projections into the residual stream N(0, 0.02/√(2·nLayer)).
 */
final class CharGptModel extends Module {
    /** The sizes of the model. */
    record Config(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, float dropout) {
        Config {
            if (vocabSize <= 0 || blockSize <= 0 || nLayer <= 0 || nHead <= 0 || nEmbd <= 0) {
                throw new IllegalArgumentException("CharGptModel: sizes must be positive, got " + this);
            }
            if (nEmbd % nHead != 0) {
                throw new IllegalArgumentException(
                        "CharGptModel: embed_dim must be divisible by num_heads, got " + nEmbd + " and " + nHead);
            }
        }
    }

    final Config config;
    private final Transformer transformer;

    CharGptModel(Config config, Generator gen) {
        this.config = config;
        this.transformer = registerModule("transformer", new Transformer(config, gen));
        try (var s = GradMode.noGrad()) {
            float residStd = (float) (0.02 / Math.sqrt(2.0 * config.nLayer()));
            for (var e : namedParameters().entrySet()) {
                String name = e.getKey();
                Tensor p = e.getValue();
                if (name.endsWith("c_proj.weight"))
                    p.copy_(Tensor.randn(gen, p.shape()).mul(residStd));
                else if (p.dim() == 2) p.copy_(Tensor.randn(gen, p.shape()).mul(0.02f));
                else if (name.endsWith(".bias")) p.zero_();
            }
        }
    }

    /** Token ids [B, T] (T ≤ blockSize) → logits [B, T, vocabSize]. */
    @Override
    public Tensor forward(Tensor idx) {
        if (idx.dim() != 2 || idx.size(1) > config.blockSize()) {
            throw new IllegalArgumentException("CharGptModel: expected token ids [B, T] with T <= block_size "
                    + config.blockSize() + ", got shape " + Arrays.toString(idx.shape()));
        }
        Tensor x = transformer.call(idx);
        return x.matmul(transformer.wte.weight.t()); // the tied head
    }

    /** Embeddings, blocks and the final LayerNorm (nanoGPT's {@code transformer} ModuleDict). */
    private static final class Transformer extends Module {
        final Embedding wte, wpe;
        final Dropout drop;
        final Sequential h;
        final LayerNorm lnF;

        Transformer(Config c, Generator gen) {
            wte = registerModule("wte", new Embedding(c.vocabSize(), c.nEmbd(), null, gen));
            wpe = registerModule("wpe", new Embedding(c.blockSize(), c.nEmbd(), null, gen));
            drop = registerModule("drop", new Dropout(c.dropout(), gen));
            h = registerModule("h", new Sequential());
            for (int i = 0; i < c.nLayer(); i++) h.add(new Block(c, gen));
            lnF = registerModule("ln_f", new LayerNorm(c.nEmbd()));
        }

        @Override
        public Tensor forward(Tensor idx) {
            int t = idx.size(1);
            int[] positions = new int[t];
            for (int i = 0; i < t; i++) positions[i] = i;
            Tensor x = wte.call(idx).add(wpe.call(Tensor.indices(positions)));
            return lnF.call(h.call(drop.call(x)));
        }
    }

    /** {@code x + attn(ln_1(x))}, then {@code x + mlp(ln_2(x))}. */
    private static final class Block extends Module {
        final LayerNorm ln1, ln2;
        final CausalSelfAttention attn;
        final Mlp mlp;

        Block(Config c, Generator gen) {
            ln1 = registerModule("ln_1", new LayerNorm(c.nEmbd()));
            attn = registerModule("attn", new CausalSelfAttention(c, gen));
            ln2 = registerModule("ln_2", new LayerNorm(c.nEmbd()));
            mlp = registerModule("mlp", new Mlp(c, gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            x = x.add(attn.call(ln1.call(x)));
            return x.add(mlp.call(ln2.call(x)));
        }
    }

    /** Multi-head causal self-attention: one projection to q, k, v ({@code c_attn}), one back ({@code c_proj}). */
    private static final class CausalSelfAttention extends Module {
        final int nHead;
        final float dropout;
        final Linear cAttn, cProj;
        final Dropout residDropout;
        private final Generator gen;

        CausalSelfAttention(Config c, Generator gen) {
            this.nHead = c.nHead();
            this.dropout = c.dropout();
            this.gen = gen;
            cAttn = registerModule("c_attn", new Linear(c.nEmbd(), 3 * c.nEmbd(), true, gen));
            cProj = registerModule("c_proj", new Linear(c.nEmbd(), c.nEmbd(), true, gen));
            residDropout = registerModule("resid_dropout", new Dropout(c.dropout(), gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            int b = x.size(0), t = x.size(1), c = x.size(2), hd = c / nHead;
            Tensor qkv = cAttn.call(x);
            // [B, T, C] -> [B, nHead, T, hd]
            Tensor q = qkv.narrow(2, 0, c).reshape(b, t, nHead, hd).transpose(1, 2);
            Tensor k = qkv.narrow(2, c, c).reshape(b, t, nHead, hd).transpose(1, 2);
            Tensor v = qkv.narrow(2, 2 * c, c).reshape(b, t, nHead, hd).transpose(1, 2);
            Tensor y = attention(q, k, v).transpose(1, 2).reshape(b, t, c);
            return residDropout.call(cProj.call(y));
        }

        /**
         * softmax(q·kᵀ/√hd, the future masked out)·v with dropout on the weights, as one fused node
         * that keeps no T×T matrix for the backward (nanoGPT's flash path).
         */
        private Tensor attention(Tensor q, Tensor k, Tensor v) {
            float p = isTraining() ? dropout : 0f;
            return F.scaledDotProductAttention(q, k, v, null, p, true, null, gen);
        }
    }

    /** {@code c_proj(gelu(c_fc(x)))}, four times as wide inside. */
    private static final class Mlp extends Module {
        final Linear cFc, cProj;
        final Dropout dropout;

        Mlp(Config c, Generator gen) {
            cFc = registerModule("c_fc", new Linear(c.nEmbd(), 4 * c.nEmbd(), true, gen));
            cProj = registerModule("c_proj", new Linear(4 * c.nEmbd(), c.nEmbd(), true, gen));
            dropout = registerModule("dropout", new Dropout(c.dropout(), gen));
        }

        @Override
        public Tensor forward(Tensor x) {
            return dropout.call(cProj.call(F.gelu(cFc.call(x))));
        }
    }

    @Override
    protected String extraRepr() {
        return "n_layer=" + config.nLayer() + ", n_head=" + config.nHead() + ", n_embd=" + config.nEmbd()
                + ", block_size=" + config.blockSize() + ", vocab_size=" + config.vocabSize();
    }
}
