package org.grad4j.kernels.jvm;

import java.util.List;
import java.util.Locale;

/**
 * The shape and blocking of the JVM backend's matrix product, chosen once per JVM from the CPU
 * ({@link CpuInfo}): the register-blocked micro-kernel computes an {@code mr × nr} tile of C (mr rows
 * of A broadcast, nr columns of B loaded as nr/L vectors of L floats), over kc-deep panels; A is
 * packed in mc × kc blocks and B in kc × nc blocks.
 *
 * <p>The micro-kernel shape ({@link #choose}) is fixed by the vector registers the JIT can use and the
 * vendor. C2 compiles {@code FloatVector.broadcast(S, a[i])} to a memory-operand {@code vbroadcastss}
 * (a load, no shuffle port), so a shape costs its loads: mr broadcasts and nr/L vector loads per mr·nr/L
 * FMAs. With 32 registers (512-bit vectors, AVX-512): 8 × 2L on AMD (measured best on Zen 4, which
 * runs one 512-bit FMA per cycle) and 6 × 4L elsewhere (24 accumulators, the fewest loads per FMA of
 * the shapes that fit: Intel server cores run two 512-bit FMAs per cycle). With 16 registers (256-bit
 * vectors): 5 × 2L. 6 × 2L looks as if it fitted (12 accumulators, 2 B vectors, a broadcast), but C2
 * keeps three broadcasts live and spills an accumulator, whose store and reload then sit on every k
 * step's dependency chain (8 × 2L spills six); 5 × 2L spills nothing, and is much the fastest of the
 * three on Zen 4 at 256 bits ({@code -XX:UseAVX=2}). {@code -Dgrad4j.gemm=MRxNR} (e.g.
 * {@code 6x64}, or {@code 6x4L}) forces a shape, and
 * {@code -Dgrad4j.gemm=8x32:kc=512,mc=128,nc=4096} its blocking too ({@code directB=N}: the widest row stride
 * of a row-major B read in place).
 *
 * <p>The blocking ({@link #forShape}) is BLIS's analytical model (Low et al., "Analytical modeling is
 * enough for high-performance BLIS", TOMS 2016) one level up: BLIS keeps the kc × nr micro-panel of B
 * in L1 while the mr × kc micro-panels of A stream past it from L2, which makes kc small (160 for 8 ×
 * 2L on a 32 KB 8-way L1); here each kc block costs the micro-kernel a pass of its C tile through
 * memory, which outweighs what B in L1 saves (a deep kc is the faster on Zen 4 at both vector
 * widths). So the B micro-panel is kept in L2 beside the A block: the A block is two B micro-panels wide (mc = 2·nr,
 * rounded to mr: each B micro-panel serves 2·nr/mr A micro-panels) and at least 64 rows (each element
 * of B's block is read from L3 once per A block and then serves its mc rows; at 256 bits 2·nr would be
 * only 30), the two (mc × kc and kc × nr)
 * take 3/8 of L2, the rest being C's tiles and the next panels, and the kc × nc block of B half of L3
 * (at most 4096 columns: a server's L3 is shared by many cores),
 * as BLIS's nc. On Zen 4 (1 MB L2, 32 MB L3) this gives 8 × 32, kc 1024, mc 64, nc 4096 (at 256 bits 5 × 16,
 * kc 1280, mc 60, nc 3264).
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
    static final List<int[]> SHAPES = List.of(
            new int[] {8, 2},
            new int[] {6, 4},
            new int[] {4, 4},
            new int[] {4, 3},
            new int[] {6, 2},
            new int[] {5, 2},
            new int[] {4, 2});

    public GemmConfig {
        if (mr <= 0 || nr <= 0 || kc <= 0 || mc <= 0 || nc <= 0 || mc % mr != 0 || nc % nr != 0)
            throw new IllegalArgumentException("GemmConfig: mr, nr, kc, mc, nc must be positive, mc a multiple"
                    + " of mr and nc of nr; got " + mr + "x" + nr + " kc=" + kc + " mc=" + mc + " nc=" + nc);
    }

    /**
     * Whether a row-major B with this row stride (floats) is read in place rather than packed: up to
     * {@link #directBMaxStride}, except a micro-panel one cache line wide (nr = 16 floats, AVX2) at a
     * multiple of 512 floats: rows 2 KB apart, half an x86 L1's 4 KB way span, all land in two sets.
     */
    public boolean readsBInPlace(int rowStride) {
        return rowStride <= directBMaxStride && (nr != 16 || rowStride % 512 != 0);
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
        String spec = forced.trim();
        int colon = spec.indexOf(':');
        int[] s = parseShape(colon < 0 ? spec : spec.substring(0, colon), vectorLength);
        GemmConfig c = forShape(s[0], s[1], cpu, vectorLength);
        if (colon < 0) return c;
        int kc = c.kc, mc = c.mc, nc = c.nc, directB = c.directBMaxStride;
        for (String kv : spec.substring(colon + 1).split(",")) {
            String[] p = kv.trim().split("=", -1);
            int v = p.length == 2 ? parsePositive(p[1]) : -1;
            switch (p.length == 2 && v > 0 ? p[0].trim() : "") {
                case "kc" -> kc = v;
                case "mc" -> mc = v;
                case "nc" -> nc = v;
                case "directB" -> directB = v;
                default ->
                    throw new IllegalArgumentException("grad4j.gemm=" + spec + ": '" + kv.trim()
                            + "' is not kc=N, mc=N, nc=N or directB=N (N > 0), e.g. 8x32:kc=512,mc=128");
            }
        }
        try {
            return new GemmConfig(c.mr, c.nr, kc, mc, nc, directB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("grad4j.gemm=" + spec + ": " + e.getMessage(), e);
        }
    }

    private static int parsePositive(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The rule (see the class comment), blocked for cpu. */
    static GemmConfig choose(CpuInfo cpu, int vectorLength) {
        if (cpu.vectorRegisters() < 32) return forShape(5, 2, cpu, vectorLength);
        return cpu.vendor().equals("AuthenticAMD")
                ? forShape(8, 2, cpu, vectorLength)
                : forShape(6, 4, cpu, vectorLength);
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

    /** The fewest rows of an A block: 16-register shapes (5 × 16) would otherwise get 30. */
    static final int MIN_MC = 64;

    /** The micro-kernel mr × (vectors·L) with BLIS's cache blocking for cpu (see the class comment). */
    static GemmConfig forShape(int mr, int vectors, CpuInfo cpu, int vectorLength) {
        int nr = vectors * vectorLength;
        CpuInfo.Cache l1 = cpu.l1d(), l2 = cpu.l2(), l3 = cpu.l3();
        // the A block is two B micro-panels wide (each B micro-panel serves 2·nr/mr A micro-panels), and at
        // least 64 rows: each element of B's block comes from L3 once per A block, for 2·mc FLOPs ...
        int mc = Math.max(mr, Math.max(2 * nr, MIN_MC) / mr * mr);
        // ... and the two, mc × kc and kc × nr, take 3/8 of L2: the rest holds C's tiles and the next panel
        int kc = Math.max(16, l2.size() / 8 * 3 / ((mc + nr) * Float.BYTES) / 16 * 16);
        // B's kc × nc block takes half of L3 (the other half: the other cores' blocks, C); without an L3, L2
        int l3Bytes = l3.size() > 0 ? l3.size() / 2 : l2.size() / 2;
        int nc = Math.max(nr, Math.min(4096, l3Bytes / (kc * Float.BYTES)) / nr * nr);
        // a row-major B whose row stride is near a multiple of the L1 way span (4 KB) maps its kc rows to
        // a few sets: read such a B only below the first multiple, else pack it
        int directB = l1.waySize() / Float.BYTES * 125 / 128;
        return new GemmConfig(mr, nr, kc, mc, nc, directB);
    }
}
