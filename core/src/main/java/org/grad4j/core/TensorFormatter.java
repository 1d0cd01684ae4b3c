package org.grad4j.core;

import java.util.Locale;

/** Prints tensors the way PyTorch does: {@code tensor([[1., 2.], [3., 4.]], grad_fn=<AddBackward0>)}. */
final class TensorFormatter {
    private TensorFormatter() {}

    private static final int THRESHOLD = 1000, EDGE = 3;

    static String format(Tensor t) {
        StringBuilder sb = new StringBuilder("tensor(");
        float[] v = t.toFloatArray();
        int[] shape = t.shape;
        boolean summarize = v.length > THRESHOLD;
        if (v.length == 0) {
            sb.append("[]");
        } else {
            Fmt f = new Fmt(t.dtype, v);
            int width = 0;
            for (float x : v) width = Math.max(width, f.str(x).length());
            block(sb, v, shape, org.grad4j.kernels.Layout.contiguousStrides(shape), 0, 0, f, width, summarize, 7);
        }
        boolean emptyShaped = v.length == 0 && !(shape.length == 1 && shape[0] == 0);
        if (emptyShaped) sb.append(", size=(").append(join(shape)).append(")");
        if (t.dtype == DType.INT64 && v.length == 0) sb.append(", dtype=torch.int64");
        Node fn = t.gradFn();
        if (fn != null) sb.append(", grad_fn=<").append(fn.name()).append(">");
        else if (t.requiresGrad) sb.append(", requires_grad=True");
        return sb.append(")").toString();
    }

    private static String join(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return shape.length == 1 ? sb.append(",").toString() : sb.toString();
    }

    private static void block(StringBuilder sb, float[] v, int[] shape, int[] strides, int dim, int at, Fmt f, int width,
                              boolean summarize, int indent) {
        if (dim == shape.length) {
            String s = f.str(v[at]);
            sb.append(" ".repeat(width - s.length())).append(s);
            return;
        }
        sb.append('[');
        int n = shape[dim];
        boolean last = dim == shape.length - 1;
        String sep = last ? ", " : "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + dim + 1);
        for (int i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE && i == EDGE) {
                sb.append("...").append(sep);
                i = n - EDGE;
            }
            block(sb, v, shape, strides, dim + 1, at + i * strides[dim], f, width, summarize, indent);
            if (i < n - 1) sb.append(sep);
        }
        sb.append(']');
    }

    /** Chooses integer, fixed or scientific notation from the values, as PyTorch's printer does. */
    private static final class Fmt {
        final DType dtype;
        final boolean intMode, sciMode;

        Fmt(DType dtype, float[] v) {
            this.dtype = dtype;
            boolean ints = true;
            double maxAbs = 0, minAbs = Double.MAX_VALUE;
            boolean anyFinite = false;
            for (float x : v) {
                if (!Float.isFinite(x)) continue;
                anyFinite = true;
                if (x != Math.rint(x)) ints = false;
                double a = Math.abs(x);
                if (a > 0) {
                    maxAbs = Math.max(maxAbs, a);
                    minAbs = Math.min(minAbs, a);
                }
            }
            intMode = ints;
            boolean sci = false;
            if (anyFinite && maxAbs > 0) {
                if (ints) sci = maxAbs > 1e8;
                else sci = maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4;
            }
            sciMode = sci;
        }

        String str(float x) {
            if (dtype == DType.BOOL) return x != 0 ? "True" : "False";
            if (dtype == DType.INT64) return Long.toString((long) x);
            if (Float.isNaN(x)) return "nan";
            if (Float.isInfinite(x)) return x > 0 ? "inf" : "-inf";
            if (sciMode) return String.format(Locale.ROOT, "%.4e", x).replaceFirst("e([+-])(\\d)$", "e$10$2");
            if (intMode) return String.format(Locale.ROOT, "%.0f.", x);
            return String.format(Locale.ROOT, "%.4f", x);
        }
    }
}
