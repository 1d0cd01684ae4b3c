package org.grad4j.core;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.autograd.Node;
import org.grad4j.kernels.Layout;

/**
 * Prints tensors the way PyTorch 2.x does ({@code torch/_tensor_str.py} with the default print
 * options): {@code tensor([[1., 2.], [3., 4.]], grad_fn=<AddBackward0>)}, rows wrapped at 80
 * columns, more than 1000 elements summarised with {@code ...}.
 */
final class TensorFormatter {
    private TensorFormatter() {}

    private static final int THRESHOLD = 1000, EDGE = 3, LINE_WIDTH = 80, PRECISION = 4;
    private static final String PREFIX = "tensor(";

    /** The default device's type; "cpu" when the default cannot be made (printing must not fail). */
    private static String defaultType() {
        try {
            return Device.getDefault().type();
        } catch (IllegalStateException e) {
            return "cpu";
        }
    }

    static String format(Tensor t) {
        float[] v = t.toFloatArray();
        int[] shape = t.shape;
        int indent = PREFIX.length();
        StringBuilder sb = new StringBuilder(PREFIX);
        List<String> suffixes = new ArrayList<>();
        // as PyTorch: the device is named when it is not the default one
        Device device = t.device();
        if (!device.type().equals(defaultType())) suffixes.add("device='" + device + "'");
        if (v.length == 0) {
            sb.append("[]");
            // the shape is shown unless it is (0,); the dtype, as no element can tell it
            if (shape.length != 1) suffixes.add("size=(" + join(shape) + ")");
            if (t.dtype != DType.FLOAT32) suffixes.add("dtype=" + t.dtype);
        } else {
            boolean summarize = v.length > THRESHOLD;
            int[] strides = Layout.contiguousStrides(shape);
            // like PyTorch, only the elements that are printed choose the notation and the width
            List<Float> shown = new ArrayList<>();
            collect(v, shape, strides, 0, 0, summarize, shown);
            tensorStr(sb, v, shape, strides, 0, 0, new Fmt(t.dtype, shown), summarize, indent);
        }
        Node fn = t.gradFn();
        if (fn != null) suffixes.add("grad_fn=<" + fn.name() + ">");
        else if (t.requiresGrad()) suffixes.add("requires_grad=True");
        return addSuffixes(sb.toString(), suffixes, indent);
    }

    /** A suffix goes on a new line when the last line would pass the line width (PyTorch's _add_suffixes). */
    private static String addSuffixes(String s, List<String> suffixes, int indent) {
        StringBuilder sb = new StringBuilder(s);
        int lastLineLen = s.length() - s.lastIndexOf('\n') + 1; // PyTorch's arithmetic, off-by-two included
        for (String suffix : suffixes) {
            if (lastLineLen + suffix.length() + 2 > LINE_WIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(suffix);
                lastLineLen = indent + suffix.length();
            } else {
                sb.append(", ").append(suffix);
                lastLineLen += suffix.length() + 2;
            }
        }
        return sb.append(')').toString();
    }

    private static String join(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
        return shape.length == 1 ? sb.append(",").toString() : sb.toString();
    }

    /** The positions printed along a dimension of size n: all, or the first and last EDGE when summarising. */
    private static int[] shownIndices(int n, boolean summarize) {
        if (!summarize || n <= 2 * EDGE) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        int[] r = new int[2 * EDGE];
        for (int i = 0; i < EDGE; i++) {
            r[i] = i;
            r[EDGE + i] = n - EDGE + i;
        }
        return r;
    }

    private static void collect(
            float[] v, int[] shape, int[] strides, int dim, int at, boolean summarize, List<Float> out) {
        if (dim == shape.length) {
            out.add(v[at]);
            return;
        }
        for (int i : shownIndices(shape[dim], summarize)) {
            collect(v, shape, strides, dim + 1, at + i * strides[dim], summarize, out);
        }
    }

