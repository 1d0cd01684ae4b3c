package org.grad4j.kernels;

/**
 * The backend SPI: what a device must provide for every op of the catalogue. Core builds all ops
 * (and all backward rules) from these primitives, so a new device (the TornadoVM backend) implements
 * exactly this interface.
 *
 * <p>Conventions: an {@code out} buffer is written contiguously from index 0 in the row-major order
 * of the shape its inputs' layouts share (inputs are already broadcast to that shape, a broadcast
 * dimension having stride 0). No method keeps a reference to its arguments.
 */
public interface Backend {

    /** A short name, e.g. {@code "jvm"}. */
    String name();

    // ---- memory -------------------------------------------------------------------------------

    /** A new buffer of {@code size} zeros. */
    Buffer allocate(int size);

    /**
     * A buffer of {@code size} elements whose contents are undefined, for outputs a kernel overwrites
     * completely; a backend may hand back one given to {@link #release}.
     */
    default Buffer allocateUninitialized(int size) {
        return allocate(size);
    }

    /** Takes back a buffer nothing refers to any more (the caller guarantees it); it may be reused. */
    default void release(Buffer buffer) {}

    /** Copies {@code length} floats from the host array into the buffer. */
    void write(float[] src, int srcOffset, Buffer dst, int dstOffset, int length);

    /** Copies {@code length} floats from the buffer into the host array. */
    void read(Buffer src, int srcOffset, float[] dst, int dstOffset, int length);

    /** Strided copy: every element of the {@code src} view to the same position of the {@code dst} view (same shape). */
    void copy(Buffer src, Layout srcLayout, Buffer dst, Layout dstLayout);

    /** Sets every element of the view to {@code value}. */
    void fill(Buffer dst, Layout layout, float value);

    // ---- elementwise --------------------------------------------------------------------------

    void unary(UnaryOp op, float p0, float p1, Buffer x, Layout xLayout, Buffer out);

    void binary(BinaryOp op, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out);

    /** {@code out = cond != 0 ? a : b}. */
    void where(Buffer cond, Layout condLayout, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out);

    // ---- reductions ---------------------------------------------------------------------------

    /**
     * Reduces the trailing {@code rank - keptRank} dimensions of the view: {@code out} (and
     * {@code indices}, when not null, for MAX/MIN) holds one value per element of the leading
     * {@code keptRank} dimensions. Indices are row-major positions within the reduced dimensions.
     */
    void reduce(ReduceOp op, Buffer x, Layout layout, int keptRank, Buffer out, Buffer indices);

    // ---- linear algebra -----------------------------------------------------------------------

    /**
     * Batched matrix product {@code out[e] = beta*out[e] + alpha * A[e] @ B[e]} with A[e] of shape m×k
     * and B[e] of shape k×n (BLAS's strided-batched GEMM); {@code out} is contiguous batch×m×n. With
     * {@code beta == 0} the old contents of {@code out} are ignored (NaNs included).
     */
    void matmul(int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, Buffer out, float alpha, float beta);

    /**
     * {@code out[e] = beta*C[e] + alpha * A[e] @ B[e]} where C is a batch×m×n view (a bias broadcast
     * with stride 0, say): PyTorch's addmm/baddbmm. The default copies C into {@code out} and calls
     * {@link #matmul} with that beta; a device where each kernel launch costs does both in one.
     */
    default void addmm(
            Buffer c,
            Layout cLayout,
            int batch,
            int m,
            int n,
            int k,
            StridedMatrix a,
            StridedMatrix b,
            Buffer out,
            float alpha,
            float beta) {
        copy(c, cLayout, out, Layout.contiguous(new int[] {batch, m, n}));
        matmul(batch, m, n, k, a, b, out, alpha, beta);
    }

    // ---- fused row functions ------------------------------------------------------------------

    /**
     * Softmax (or log-softmax) of a contiguous buffer viewed as outer×size×inner, along the middle
     * dimension, computed stably (the row maximum is subtracted first).
     */
    void softmax(Buffer x, int outer, int size, int inner, boolean log, Buffer out);

    // ---- attention ----------------------------------------------------------------------------

