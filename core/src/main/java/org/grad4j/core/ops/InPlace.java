package org.grad4j.core.ops;

import static org.grad4j.core.TensorInternals.backend;
import static org.grad4j.core.TensorInternals.base;
import static org.grad4j.core.TensorInternals.buffer;
import static org.grad4j.core.TensorInternals.bumpVersion;
import static org.grad4j.core.TensorInternals.checkSameDevice;
import static org.grad4j.core.TensorInternals.layout;
import static org.grad4j.core.TensorInternals.newOf;
import static org.grad4j.core.TensorInternals.shape;
import static org.grad4j.core.TensorInternals.strides;

import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.autograd.AutogradMeta;
import org.grad4j.core.autograd.CopySlices;
import org.grad4j.core.autograd.Node;
import org.grad4j.core.autograd.Recorder;
import org.grad4j.kernels.BinaryOp;
import org.grad4j.kernels.UnaryOp;

/**
 * In-place ops ({@code add_}, {@code copy_}, ...). The value is computed by the op's out-of-place
 * form on a copy of the old value (so what backward saves is never overwritten) and written into
 * this tensor's storage, bumping the version counter. When recorded, the tensor's history is
 * rebased onto the op's node; a write through a view is recorded on the base as {@link CopySlices}.
 */
public final class InPlace {
    private InPlace() {}

    /** Writes an op's result straight into {@code self}'s storage; false when it cannot (the general path runs). */
    @FunctionalInterface
    public interface Direct {
        boolean write(Tensor self);
    }

    public static Tensor add_(Tensor self, Tensor other, float alpha) {
        return apply(
                self,
                "add_",
                other,
                s -> s.add(other, alpha),
                d -> Pointwise.binaryInto(d, BinaryOp.ADD, other, alpha));
    }

    public static Tensor add_(Tensor self, float v) {
        return apply(self, "add_", null, s -> s.add(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, 1f, v));
    }

    public static Tensor sub_(Tensor self, Tensor other, float alpha) {
        return apply(
                self,
                "sub_",
                other,
                s -> s.sub(other, alpha),
                d -> Pointwise.binaryInto(d, BinaryOp.SUB, other, alpha));
    }

    public static Tensor sub_(Tensor self, float v) {
        return apply(self, "sub_", null, s -> s.sub(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, 1f, -v));
    }

    public static Tensor mul_(Tensor self, Tensor other) {
        return apply(self, "mul_", other, s -> s.mul(other), d -> Pointwise.binaryInto(d, BinaryOp.MUL, other));
    }

    public static Tensor mul_(Tensor self, float v) {
        return apply(self, "mul_", null, s -> s.mul(v), d -> Pointwise.unaryInto(d, UnaryOp.AFFINE, v, 0f));
    }

    public static Tensor div_(Tensor self, Tensor other) {
        return apply(self, "div_", other, s -> s.div(other), d -> Pointwise.binaryInto(d, BinaryOp.DIV, other));
    }

    /** In-place clamp: either bound may be null, not both. */
    public static Tensor clamp_(Tensor self, Float min, Float max) {
        if (min == null && max == null) return Pointwise.clamp(self, min, max); // the error, before anything is written
        return apply(self, "clamp_", null, s -> Pointwise.clamp(s, min, max));
    }

    public static Tensor fill_(Tensor self, float v) {
        return apply(self, "fill_", null, s -> Pointwise.fill(s, v), d -> Pointwise.fillInto(d, v));
    }

    /** Copies {@code src} (broadcast to self's shape) into self. */
    public static Tensor copy_(Tensor self, Tensor src) {
        return apply(self, "copy_", src, s -> Pointwise.copy(s, src), d -> Pointwise.copyInto(d, src));
    }

    /** {@code self = outOfPlace(self)} in place; {@code other} is the op's tensor operand, if any. */
    public static Tensor apply(Tensor self, String op, Tensor other, UnaryOperator<Tensor> outOfPlace) {
        return apply(self, op, other, outOfPlace, null);
    }

    /**
     * With {@code direct}, an unrecorded op (no-grad scope, optimizer steps, grad accumulation) runs
     * as one kernel over self's own storage: no temporary, no copy.
     */
    private static Tensor apply(Tensor self, String op, Tensor other, UnaryOperator<Tensor> outOfPlace, Direct direct) {
        checkWritable(self, op);
        if (other != null) checkSameDevice(self, other);
        boolean record = GradMode.isEnabled() && (self.requiresGrad() || (other != null && other.requiresGrad()));
        if (!record && direct != null && noHazard(self, other) && direct.write(self)) {
            bumpVersion(self);
            return self;
        }
        if (!record) {
            Tensor r;
            try (var s = GradMode.noGrad()) {
                r = outOfPlace.apply(self);
            }
            write(self, r, op);
            return self;
        }
        Tensor r = outOfPlace.apply(self.clone());
        write(self, r, op);
        rebaseHistory(self, AutogradMeta.storedGradFn(r));
        return self;
    }

