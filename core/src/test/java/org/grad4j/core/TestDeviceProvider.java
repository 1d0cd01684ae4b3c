package org.grad4j.core;

import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BackendProvider;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.ImageShape;
import org.grad4j.kernels.Layout;
import org.grad4j.kernels.ReduceOp;
import org.grad4j.kernels.StridedMatrix;
import org.grad4j.kernels.UnaryOp;
import org.grad4j.kernels.Window2d;
import org.grad4j.kernels.jvm.JvmBackend;

/**
 * Device type {@code "test"} for the default build (registered in the test resources only): a backend
 * that runs every kernel on the JVM backend but owns buffers of its own class, so its tensors are on a
 * genuinely different device and a buffer of another device handed to it fails loudly.
 */
public final class TestDeviceProvider implements BackendProvider {
    public static final String TYPE = "test";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Backend create() {
        return new TestBackend();
    }

    /** A buffer of the test device: a JVM buffer inside. */
    static final class TestBuffer implements Buffer {
        final Buffer inner;
        final TestBackend owner;

        TestBuffer(Buffer inner, TestBackend owner) {
            this.inner = inner;
            this.owner = owner;
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public Backend backend() {
            return owner;
        }
    }

    /** Delegates every method to {@link JvmBackend#INSTANCE}, unwrapping its own buffers on the way in. */
    static final class TestBackend implements Backend {
        private static final Backend JVM = JvmBackend.INSTANCE;

        private Buffer in(Buffer b) {
            if (b == null) return null;
            if (b instanceof TestBuffer t && t.owner == this) return t.inner;
            throw new IllegalArgumentException("the test backend was given a buffer of backend '"
                    + b.backend().name() + "'");
        }

        private Buffer wrap(Buffer b) {
            return new TestBuffer(b, this);
        }

        @Override
        public String name() {
            return TYPE;
        }

        @Override
        public Buffer allocate(int size) {
            return wrap(JVM.allocate(size));
        }

        @Override
        public Buffer allocateUninitialized(int size) {
            return wrap(JVM.allocateUninitialized(size));
        }

        @Override
        public void release(Buffer buffer) {
            JVM.release(in(buffer));
        }

        @Override
        public void write(float[] src, int srcOffset, Buffer dst, int dstOffset, int length) {
            JVM.write(src, srcOffset, in(dst), dstOffset, length);
        }

        @Override
        public void read(Buffer src, int srcOffset, float[] dst, int dstOffset, int length) {
            JVM.read(in(src), srcOffset, dst, dstOffset, length);
        }

        @Override
        public void copy(Buffer src, Layout srcLayout, Buffer dst, Layout dstLayout) {
            JVM.copy(in(src), srcLayout, in(dst), dstLayout);
        }

        @Override
        public void fill(Buffer dst, Layout layout, float value) {
            JVM.fill(in(dst), layout, value);
        }

        @Override
        public void unary(UnaryOp op, float p0, float p1, Buffer x, Layout xLayout, Buffer out) {
            JVM.unary(op, p0, p1, in(x), xLayout, in(out));
        }

        @Override
        public void binary(BinaryOp op, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out) {
            JVM.binary(op, in(a), aLayout, in(b), bLayout, in(out));
        }

        @Override
        public void binaryScaled(
                BinaryOp op, Buffer a, Layout aLayout, Buffer b, Layout bLayout, float alpha, Buffer out) {
            JVM.binaryScaled(op, in(a), aLayout, in(b), bLayout, alpha, in(out));
        }

        @Override
        public void where(
                Buffer cond, Layout condLayout, Buffer a, Layout aLayout, Buffer b, Layout bLayout, Buffer out) {
            JVM.where(in(cond), condLayout, in(a), aLayout, in(b), bLayout, in(out));
        }

        @Override
        public void reduce(ReduceOp op, Buffer x, Layout layout, int keptRank, Buffer out, Buffer indices) {
            JVM.reduce(op, in(x), layout, keptRank, in(out), in(indices));
        }

        /** The matrix with its buffer unwrapped. */
        private StridedMatrix in(StridedMatrix m) {
            return new StridedMatrix(in(m.buffer()), m.offset(), m.batchStride(), m.rowStride(), m.colStride());
        }

        @Override
        public void matmul(
                int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, Buffer out, float alpha, float beta) {
            JVM.matmul(batch, m, n, k, in(a), in(b), in(out), alpha, beta);
        }

        @Override
        public void addmm(
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
            JVM.addmm(in(c), cLayout, batch, m, n, k, in(a), in(b), in(out), alpha, beta);
        }

