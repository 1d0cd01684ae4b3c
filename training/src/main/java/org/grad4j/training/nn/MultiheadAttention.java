package org.grad4j.training.nn;

import java.util.Arrays;
import org.grad4j.core.DType;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;

/**
 * {@code nn.MultiheadAttention}: softmax(q kᵀ/√d + mask) v over {@code numHeads} heads of size
 * {@code embedDim / numHeads}, between an input projection and an output projection.
 *
 * <p>Parameters are named as PyTorch's: {@code in_proj_weight} [3E, E] (or {@code q_proj_weight},
 * {@code k_proj_weight}, {@code v_proj_weight} when {@code kdim} or {@code vdim} differ from E),
 * {@code in_proj_bias} [3E], {@code out_proj.weight}, {@code out_proj.bias}; initialised as PyTorch
 * does (xavier_uniform_ on the input projection, zero biases, {@code Linear}'s init for out_proj).
 *
 * <p>Shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim), or batch first (N, L, E) with
 * {@code batchFirst}, or unbatched (L, E). Masks: {@code keyPaddingMask} (N, S) and {@code attnMask}
 * (L, S) or (N·numHeads, L, S); a BOOL mask is true where attention is not allowed, a float mask is
 * added to the scores.
 */
public final class MultiheadAttention extends Module {
    public final int embedDim, numHeads, headDim, kdim, vdim;
    public final float dropout;
    public final boolean batchFirst;
    /** [3E, E] when kdim and vdim equal embedDim, else null. */
    public final Tensor inProjWeight;
    /** [E, E], [E, kdim], [E, vdim] when kdim or vdim differ from embedDim, else null. */
    public final Tensor qProjWeight, kProjWeight, vProjWeight;
    /** [3E], null with {@code bias=false}. */
    public final Tensor inProjBias;

    public final Linear outProj;
    private final Generator generator;