    /** Another operand may share self's storage only as exactly the same view (x.add_(x)). */
    private static boolean noHazard(Tensor self, Tensor other) {
        return other == null
                || buffer(other) != buffer(self)
                || (other.storageOffset() == self.storageOffset()
                        && Arrays.equals(shape(other), shape(self))
                        && Arrays.equals(strides(other), strides(self)));
    }

    private static void checkWritable(Tensor self, String op) {
        if (GradMode.isEnabled()) {
            if (base(self) == null && self.requiresGrad() && AutogradMeta.storedGradFn(self) == null) {
                throw new IllegalStateException(
                        op + ": a leaf Variable that requires grad (shape "
                                + Arrays.toString(shape(self))
                                + ") is being used in an in-place operation. Modify it inside a "
                                + "no-grad scope (try (var s = GradMode.noGrad()) {...}) or through data(), or use the out-of-place op.");
            }
            if (base(self) != null && base(self).requiresGrad() && AutogradMeta.storedGradFn(base(self)) == null) {
                throw new IllegalStateException(
                        op + ": a view (shape " + Arrays.toString(shape(self)) + ") of a leaf Variable "
                                + "that requires grad (shape " + Arrays.toString(shape(base(self)))
                                + ") is being used in an in-place "
                                + "operation. Modify it inside a no-grad scope, or clone() the leaf first.");
            }
            if (base(self) != null
                    && !AutogradMeta.isTrackedView(self)
                    && base(self).requiresGrad()) {
                throw new IllegalStateException(
                        op + ": a view (shape " + Arrays.toString(shape(self)) + ") was created in "
                                + "no_grad mode and is being modified inplace with grad mode enabled; create the view with grad mode "
                                + "on, or modify it in a no-grad scope.");
            }
        }
        for (int i = 0; i < shape(self).length; i++) {
            if (strides(self)[i] == 0 && shape(self)[i] > 1) {
                throw new IllegalStateException(
                        op + ": unsupported operation: more than one element of the written-to tensor "
                                + "refers to a single memory location (an expanded tensor of shape "
                                + Arrays.toString(shape(self))
                                + "). Please clone() the tensor before performing the operation.");
            }
        }
    }

    private static void write(Tensor self, Tensor r, String op) {
        if (!Arrays.equals(shape(r), shape(self))) {
            throw new IllegalArgumentException(op + ": output with shape " + Arrays.toString(shape(self))
                    + " doesn't match the " + "broadcast shape " + Arrays.toString(shape(r))
                    + "; an in-place op cannot change the shape of its tensor");
        }
        backend(self).copy(buffer(r), layout(r), buffer(self), layout(self));
        bumpVersion(self);
    }

    /** The op's node becomes self's history; a write through a view is recorded on the base, as CopySlices. */
    private static void rebaseHistory(Tensor self, Node fn) {
        if (base(self) == null) {
            Recorder.rebaseHistory(self, fn);
            return;
        }
        Tensor base = base(self);
        int[] positions = Slicing.logicalPositions(layout(base), layout(self));
        Node cs = Recorder.rebaseHistoryThroughView(base, fn, new ViewPositions(positions, shape(self), base.numel()));
        Views.rebaseView(self, cs);
    }

    /** A view's elements at row-major {@code positions} of its base's {@code baseNumel} elements. */
    private record ViewPositions(int[] positions, int[] viewShape, int baseNumel) implements CopySlices.Slices {
        @Override
        public Tensor select(Tensor flatGrad) {
            return Indexing.indexSelect(flatGrad, 0, positions).view(viewShape);
        }

        @Override
        public Tensor replace(Tensor flatGrad, Tensor viewGrad) {
            float[] keep = new float[baseNumel];
            Arrays.fill(keep, 1f);
            for (int p : positions) keep[p] = 0f;
            Tensor result = flatGrad.mul(newOf(flatGrad, keep, keep.length));
            return viewGrad == null ? result : Indexing.indexAdd(result, 0, positions, viewGrad.reshape(-1));
        }
    }
}