    private static void tensorStr(
            StringBuilder sb,
            float[] v,
            int[] shape,
            int[] strides,
            int dim,
            int at,
            Fmt f,
            boolean summarize,
            int indent) {
        int rank = shape.length;
        if (dim == rank) { // a 0-d tensor
            sb.append(f.format(v[at]));
            return;
        }
        int n = shape[dim];
        boolean elided = summarize && n > 2 * EDGE;
        if (dim == rank - 1) {
            // a row: elements joined by ", ", wrapped so a line holds (80 - indent) / (width + 2) of them
            List<String> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (elided && i == EDGE) {
                    items.add(" ...");
                    i = n - EDGE;
                }
                items.add(f.format(v[at + i * strides[dim]]));
            }
            int perLine = Math.max(1, Math.floorDiv(LINE_WIDTH - indent, f.width + 2));
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) sb.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                sb.append(items.get(i));
            }
            sb.append(']');
            return;
        }
        String sep = "," + "\n".repeat(rank - dim - 1) + " ".repeat(indent + 1);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(sep);
            if (elided && i == EDGE) {
                sb.append("...").append(sep);
                i = n - EDGE;
            }
            tensorStr(sb, v, shape, strides, dim + 1, at + i * strides[dim], f, summarize, indent + 1);
        }
        sb.append(']');
    }

    /** PyTorch's _Formatter: integer, fixed or scientific notation, and one width for all elements. */
    private static final class Fmt {
        final boolean floating;
        final DType dtype;
        boolean intMode = true, sciMode;
        int width = 1;

        Fmt(DType dtype, List<Float> values) {
            this.dtype = dtype;
            this.floating = dtype.isFloatingPoint();
            if (!floating) {
                for (float x : values) width = Math.max(width, plain(x).length());
                return;
            }
            // the notation is chosen from the non-zero finite values only; nan, inf and 0 just follow it
            double maxAbs = 0, minAbs = Double.MAX_VALUE;
            List<Float> nonzero = new ArrayList<>();
            for (float x : values) {
                if (!Float.isFinite(x) || x == 0f) continue;
                nonzero.add(x);
                double a = Math.abs((double) x);
                maxAbs = Math.max(maxAbs, a);
                minAbs = Math.min(minAbs, a);
                if (x != Math.ceil(x)) intMode = false;
            }
            if (nonzero.isEmpty()) return;
            sciMode = maxAbs / minAbs > 1000.0 || maxAbs > 1.0e8 || (!intMode && minAbs < 1.0e-4);
            for (float x : nonzero) {
                int len = sciMode
                        ? sci(x).length()
                        : intMode
                                ? fixed(x, 0).length() + 1
                                : fixed(x, PRECISION).length();
                width = Math.max(width, len);
            }
        }

        String format(float x) {
            String s;
            if (!floating) s = plain(x);
            else if (sciMode) s = sci(x);
            else if (intMode) s = Float.isFinite(x) ? fixed(x, 0) + "." : fixed(x, 0);
            else s = fixed(x, PRECISION);
            return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
        }

        private String plain(float x) {
            if (dtype == DType.BOOL) return x != 0 ? "True" : "False";
            return Long.toString((long) x);
        }
    }

    private static String nonFinite(float x) {
        return Float.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    }

    private static boolean negative(float x) {
        return x < 0 || (x == 0f && 1f / x < 0);
    }

    /**
     * Python's {@code f"{x:.{digits}f}"}: the exact binary value rounded half to even (Java's
     * {@code %.4f} rounds half up, so 0.03125 would print as 0.0313 instead of 0.0312).
     */
    static String fixed(float x, int digits) {
        if (!Float.isFinite(x)) return nonFinite(x);
        String s = new BigDecimal(Math.abs((double) x))
                .setScale(digits, RoundingMode.HALF_EVEN)
                .toPlainString();
        return negative(x) ? "-" + s : s;
    }

    /** Python's {@code f"{x:.4e}"}: five significant digits, rounded half to even, a two-digit exponent at least. */
    static String sci(float x) {
        if (!Float.isFinite(x)) return nonFinite(x);
        String sign = negative(x) ? "-" : "";
        if (x == 0f) return sign + "0." + "0".repeat(PRECISION) + "e+00";
        BigDecimal r =
                new BigDecimal(Math.abs((double) x)).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
        String digits = r.unscaledValue().toString();
        int exponent = digits.length() - 1 - r.scale();
        digits = (digits + "0".repeat(PRECISION + 1)).substring(0, PRECISION + 1);
        String e = Integer.toString(Math.abs(exponent));
        return sign + digits.charAt(0) + "." + digits.substring(1) + "e" + (exponent < 0 ? "-" : "+")
                + (e.length() < 2 ? "0" + e : e);
    }
}