    /**
     * Scaled dot-product attention, forward: {@code out} (batch×queries×valueDim) gets
     * {@code dropout(softmax(scale·Q Kᵀ + mask)) V} and {@code lse} (batch×queries) each row's
     * log-sum-exp of the masked scores, the one statistic the backward pass needs. {@code mask} may be
     * null. A row whose keys are all masked gives zeros and an lse of -inf (PyTorch's CPU result).
     * The default throws, so a backend written before this existed still compiles and fails clearly.
     */
    default void attention(Attention a, Buffer q, Buffer k, Buffer v, AttentionMask mask, Buffer out, Buffer lse) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement attention");
    }

    /**
     * The gradients of {@link #attention} from the gradient {@code gradOut} of its output: the
     * probabilities are recomputed from the saved {@code lse} (and the dropout seed), so nothing of
     * size queries×keys is kept between the passes. {@code gradQ}, {@code gradK} and {@code gradV} are
     * fully written.
     */
    default void attentionBackward(
            Attention a,
            Buffer q,
            Buffer k,
            Buffer v,
            AttentionMask mask,
            Buffer out,
            Buffer lse,
            Buffer gradOut,
            Buffer gradQ,
            Buffer gradK,
            Buffer gradV) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement attentionBackward");
    }

    // ---- indexing -----------------------------------------------------------------------------

    /** {@code out[o, i, j] = x[o, index[i], j]} for contiguous x of outer×dimSize×inner. */
    void indexSelect(Buffer x, int outer, int dimSize, int inner, int[] index, Buffer out);

    /** {@code out[o, index[i], j] += src[o, i, j]} for contiguous src of outer×index.length×inner. */
    void indexAdd(Buffer src, int outer, int dimSize, int inner, int[] index, Buffer out);

    // ---- gather, scatter, scans and selection ----------------------------------------------------
    // Index buffers hold whole numbers as floats (INT64 tensors are stored so), checked by the caller to
    // lie in range. Defaults throw, so a backend written before these existed still compiles.

    /**
     * {@code out[o, i, j] = x[o, index[o, i, j], j]}: x contiguous outer×dimSize×inner, index and out
     * contiguous outer×n×inner (PyTorch's gather along the middle dimension).
     */
    default void gather(Buffer x, int outer, int dimSize, int inner, Buffer index, int n, Buffer out) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement gather");
    }

    /**
     * {@code out[o, index[o, i, j], j] = src[o, i, j]}, or {@code +=} when {@code accumulate}: src and
     * index contiguous outer×n×inner, out contiguous outer×dimSize×inner. Where an index repeats,
     * accumulate adds every value and assignment keeps the last one (the largest i).
     */
    default void scatter(
            Buffer src, Buffer index, int outer, int n, int inner, int dimSize, boolean accumulate, Buffer out) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement scatter");
    }

    /**
     * Running sums of contiguous x (outer×size×inner) along the middle dimension, accumulated in double;
     * from the last element towards the first when {@code reverse} (the backward of cumsum).
     */
    default void cumsum(Buffer x, int outer, int size, int inner, boolean reverse, Buffer out) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement cumsum");
    }

    /**
     * The {@code k} largest (or smallest) elements of each row of contiguous x (outer×size×inner) along
     * the middle dimension, sorted (largest: descending), with their positions in the row: values and
     * indices are contiguous outer×k×inner. NaN counts as larger than every number; equal values come
     * in the order of their positions.
     */
    default void topk(Buffer x, int outer, int size, int inner, int k, boolean largest, Buffer values, Buffer indices) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement topk");
    }

    // ---- image ops (contiguous NCHW) ----------------------------------------------------------
    // Defaults throw, so a backend written before these existed still compiles and fails clearly.

    /**
     * Unfolds sliding kernel windows into columns: {@code cols} (batch × channels·kh·kw × oh·ow,
     * contiguous, oh and ow from {@link Window2d#outH}/{@link Window2d#outW}) gets, in row
     * {@code (c·kh + i)·kw + j}, the pixel of channel c under kernel tap (i, j) for each output
     * position; positions in the zero padding read as 0.
     */
    default void im2col(Buffer x, ImageShape shape, Window2d window, Buffer cols) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement im2col");
    }

    /** The adjoint of {@link #im2col}: adds each column entry into the pixel of {@code x} it came from. */
    default void col2im(Buffer cols, ImageShape shape, Window2d window, Buffer x) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement col2im");
    }

    /**
     * Whether this backend convolves images of {@code shape} (non-empty) with {@code outChannels}
     * filters under {@code window} itself ({@link #conv2d}, {@link #conv2dInputGrad},
     * {@link #conv2dWeightGrad}, groups 1); when not, callers unfold with {@link #im2col} and multiply.
     */
    default boolean convolvesDirectly(ImageShape shape, Window2d window, int outChannels) {
        return false;
    }

    /**
     * 2-d convolution, groups 1: {@code out} (batch × outChannels × outH × outW) gets
     * {@code weight (outChannels × channels·kh·kw) ⊛ x (+ bias[o])}; x, weight, bias contiguous,
     * bias may be null.
     */
    default void conv2d(
            Buffer x, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer bias, Buffer out) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement conv2d");
    }

    /** The gradient of {@link #conv2d} with respect to x (batch × channels × height × width), overwritten. */
    default void conv2dInputGrad(
            Buffer gradOut, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer gradInput) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement conv2dInputGrad");
    }

    /**
     * The gradient of {@link #conv2d} with respect to its weight (outChannels × channels × kh × kw) and,
     * unless {@code gradBias} is null, to its bias (outChannels floats: gradOut summed over the batch
     * and the positions, in the same pass over gradOut), both overwritten.
     */
    default void conv2dWeightGrad(
            Buffer x,
            ImageShape shape,
            Window2d window,
            Buffer gradOut,
            int outChannels,
            Buffer gradWeight,
            Buffer gradBias) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement conv2dWeightGrad");
    }

    /**
     * 2-d max pooling over the {@link ImageShape#planes} contiguous height×width planes; {@code indices}
     * gets the position {@code y·width + x} of each maximum within its plane (a NaN wins).
     */
    default void maxPool2d(Buffer x, ImageShape shape, Window2d window, Buffer out, Buffer indices) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement maxPool2d");
    }

    /**
     * 2-d average pooling (the window's dilation must be 1, as PyTorch's avg_pool2d has none); padding
     * counts in the divisor when {@code countIncludePad}.
     */
    default void avgPool2d(Buffer x, ImageShape shape, Window2d window, boolean countIncludePad, Buffer out) {
        throw new UnsupportedOperationException("backend '" + name() + "' does not implement avgPool2d");
    }

    // ---- fused optimizer updates ---------------------------------------------------------------

    /**
     * {@code out = a op (alpha*b + 0)} for ADD and SUB, b given in a's shape (broadcast by its layout):
     * {@code p.sub_(g, lr)} of SGD and every {@code add_(x, alpha)}, rounded exactly as AFFINE then
     * the binary op would be. The default scales b into a temporary first; a backend may fuse the two.
     */
    default void binaryScaled(BinaryOp op, Buffer a, Layout al, Buffer b, Layout bl, float alpha, Buffer out) {
        if (op != BinaryOp.ADD && op != BinaryOp.SUB)
            throw new IllegalArgumentException("binaryScaled: ADD or SUB, got " + op);
        Buffer scaled = allocateUninitialized(bl.numel());
        unary(UnaryOp.AFFINE, alpha, 0f, b, bl, scaled);
        binary(op, a, al, scaled, Layout.contiguous(bl.shape()), out);
        release(scaled);
    }

    /**
     * One Adam step over {@code n} contiguous elements, in place: {@code m += (1-beta1)(g-m)},
     * {@code v = beta2 v + (1-beta2) g²}, {@code p -= stepSize * m / (sqrt(v)/bc2Sqrt + eps)}: the
     * update of {@code torch.optim.Adam} in one pass instead of a dozen tensor ops.
     */
    default void adamStep(
            Buffer p,
            Buffer g,
            Buffer m,
            Buffer v,
            int n,
            float beta1,
            float beta2,
            float stepSize,
            float bc2Sqrt,
            float eps) {
        throw new UnsupportedOperationException("backend " + name() + " does not implement adamStep");
    }

    /**
     * {@link #adamStep} over several parameters at once (PyTorch's multi-tensor "foreach" Adam): the
     * step size and bias correction are per parameter (each keeps its own step count). The default
     * steps them one by one; a device where each kernel launch costs does them in one.
     */
    default void adamSteps(
            Buffer[] p,
            Buffer[] g,
            Buffer[] m,
            Buffer[] v,
            int[] n,
            float beta1,
            float beta2,
            float[] stepSize,
            float[] bc2Sqrt,
            float eps) {
        for (int i = 0; i < p.length; i++)
            adamStep(p[i], g[i], m[i], v[i], n[i], beta1, beta2, stepSize[i], bc2Sqrt[i], eps);
    }
}
