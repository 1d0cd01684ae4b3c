package org.grad4j.kernels.jvm;

import java.util.List;
import java.util.Locale;

/**
 * The shape and blocking of the JVM backend's matrix product, chosen once per JVM from the CPU
 * ({@link CpuInfo}): the register-blocked micro-kernel computes an {@code mr × nr} tile of C (mr rows
 * of A broadcast, nr columns of B loaded as nr/L vectors of L floats), over kc-deep panels; A is
 * packed in mc × kc blocks and B in kc × nc blocks.
 *
 * <p>The micro-kernel shape ({@link #choose}): where there are 32 vector registers (AVX-512), 8 × 2L on
 * AMD (16 accumulators; Zen 4 issues one 512-bit FMA per cycle, so a broadcast per two FMAs costs
 * nothing) and 6 × 4L elsewhere (24 accumulators, one broadcast per four FMAs: Intel server cores
 * retire two 512-bit FMAs per cycle on ports 0 and 5, and C2 broadcasts from a register, a port 5
 * shuffle); with 16 registers (AVX2) 6 × 2L, 12 accumulators, 2 B vectors and the broadcast, so that
 * nothing spills. {@code -Dgrad4j.gemm=MRxNR} (e.g. {@code 6x64}, or {@code 6x4L}) forces a shape.
 *
 * <p>The blocking ({@link #forShape}) follows BLIS's analytical model (Low et al., "Analytical
 * modeling is enough for high-performance BLIS", TOMS 2016): the kc × nr micro-panel of B, which the
 * inner loop reuses for every mr rows of the A block, keeps to the L1 ways that A's micro-panel (mr ×
 * kc, streamed) and C leave it; the mc × kc A block takes the L2 ways that B's micro-panel leaves;
 * nc × kc of B takes half of L3.
 *
 * @param mr rows of the micro-tile (broadcasts per k step)
 * @param nr columns of the micro-tile, a multiple of the vector length L
 * @param kc depth of the packed panels
 * @param mc rows of a packed A block, a multiple of mr
 * @param nc columns of a packed B block, a multiple of nr
 * @param directBMaxStride the widest row stride (floats) of a row-major B that is read in place
 *     rather than packed: wider rows alias in L1
 */
public record GemmConfig(int mr, int nr, int kc, int mc, int nc, int directBMaxStride) {

    /** The micro-kernel shapes there are, as {mr, nr in vectors}. */
    static final List<int[]> SHAPES =
            List.of(new int[] {8, 2}, new int[] {6, 4}, new int[] {4, 4}, new int[] {4, 3}, new int[] {6, 2});

    public GemmConfig {
        if (mr <= 0 || nr <= 0 || kc <= 0 || mc <= 0 || nc <= 0 || mc % mr != 0 || nc % nr != 0)
            throw new IllegalArgumentException("GemmConfig: mr, nr, kc, mc, nc must be positive, mc a multiple"
                    + " of mr and nc of nr; got " + shape() + " kc=" + kc + " mc=" + mc + " nc=" + nc);
    }

    /** "MRxNR", as {@code -Dgrad4j.gemm} takes it. */
    public String shape() {
        return mr + "x" + nr;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s kc=%d mc=%d nc=%d directB<=%d", shape(), kc, mc, nc, directBMaxStride);
    }

    private static final class Holder {
        static final GemmConfig CURRENT =
                select(CpuInfo.current(), CpuInfo.current().vectorBits() / 32, System.getProperty("grad4j.gemm"));
    }

    /**
     * The configuration the JVM backend's products use in this JVM.
     *
     * @throws IllegalStateException without the Vector API (the scalar loops have no blocking), or when
     *     {@code grad4j.gemm} names no shape there is
     */
    public static GemmConfig current() {
        if (!Simd.AVAILABLE)
            throw new IllegalStateException("GemmConfig: the Vector API is off; the scalar matmul has no blocking");
        return Holder.CURRENT;
    }

