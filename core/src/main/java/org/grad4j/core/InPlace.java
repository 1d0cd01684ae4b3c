package org.grad4j.core;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * In-place ops ({@code add_}, {@code copy_}, ...). The value is computed by the op's out-of-place
 * form on a copy of the old value (so what backward saves is never overwritten) and written into
 * this tensor's storage, bumping the version counter. When recorded, the tensor's history is
 * rebased onto the op's node; a write through a view is recorded on the base as {@link CopySlices}.
 */
final class InPlace {
    private InPlace() {}

    /** Writes an op's result straight into {@code self}'s storage; false when it cannot (the general path runs). */
    @FunctionalInterface
    interface Direct {
        boolean write(Tensor self);
    }

    static Tensor apply(Tensor self, String op, Tensor other, UnaryOperator<Tensor> outOfPlace) {
        return apply(self, op, other, outOfPlace, null);
    }

    /**
     * With {@code direct}, an unrecorded op (no-grad scope, optimizer steps, grad accumulation) runs
     * as one kernel over self's own storage: no temporary, no copy.
     */
    static Tensor apply(Tensor self, String op, Tensor other, UnaryOperator<Tensor> outOfPlace, Direct direct) {
        checkWritable(self, op);
        if (other != null) Devices.checkSame(self, other);
        boolean record = GradMode.isEnabled() && (self.requiresGrad() || (other != null && other.requiresGrad()));
        if (!record && direct != null && noHazard(self, other) && direct.write(self)) {
            self.version.value++;
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
        return other == null || other.buffer != self.buffer
                || (other.offset == self.offset && Arrays.equals(other.shape, self.shape) && Arrays.equals(other.strides, self.strides));
    }

    private static void checkWritable(Tensor self, String op) {
        if (GradMode.isEnabled()) {
            if (self.base == null && self.requiresGrad() && AutogradMeta.storedGradFn(self) == null) {
                throw new IllegalStateException(op + ": a leaf Variable that requires grad (shape "
                        + Arrays.toString(self.shape) + ") is being used in an in-place operation. Modify it inside a "
                        + "no-grad scope (try (var s = GradMode.noGrad()) {...}) or through data(), or use the out-of-place op.");
            }
            if (self.base != null && self.base.requiresGrad() && AutogradMeta.storedGradFn(self.base) == null) {
                throw new IllegalStateException(op + ": a view (shape " + Arrays.toString(self.shape) + ") of a leaf Variable "
                        + "that requires grad (shape " + Arrays.toString(self.base.shape) + ") is being used in an in-place "
                        + "operation. Modify it inside a no-grad scope, or clone() the leaf first.");
            }
            if (self.base != null && !AutogradMeta.isTrackedView(self) && self.base.requiresGrad()) {
                throw new IllegalStateException(op + ": a view (shape " + Arrays.toString(self.shape) + ") was created in "
                        + "no_grad mode and is being modified inplace with grad mode enabled; create the view with grad mode "
                        + "on, or modify it in a no-grad scope.");
            }
        }
        for (int i = 0; i < self.shape.length; i++) {
            if (self.strides[i] == 0 && self.shape[i] > 1) {
                throw new IllegalStateException(op + ": unsupported operation: more than one element of the written-to tensor "
                        + "refers to a single memory location (an expanded tensor of shape " + Arrays.toString(self.shape)
                        + "). Please clone() the tensor before performing the operation.");
            }
        }
    }

    private static void write(Tensor self, Tensor r, String op) {
        if (!Arrays.equals(r.shape, self.shape)) {
            throw new IllegalArgumentException(op + ": output with shape " + Arrays.toString(self.shape) + " doesn't match the "
                    + "broadcast shape " + Arrays.toString(r.shape) + "; an in-place op cannot change the shape of its tensor");
        }
        self.backend().copy(r.buffer, r.layout(), self.buffer, self.layout());
        self.version.value++;
    }

    /** The op's node becomes self's history; a write through a view is recorded on the base, as CopySlices. */
    private static void rebaseHistory(Tensor self, Node fn) {
        if (self.base == null) {
            Recorder.rebaseHistory(self, fn);
            return;
        }
        Tensor base = self.base;
        int[] positions = Views.logicalPositions(base.layout(), self.layout());
        Node cs = new CopySlices(base.gradEdge(), base.shape, new ViewPositions(positions, self.shape, base.numel()), fn);
        Recorder.rebaseHistory(base, cs);
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
            Tensor result = flatGrad.mul(flatGrad.newOf(keep, keep.length));
            return viewGrad == null ? result : Indexing.indexAdd(result, 0, positions, viewGrad.reshape(-1));
        }
    }
}
