package org.grad4j.core;

import java.util.function.Function;
import org.grad4j.core.tools.GradCheck;

/**
 * The rows of the finite-difference checks ({@link GradCheck}) of the backward rule of every op of the
 * catalogue (the Gradcheck*Test classes), one row per op and case: broadcast, non-contiguous (the view is
 * made inside the checked function), odd sizes and 0-d inputs, leaves that are themselves strided. Every
 * row is also checked to second order ({@link GradCheck#gradgradcheck}): directly where the first
 * derivative depends on the inputs (elementwise ops, products, softmax, in-place chains), through the
 * square of the output where the op is linear (views, reductions), so that the backward rules are shown
 * to be differentiable themselves.
 *
 * <p>Inputs are drawn from fixed seeds (one per table) and kept away from the points where an op is not
 * differentiable (relu and abs at 0, clamp bounds, ties of max/min), farther than the finite-difference
 * step.
 */
final class GradcheckTables {
    private GradcheckTables() {}

    /** One row of a table: a function of leaf tensors and the leaves it is checked at. */
    record Case(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case op(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return new Case(name, fn, inputs);
    }

    /** Seeded leaves (requiresGrad) of the kinds the rows need. */
    static final class In {
        private final Generator gen;

        In(long seed) {
            gen = new Generator(seed);
        }

        static Tensor leaf(float[] v, int... shape) {
            return Tensor.of(v, shape).requiresGrad_();
        }

        private float[] normal(int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = gen.nextNormal();
            return v;
        }

        private static int numel(int... shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** Standard normal. */
        Tensor randn(int... shape) {
            return leaf(normal(numel(shape)), shape);
        }

        /** A 0-d standard normal. */
        Tensor scalar() {
            return randn();
        }

        /** Uniform in [0.5, 2): for log, sqrt, fractional powers and the base of pow. */
        Tensor pos(int... shape) {
            float[] v = new float[numel(shape)];
            for (int i = 0; i < v.length; i++) v[i] = 0.5f + 1.5f * gen.nextUniform();
            return leaf(v, shape);
        }

        /** Normal values pushed away from 0: |x| >= min (for abs, relu, reciprocal, divisors). */
        Tensor away(float min, int... shape) {
            return avoiding(new float[] {0f}, min, shape);
        }

        /** Normal values at least {@code gap} away from each of {@code kinks}. */
        Tensor avoiding(float[] kinks, float gap, int... shape) {
            float[] v = normal(numel(shape));
            for (int i = 0; i < v.length; i++) {
                for (int pass = 0; pass < kinks.length + 1; pass++) {
                    for (float k : kinks) {
                        if (Math.abs(v[i] - k) < gap) v[i] = v[i] >= k ? k + gap : k - gap;
                    }
                }
            }
            return leaf(v, shape);
        }

        /**
         * Tensors whose elements, all together, are distinct multiples of 0.25 (shuffled): no ties
         * for max/min/maximum/minimum, even after a finite-difference step.
         */
        Tensor[] distinct(int[]... shapes) {
            int total = 0;
            for (int[] s : shapes) total += numel(s);
            int[] perm = new int[total];
            for (int i = 0; i < total; i++) perm[i] = i;
            for (int i = total - 1; i > 0; i--) {
                int j = gen.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            Tensor[] out = new Tensor[shapes.length];
            int at = 0;
            for (int k = 0; k < shapes.length; k++) {
                float[] v = new float[numel(shapes[k])];
                for (int i = 0; i < v.length; i++) v[i] = (perm[at++] - total / 2) * 0.25f;
                out[k] = leaf(v, shapes[k]);
            }
            return out;
        }

        /**
         * A leaf that is itself not contiguous and starts at a storage offset: the transpose of
         * rows 1.. of a larger tensor (the leaf has shape {@code [cols, rows]}).
         */
        Tensor strided(int rows, int cols) {
            Tensor t = Tensor.of(normal((rows + 1) * cols), rows + 1, cols)
                    .slice(0, 1, rows + 1)
                    .t()
                    .detach();
            return t.requiresGrad_();
        }

        Tensor distinct1(int... shape) {
            return distinct(shape)[0];
        }

        /** A constant boolean mask (requires no grad). */
        Tensor mask(int... shape) {
            return Tensor.of(normal(numel(shape)), shape).gt(0f);
        }
    }

    static int[] s(int... shape) {
        return shape;
    }

    static int[] dims(int... d) {
        return d;
    }
}
