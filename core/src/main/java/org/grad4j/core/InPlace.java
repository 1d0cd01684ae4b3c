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
        boolean record = GradMode.isEnabled() && (self.requiresGrad || (other != null && other.requiresGrad));
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
        rebaseHistory(self, r.gradFn);
        return self;
    }

    /** Another operand may share self's storage only as exactly the same view (x.add_(x)). */
    private static boolean noHazard(Tensor self, Tensor other) {
        return other == null || other.buffer != self.buffer
                || (other.offset == self.offset && Arrays.equals(other.shape, self.shape) && Arrays.equals(other.strides, self.strides));
    }

    private static void checkWritable(Tensor self, String op) {
        if (GradMode.isEnabled()) {
            if (self.base == null && self.requiresGrad && self.gradFn == null) {
                throw new IllegalStateException(op + ": a leaf Variable that requires grad (shape "
                        + Arrays.toString(self.shape) + ") is being used in an in-place operation. Modify it inside a "
                        + "no-grad scope (try (var s = GradMode.noGrad()) {...}) or through data(), or use the out-of-place op.");
            }
            if (self.base != null && self.base.requiresGrad && self.base.gradFn == null) {
                throw new IllegalStateException(op + ": a view (shape " + Arrays.toString(self.shape) + ") of a leaf Variable "
                        + "that requires grad (shape " + Arrays.toString(self.base.shape) + ") is being used in an in-place "
                        + "operation. Modify it inside a no-grad scope, or clone() the leaf first.");
            }
            if (self.base != null && !self.trackedView && self.base.requiresGrad) {
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

    private static void rebaseHistory(Tensor self, Node fn) {
        if (self.base == null) {
            Node old = self.gradFn;
            self.gradFn = fn;
            self.requiresGrad = true;
            Node.moveRetainedGrad(old, fn, self);
            return;
        }
        Tensor base = self.base;
        int[] positions = Views.logicalPositions(base.layout(), self.layout());
        CopySlices cs = new CopySlices(base.gradEdge(), base.shape, self.shape, positions, fn);
        Node old = base.gradFn;
        base.gradFn = cs;
        base.requiresGrad = true;
        Node.moveRetainedGrad(old, cs, base);
        Views.rebaseView(self, cs);
    }
}