    /** The attention output and, when asked for, the attention weights (else null). */
    public record Output(Tensor output, Tensor weights) {}

    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0f, true, false, embedDim, embedDim, Generator.defaultGenerator());
    }

    public MultiheadAttention(int embedDim, int numHeads, float dropout, boolean bias, boolean batchFirst) {
        this(embedDim, numHeads, dropout, bias, batchFirst, embedDim, embedDim, Generator.defaultGenerator());
    }

    /** {@code generator} draws the initial weights and the attention dropout masks. */
    public MultiheadAttention(
            int embedDim,
            int numHeads,
            float dropout,
            boolean bias,
            boolean batchFirst,
            int kdim,
            int vdim,
            Generator generator) {
        if (embedDim <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim and num_heads must be greater than 0,"
                    + " got embed_dim=" + embedDim + " and num_heads=" + numHeads + " instead");
        }
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim must be divisible by num_heads, got "
                    + "embed_dim=" + embedDim + " and num_heads=" + numHeads);
        }
        if (kdim <= 0 || vdim <= 0)
            throw new IllegalArgumentException(
                    "MultiheadAttention: kdim and vdim must be positive, got " + kdim + " and " + vdim);
        if (dropout < 0 || dropout > 1) {
            throw new IllegalArgumentException(
                    "MultiheadAttention: dropout probability has to be between 0 and 1, but got " + dropout);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        this.kdim = kdim;
        this.vdim = vdim;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = generator;
        // registration order is PyTorch's, so the state dict lists the keys in its order
        if (kdim == embedDim && vdim == embedDim) {
            inProjWeight = registerParameter(
                    "in_proj_weight", Parameter.of(Init.xavierUniform(generator, 1, 3 * embedDim, embedDim)));
            qProjWeight = kProjWeight = vProjWeight = null;
        } else {
            inProjWeight = null;
            qProjWeight = registerParameter(
                    "q_proj_weight", Parameter.of(Init.xavierUniform(generator, 1, embedDim, embedDim)));
            kProjWeight =
                    registerParameter("k_proj_weight", Parameter.of(Init.xavierUniform(generator, 1, embedDim, kdim)));
            vProjWeight =
                    registerParameter("v_proj_weight", Parameter.of(Init.xavierUniform(generator, 1, embedDim, vdim)));
        }
        inProjBias = bias ? registerParameter("in_proj_bias", Parameter.of(Tensor.zeros(3 * embedDim))) : null;
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, bias, generator));
        if (outProj.bias != null) Init.zeros_(outProj.bias);
    }

    /** Self-attention, {@code forward(x, x, x)}, returning the output only. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, false, null, true, false).output();
    }

    /** {@code mha(query, key, value)}: no masks, with the head-averaged weights (PyTorch's defaults). */
    public Output forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, true, null, true, false);
    }

    /**
     * PyTorch's {@code forward(query, key, value, key_padding_mask, need_weights, attn_mask,
     * average_attn_weights, is_causal)}. {@code isCausal} is a hint that {@code attnMask} is the causal
     * mask and needs it, as in PyTorch. The weights are (N, L, S) averaged over the heads, or
     * (N, numHeads, L, S) without {@code averageAttnWeights}; without the batch dimension for unbatched
     * input; null without {@code needWeights}.
     */
    public Output forward(
            Tensor query,
            Tensor key,
            Tensor value,
            Tensor keyPaddingMask,
            boolean needWeights,
            Tensor attnMask,
            boolean averageAttnWeights,
            boolean isCausal) {
        boolean batched = checkShapes(query, key, value, keyPaddingMask, attnMask);
        checkMaskType(keyPaddingMask, "key_padding_mask");
        checkMaskType(attnMask, "attn_mask");
        if (isCausal && attnMask == null) {
            throw new IllegalArgumentException("MultiheadAttention: Need attn_mask if specifying the is_causal hint. "
                    + "You may use TransformerEncoder.generateSquareSubsequentMask to create this mask.");
        }
        // internally (N, L, E)
        Tensor q = batched ? (batchFirst ? query : query.transpose(0, 1)) : query.unsqueeze(0);
        Tensor k = batched ? (batchFirst ? key : key.transpose(0, 1)) : key.unsqueeze(0);
        Tensor v = batched ? (batchFirst ? value : value.transpose(0, 1)) : value.unsqueeze(0);
        Tensor kpm = keyPaddingMask == null || batched ? keyPaddingMask : keyPaddingMask.unsqueeze(0);
        int n = q.size(0), tgtLen = q.size(1), srcLen = k.size(1);
        checkSizes(q, k, v, kpm, attnMask);

        Tensor[] qkv = project(q, k, v, query == key && key == value);
        Tensor qh = splitHeads(qkv[0], n, tgtLen), kh = splitHeads(qkv[1], n, srcLen);
        Tensor vh = splitHeads(qkv[2], n, srcLen);
        Tensor mask = null;
        if (attnMask != null) {
            Tensor m = additive(attnMask, q);
            mask = m.dim() == 2 ? m : m.reshape(n, numHeads, tgtLen, srcLen);
        }
        if (kpm != null) {
            Tensor m = additive(kpm, q).reshape(n, 1, 1, srcLen);
            mask = mask == null ? m : mask.add(m);
        }
        float p = isTraining() ? dropout : 0f;
        // as PyTorch: without the weights, one fused node that keeps no L x S matrix for the backward
        Attention a = needWeights
                ? attention(qh, kh, vh, mask, p)
                : new Attention(F.scaledDotProductAttention(qh, kh, vh, mask, p, false, null, generator), null);

        Tensor out = a.output().transpose(1, 2).reshape(n, tgtLen, embedDim);
        out = outProj.call(out);
        if (!batched) out = out.squeeze(0);
        else if (!batchFirst) out = out.transpose(0, 1);
        Tensor weights = null;
        if (needWeights) {
            weights = averageAttnWeights ? a.weights().mean(1) : a.weights();
            if (!batched) weights = weights.squeeze(0);
        }
        return new Output(out, weights);
    }

    private record Attention(Tensor output, Tensor weights) {}

    /**
     * softmax(q kᵀ/√d + mask) v over (N, H, L, d) heads; the weights are the probabilities after
     * dropout, as PyTorch returns them.
     */
    private Attention attention(Tensor q, Tensor k, Tensor v, Tensor mask, float dropoutP) {
        // scale q before the product, as PyTorch does (q * sqrt(1/d)), so the rounding is the same
        Tensor scores = q.mul((float) Math.sqrt(1.0 / headDim)).matmul(k.transpose(-2, -1));
        if (mask != null) scores = scores.add(mask);
        Tensor w = scores.softmax(-1);
        if (dropoutP > 0) w = F.dropout(w, dropoutP, true, generator);
        return new Attention(w.matmul(v), w);
    }

    /** The input projections of (N, L, ·) inputs; self-attention does them in one product. */
    private Tensor[] project(Tensor q, Tensor k, Tensor v, boolean self) {
        int e = embedDim;
        Tensor bq = null, bk = null, bv = null;
        if (inProjBias != null) {
            bq = inProjBias.narrow(0, 0, e);
            bk = inProjBias.narrow(0, e, e);
            bv = inProjBias.narrow(0, 2 * e, e);
        }
        if (inProjWeight != null && self) {
            Tensor all = linear(q, inProjWeight, inProjBias);
            return new Tensor[] {all.narrow(-1, 0, e), all.narrow(-1, e, e), all.narrow(-1, 2 * e, e)};
        }
        Tensor wq = inProjWeight != null ? inProjWeight.narrow(0, 0, e) : qProjWeight;
        Tensor wk = inProjWeight != null ? inProjWeight.narrow(0, e, e) : kProjWeight;
        Tensor wv = inProjWeight != null ? inProjWeight.narrow(0, 2 * e, e) : vProjWeight;
        return new Tensor[] {linear(q, wq, bq), linear(k, wk, bk), linear(v, wv, bv)};
    }

    private static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Tensor y = x.matmul(w.t());
        return b == null ? y : y.add(b);
    }

    /** (N, T, E) to (N, H, T, d). */
    private Tensor splitHeads(Tensor x, int n, int len) {
        return x.reshape(n, len, numHeads, headDim).transpose(1, 2);
    }

    /** A BOOL mask as 0 / -inf on the query's device; a float mask as it is. */
    private static Tensor additive(Tensor mask, Tensor like) {
        if (mask.dtype() != DType.BOOL) return mask;
        try (var s = GradMode.noGrad()) {
            return Tensor.zeros(mask.shape())
                    .to(like.device())
                    .maskedFill(mask.to(like.device()), Float.NEGATIVE_INFINITY);
        }
    }

    private static void checkMaskType(Tensor mask, String name) {
        if (mask != null && mask.dtype() != DType.BOOL && !mask.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("MultiheadAttention: only bool and floating types of " + name
                    + " are supported, got " + mask.dtype());
        }
    }

    /** PyTorch's {@code _mha_shape_check}: the ranks of the inputs and masks; returns whether batched. */
    private boolean checkShapes(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask) {
        if (query.dim() == 3) {
            if (key.dim() != 3 || value.dim() != 3) {
                throw error("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found " + key.dim()
                        + "-D and " + value.dim() + "-D tensors respectively");
            }
            if (keyPaddingMask != null && keyPaddingMask.dim() != 2) {
                throw error("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found "
                        + keyPaddingMask.dim() + "-D tensor instead");
            }
            if (attnMask != null && attnMask.dim() != 2 && attnMask.dim() != 3) {
                throw error("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                        + attnMask.dim() + "-D tensor instead");
            }
            return true;
        }
        if (query.dim() == 2) {
            if (key.dim() != 2 || value.dim() != 2) {
                throw error("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found " + key.dim()
                        + "-D and " + value.dim() + "-D tensors respectively");
            }
            if (keyPaddingMask != null && keyPaddingMask.dim() != 1) {
                throw error("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but found "
                        + keyPaddingMask.dim() + "-D tensor instead");
            }
            if (attnMask != null && attnMask.dim() != 2 && attnMask.dim() != 3) {
                throw error("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                        + attnMask.dim() + "-D tensor instead");
            }
            return false;
        }
        throw error(
                "query should be unbatched 2D or batched 3D tensor but received " + query.dim() + "-D query tensor");
    }

    /** The sizes, on the (N, L, ·) inputs: embedding dims, key/value agreement, the masks' shapes. */
    private void checkSizes(Tensor q, Tensor k, Tensor v, Tensor keyPaddingMask, Tensor attnMask) {
        int n = q.size(0), tgtLen = q.size(1), srcLen = k.size(1);
        if (q.size(2) != embedDim)
            throw error("was expecting embedding dimension of " + embedDim + ", but got " + q.size(2));
        if (k.size(0) != v.size(0) || k.size(1) != v.size(1)) {
            throw error("key's sequence and batch dims " + Arrays.toString(k.shape()) + " do not match value's "
                    + Arrays.toString(v.shape()));
        }
        if (k.size(0) != n) throw error("key and value have batch size " + k.size(0) + " but query has " + n);
        if (k.size(2) != kdim) throw error("was expecting key of feature size kdim=" + kdim + ", but got " + k.size(2));
        if (v.size(2) != vdim)
            throw error("was expecting value of feature size vdim=" + vdim + ", but got " + v.size(2));
        if (attnMask != null) {
            if (attnMask.dim() == 2 && (attnMask.size(0) != tgtLen || attnMask.size(1) != srcLen)) {
                throw error("The shape of the 2D attn_mask is " + Arrays.toString(attnMask.shape())
                        + ", but should be (" + tgtLen + ", " + srcLen + ").");
            }
            if (attnMask.dim() == 3
                    && (attnMask.size(0) != n * numHeads || attnMask.size(1) != tgtLen || attnMask.size(2) != srcLen)) {
                throw error("The shape of the 3D attn_mask is " + Arrays.toString(attnMask.shape())
                        + ", but should be (" + n * numHeads + ", " + tgtLen + ", " + srcLen + ").");
            }
        }
        if (keyPaddingMask != null) {
            if (keyPaddingMask.size(0) != n)
                throw error("Expected key_padded_mask.shape[0] to be " + n + ", but got " + keyPaddingMask.size(0));
            if (keyPaddingMask.size(1) != srcLen) {
                throw error(
                        "Expected key_padded_mask.shape[1] to be " + srcLen + ", but got " + keyPaddingMask.size(1));
            }
        }
    }

    private static IllegalArgumentException error(String message) {
        return new IllegalArgumentException("MultiheadAttention: " + message);
    }

    @Override
    protected String extraRepr() {
        return "embed_dim=" + embedDim + ", num_heads=" + numHeads + ", dropout=" + dropout + ", batch_first="
                + batchFirst;
    }
}