    /** The forced shape if {@code forced} (the value of grad4j.gemm) is set, else the rule's, blocked for cpu. */
    static GemmConfig select(CpuInfo cpu, int vectorLength, String forced) {
        if (forced == null || forced.isBlank()) return choose(cpu, vectorLength);
        int[] s = parseShape(forced.trim(), vectorLength);
        return forShape(s[0], s[1], cpu, vectorLength);
    }

    /** The rule (see the class comment), blocked for cpu. */
    static GemmConfig choose(CpuInfo cpu, int vectorLength) {
        if (cpu.vectorRegisters() < 32) return forShape(6, 2, cpu, vectorLength);
        if (cpu.vendor().equals("AuthenticAMD")) return forShape(8, 2, cpu, vectorLength);
        return forShape(6, 4, cpu, vectorLength);
    }

    /** "6x64" (nr in floats, a multiple of L) or "6x4L" (nr in vectors) into {mr, vectors}. */
    static int[] parseShape(String s, int vectorLength) {
        String[] parts = s.toLowerCase(Locale.ROOT).split("x", -1);
        int mr = -1, vectors = -1;
        if (parts.length == 2) {
            try {
                mr = Integer.parseInt(parts[0]);
                vectors = parts[1].endsWith("l")
                        ? Integer.parseInt(parts[1].substring(0, parts[1].length() - 1))
                        : Integer.parseInt(parts[1]) % vectorLength == 0
                                ? Integer.parseInt(parts[1]) / vectorLength
                                : -1;
            } catch (NumberFormatException e) {
                mr = -1;
            }
        }
        for (int[] shape : SHAPES) if (shape[0] == mr && shape[1] == vectors) return new int[] {mr, vectors};
        StringBuilder known = new StringBuilder();
        for (int[] shape : SHAPES)
            known.append(known.isEmpty() ? "" : ", ")
                    .append(shape[0])
                    .append('x')
                    .append(shape[1] * vectorLength);
        throw new IllegalArgumentException("grad4j.gemm=" + s + ": not a micro-kernel shape; with " + vectorLength
                + "-float vectors the shapes are " + known + " (MRxNR, or NR as a count of vectors: 6x4L)");
    }

    /** The micro-kernel mr × (vectors·L) with BLIS's cache blocking for cpu (see the class comment). */
    static GemmConfig forShape(int mr, int vectors, CpuInfo cpu, int vectorLength) {
        int nr = vectors * vectorLength;
        CpuInfo.Cache l1 = cpu.l1d(), l2 = cpu.l2(), l3 = cpu.l3();
        // L1: one way for C, the rest split between A's micro-panel (mr floats per k) and B's (nr per k)
        // in the ratio mr : nr; B's share (at least one way) sets kc
        int bWays = Math.max(1, (int) ((l1.ways() - 1) / (1 + (double) mr / nr)));
        int kc = Math.max(16, bWays * l1.waySize() / (nr * Float.BYTES) / 16 * 16);
        // L2: the ways B's micro-panel needs, and one for C, the rest for the mc × kc A block
        int bWaysL2 = (nr * kc * Float.BYTES + l2.waySize() - 1) / l2.waySize();
        int aWays = Math.max(1, l2.ways() - 1 - bWaysL2);
        int mc = Math.max(mr, aWays * l2.waySize() / (kc * Float.BYTES) / mr * mr);
        // L3 (half of it, the rest for the other cores' blocks and C); without one, L2's B panel
        int l3Bytes = l3.size() > 0 ? l3.size() / 2 : l2.size() / 2;
        int nc = Math.max(nr, Math.min(8192, l3Bytes / (kc * Float.BYTES)) / nr * nr);
        // a row-major B whose row stride is near a multiple of the L1 way span (4 KB) maps its kc rows to
        // a few sets: read such a B only below the first multiple, else pack it
        int directB = l1.waySize() / Float.BYTES * 125 / 128;
        return new GemmConfig(mr, nr, kc, mc, nc, directB);
    }
}