        @Override
        public void softmax(Buffer x, int outer, int size, int inner, boolean log, Buffer out) {
            JVM.softmax(in(x), outer, size, inner, log, in(out));
        }

        @Override
        public void attention(Attention a, Buffer q, Buffer k, Buffer v, AttentionMask mask, Buffer out, Buffer lse) {
            JVM.attention(a, in(q), in(k), in(v), in(mask), in(out), in(lse));
        }

        @Override
        public void attentionBackward(
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
            JVM.attentionBackward(
                    a, in(q), in(k), in(v), in(mask), in(out), in(lse), in(gradOut), in(gradQ), in(gradK), in(gradV));
        }

        private AttentionMask in(AttentionMask m) {
            return m == null ? null : new AttentionMask(in(m.buffer()), m.layout(), m.additive());
        }

        @Override
        public void indexSelect(Buffer x, int outer, int dimSize, int inner, int[] index, Buffer out) {
            JVM.indexSelect(in(x), outer, dimSize, inner, index, in(out));
        }

        @Override
        public void indexAdd(Buffer src, int outer, int dimSize, int inner, int[] index, Buffer out) {
            JVM.indexAdd(in(src), outer, dimSize, inner, index, in(out));
        }

        @Override
        public void gather(Buffer x, int outer, int dimSize, int inner, Buffer index, int n, Buffer out) {
            JVM.gather(in(x), outer, dimSize, inner, in(index), n, in(out));
        }

        @Override
        public void scatter(
                Buffer src, Buffer index, int outer, int n, int inner, int dimSize, boolean accumulate, Buffer out) {
            JVM.scatter(in(src), in(index), outer, n, inner, dimSize, accumulate, in(out));
        }

        @Override
        public void cumsum(Buffer x, int outer, int size, int inner, boolean reverse, Buffer out) {
            JVM.cumsum(in(x), outer, size, inner, reverse, in(out));
        }

        @Override
        public void topk(
                Buffer x, int outer, int size, int inner, int k, boolean largest, Buffer values, Buffer indices) {
            JVM.topk(in(x), outer, size, inner, k, largest, in(values), in(indices));
        }

        @Override
        public void im2col(Buffer x, ImageShape shape, Window2d window, Buffer cols) {
            JVM.im2col(in(x), shape, window, in(cols));
        }

        @Override
        public void col2im(Buffer cols, ImageShape shape, Window2d window, Buffer x) {
            JVM.col2im(in(cols), shape, window, in(x));
        }

        @Override
        public boolean convolvesDirectly(ImageShape shape, Window2d window, int outChannels) {
            return JVM.convolvesDirectly(shape, window, outChannels);
        }

        @Override
        public void conv2d(
                Buffer x, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer bias, Buffer out) {
            JVM.conv2d(in(x), shape, window, in(weight), outChannels, bias == null ? null : in(bias), in(out));
        }

        @Override
        public void conv2dInputGrad(
                Buffer gradOut, ImageShape shape, Window2d window, Buffer weight, int outChannels, Buffer gradInput) {
            JVM.conv2dInputGrad(in(gradOut), shape, window, in(weight), outChannels, in(gradInput));
        }

        @Override
        public void conv2dWeightGrad(
                Buffer x,
                ImageShape shape,
                Window2d window,
                Buffer gradOut,
                int outChannels,
                Buffer gradWeight,
                Buffer gradBias) {
            JVM.conv2dWeightGrad(
                    in(x),
                    shape,
                    window,
                    in(gradOut),
                    outChannels,
                    in(gradWeight),
                    gradBias == null ? null : in(gradBias));
        }

        @Override
        public void maxPool2d(Buffer x, ImageShape shape, Window2d window, Buffer out, Buffer indices) {
            JVM.maxPool2d(in(x), shape, window, in(out), in(indices));
        }

        @Override
        public void avgPool2d(Buffer x, ImageShape shape, Window2d window, boolean countIncludePad, Buffer out) {
            JVM.avgPool2d(in(x), shape, window, countIncludePad, in(out));
        }

        @Override
        public void adamStep(
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
            JVM.adamStep(in(p), in(g), in(m), in(v), n, beta1, beta2, stepSize, bc2Sqrt, eps);
        }

        @Override
        public void adamSteps(
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
            JVM.adamSteps(unwrap(p), unwrap(g), unwrap(m), unwrap(v), n, beta1, beta2, stepSize, bc2Sqrt, eps);
        }

        private Buffer[] unwrap(Buffer[] bs) {
            Buffer[] out = new Buffer[bs.length];
            for (int i = 0; i < bs.length; i++) out[i] = in(bs[i]);
            return out;
        }
    }
}
