package org.grad4j.core;

import java.util.Arrays;
import java.util.List;
import org.grad4j.core.autograd.AnomalyMode;
import org.grad4j.core.ops.Comparisons;
import org.grad4j.core.ops.Indexing;
import org.grad4j.core.ops.LinearAlgebra;
import org.grad4j.core.ops.Pointwise;

/**
 * The {@code torch.*} namespace: factories, functions of several tensors, grad mode and seeding.
 * Everything here is also reachable as a {@link Tensor} method or static factory.
 */
public final class Torch {
    private Torch() {}

    public static Tensor zeros(int... shape) {
        return Tensor.zeros(shape);
    }

    public static Tensor ones(int... shape) {
        return Tensor.ones(shape);
    }

    public static Tensor full(float value, int... shape) {
        return Tensor.full(value, shape);
    }

    public static Tensor tensor(float... data) {
        return Tensor.tensor(data);
    }

    public static Tensor tensor(float[][] rows) {
        return Tensor.tensor(rows);
    }

    public static Tensor scalar(float value) {
        return Tensor.scalar(value);
    }

    public static Tensor arange(float end) {
        return Tensor.arange(end);
    }

    public static Tensor arange(float start, float end, float step) {
        return Tensor.arange(start, end, step);
    }

    public static Tensor linspace(float start, float end, int steps) {
        return Tensor.linspace(start, end, steps);
    }

    public static Tensor rand(int... shape) {
        return Tensor.rand(shape);
    }

    public static Tensor randn(int... shape) {
        return Tensor.randn(shape);
    }

    public static Tensor eye(int n) {
        return Tensor.eye(n);
    }

    /** Reseeds the default generator ({@code torch.manual_seed}). */
    public static Generator manualSeed(long seed) {
        return Generator.defaultGenerator().manualSeed(seed);
    }

    /** {@code try (var s = Torch.noGrad()) { ... }}: nothing inside is recorded (this thread only). */
    public static ModeScope noGrad() {
        return GradMode.noGrad();
    }

    public static ModeScope enableGrad() {
        return GradMode.enableGrad();
    }

    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }
    /** A scope in which NaN/Inf produced in backward is an error naming the op that made it. */
    public static ModeScope detectAnomaly() {
        return AnomalyMode.detectAnomaly();
    }

    public static Tensor add(Tensor a, Tensor b) {
        return a.add(b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return a.sub(b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return a.mul(b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return a.div(b);
    }

    public static Tensor pow(Tensor a, float exponent) {
        return a.pow(exponent);
    }

    public static Tensor pow(Tensor a, Tensor exponent) {
        return a.pow(exponent);
    }
    /** {@code base ** exponent} for a scalar base. */
    public static Tensor pow(float base, Tensor exponent) {
        return Pointwise.pow(base, exponent);
    }

    public static Tensor erf(Tensor x) {
        return x.erf();
    }

    public static Tensor exp(Tensor x) {
        return x.exp();
    }

    public static Tensor log(Tensor x) {
        return x.log();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor mm(Tensor a, Tensor b) {
        return a.mm(b);
    }

    public static Tensor bmm(Tensor a, Tensor b) {
        return a.bmm(b);
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        return a.matmul(b);
    }

    public static Tensor dot(Tensor a, Tensor b) {
        return a.dot(b);
    }

    public static Tensor mv(Tensor a, Tensor v) {
        return a.mv(v);
    }
    /** {@code input + a @ b}. */
    public static Tensor addmm(Tensor input, Tensor a, Tensor b) {
        return LinearAlgebra.addmm(input, a, b, 1f, 1f);
    }

    public static Tensor addmm(Tensor input, Tensor a, Tensor b, float beta, float alpha) {
        return LinearAlgebra.addmm(input, a, b, beta, alpha);
    }

    /** {@code input + batch1 @ batch2}, batched; input broadcasts. */
    public static Tensor baddbmm(Tensor input, Tensor batch1, Tensor batch2) {
        return input.baddbmm(batch1, batch2);
    }

    public static Tensor baddbmm(Tensor input, Tensor batch1, Tensor batch2, float beta, float alpha) {
        return input.baddbmm(batch1, batch2, beta, alpha);
    }

    public static Tensor gather(Tensor x, int dim, Tensor index) {
        return x.gather(dim, index);
    }

    public static Tensor scatter(Tensor x, int dim, Tensor index, Tensor src) {
        return x.scatter(dim, index, src);
    }

    public static Tensor scatter(Tensor x, int dim, Tensor index, float value) {
        return x.scatter(dim, index, value);
    }

    public static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src) {
        return x.scatterAdd(dim, index, src);
    }

    public static Tensor cumsum(Tensor x, int dim) {
        return x.cumsum(dim);
    }

    public static Tensor.ValuesIndices topk(Tensor x, int k, int dim, boolean largest, boolean sorted) {
        return x.topk(k, dim, largest, sorted);
    }

    /** Category indices drawn from each row of {@code probs} (1-d or 2-d, unnormalised weights), as INT64. */
    public static Tensor multinomial(Tensor probs, int numSamples, boolean replacement, Generator generator) {
        return probs.multinomial(numSamples, replacement, generator);
    }

    public static Tensor logsumexp(Tensor x, int dim, boolean keepdim) {
        return x.logsumexp(dim, keepdim);
    }

    public static Tensor logsumexp(Tensor x, int[] dims, boolean keepdim) {
        return x.logsumexp(dims, keepdim);
    }

    public static Tensor var(Tensor x, int[] dims, float correction, boolean keepdim) {
        return x.var(dims, correction, keepdim);
    }

    public static Tensor std(Tensor x, int[] dims, float correction, boolean keepdim) {
        return x.std(dims, correction, keepdim);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }
    /** {@code torch.clamp}; a null bound means none on that side (see {@link Tensor#clamp(Float, Float)}). */
    public static Tensor clamp(Tensor x, float min, float max) {
        return x.clamp(min, max);
    }

    public static Tensor clamp(Tensor x, Float min, Float max) {
        return x.clamp(min, max);
    }

    public static Tensor clamp(Tensor x, Float min, float max) {
        return x.clamp(min, max);
    }

    public static Tensor clamp(Tensor x, float min, Float max) {
        return x.clamp(min, max);
    }

    /** {@code cond ? a : b} elementwise with broadcasting. */
    public static Tensor maskedFill(Tensor x, Tensor mask, float value) {
        return x.maskedFill(mask, value);
    }

    public static Tensor tril(Tensor x, int diagonal) {
        return x.tril(diagonal);
    }

    public static Tensor triu(Tensor x, int diagonal) {
        return x.triu(diagonal);
    }

    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Comparisons.where(cond, a, b);
    }

    public static Tensor where(Tensor cond, Tensor a, float b) {
        return Comparisons.where(cond, a, TensorInternals.scalarLike(a, b));
    }

    public static Tensor where(Tensor cond, float a, Tensor b) {
        return Comparisons.where(cond, TensorInternals.scalarLike(b, a), b);
    }

    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        return Indexing.cat(Arrays.asList(tensors), dim);
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Indexing.stack(tensors, dim);
    }

    public static Tensor stack(int dim, Tensor... tensors) {
        return Indexing.stack(Arrays.asList(tensors), dim);
    }

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        return x.indexSelect(dim, index);
    }
}
