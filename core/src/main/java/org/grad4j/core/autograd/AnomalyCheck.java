package org.grad4j.core.autograd;

import org.grad4j.core.Tensor;

/**
 * What the engine does in anomaly mode ({@link AnomalyMode}) after each node ran: a NaN or infinity
 * in the gradients it computed is an {@link ArithmeticException} naming the node, its forward op and
 * where that op was created (and, for a node recorded by a double backward, the node whose backward
 * recorded it).
 */
final class AnomalyCheck {
    private AnomalyCheck() {}

    /** After a node ran in anomaly mode: a NaN or infinity in its gradients is an error naming it and its forward op. */
    static void check(Node node, Tensor[] outs) {
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] == null) continue;
            for (float v : outs[i].toFloatArray()) {
                if (Float.isNaN(v) || Float.isInfinite(v)) {
                    ArithmeticException e = new ArithmeticException(message(node, i, Float.isNaN(v) ? "nan" : "inf"));
                    if (node.creationTrace != null) e.initCause(node.creationTrace);
                    throw e;
                }
            }
        }
    }

    /** Names the backward node, its forward op and where that op was created (and, for double backward, its parent). */
    private static String message(Node node, int output, String what) {
        StringBuilder sb =
                new StringBuilder("Function '" + node.name() + "' returned " + what + " values in its " + output
                        + "th output. Error detected in " + node.name() + ", the backward of the forward op '"
                        + forwardOpName(node)
                        + "'");
        if (node.creationTrace == null) {
            sb.append(". Run the forward pass inside Torch.detectAnomaly() too, to see where that op was created.");
            return sb.toString();
        }
        sb.append(", which was created at (Java stack of the forward call):");
        appendTrace(sb, node.creationTrace);
        for (Node p = node.anomalyParent; p != null; p = p.anomalyParent) {
            sb.append("\nThe op was recorded during the backward of ")
                    .append(p.name())
                    .append(" (createGraph), whose forward op '")
                    .append(forwardOpName(p))
                    .append("' was created at:");
            if (p.creationTrace != null) appendTrace(sb, p.creationTrace);
        }
        sb.append(
                "\nCheck that op's inputs for values outside its domain (log or sqrt of a negative number, division by "
                        + "zero, ...) or the gradient flowing into it.");
        return sb.toString();
    }

    /** {@code LogBackward0} → {@code log}, {@code MaxPool2DWithIndicesBackward0} → {@code maxPool2DWithIndices}. */
    private static String forwardOpName(Node node) {
        String base = node.name().replaceAll("Backwards?\\d*$", "");
        return base.isEmpty() ? node.name() : Character.toLowerCase(base.charAt(0)) + base.substring(1);
    }

    /** The creation stack without the recording machinery's own frames (the node and recorder constructors). */
    private static void appendTrace(StringBuilder sb, Throwable trace) {
        boolean started = false;
        for (StackTraceElement e : trace.getStackTrace()) {
            String c = e.getClassName();
            boolean machinery = c.equals(Node.class.getName())
                    || c.equals(OpNode.class.getName())
                    || c.equals(Recorder.class.getName())
                    || e.getMethodName().equals("<init>") && c.startsWith("org.grad4j.core.");
            if (!started && machinery) continue;
            started = true;
            sb.append("\n\tat ").append(e);
        }
    }
}
