package org.grad4j.core;

/**
 * dropout: in training, each element is zeroed with probability p and the survivors are scaled by
 * 1/(1-p), so the expected value is unchanged; in eval it is the identity. As PyTorch does on the
 * CPU, the result is {@code input * noise} with a constant noise tensor, so its grad_fn is
 * {@code MulBackward0} (the gradient is masked and scaled the same way).
 */
final class Dropout {
    private Dropout() {}

    static Tensor dropout(Tensor x, float p, boolean training, Generator gen) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0f) return x;
        float[] noise = new float[x.numel()];
        if (p < 1f) {
            float keep = 1f - p, scale = 1f / keep;
            for (int i = 0; i < noise.length; i++) noise[i] = gen.nextUniform() < keep ? scale : 0f;
        }
        return x.mul(x.newOf(noise, x.shape));
    }
}
