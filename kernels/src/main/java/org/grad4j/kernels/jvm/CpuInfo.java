package org.grad4j.kernels.jvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the matrix product needs to know about the CPU it runs on: who made it, its SIMD flags, the
 * Vector API's preferred width, and the geometry of the data caches of core 0. Read once from
 * {@code /proc/cpuinfo} and {@code /sys/devices/system/cpu/cpu0/cache}; where a file is missing (not
 * Linux, a container that hides sysfs) the fields fall back to {@link #UNKNOWN}'s values, which are a
 * common x86 server core's.
 *
 * @param vendor {@code vendor_id}, e.g. GenuineIntel, AuthenticAMD ("unknown" when not read)
 * @param family {@code cpu family} (-1 when not read)
 * @param model {@code model} (-1 when not read)
 * @param modelName {@code model name}, as lscpu prints it
 * @param avx2 the avx2 flag
 * @param avx512f the avx512f flag
 * @param fma the fma flag
 * @param vectorBits the Vector API's preferred float vector in bits (0 without the Vector API)
 * @param l1d the level 1 data cache
 * @param l2 the level 2 cache
 * @param l3 the level 3 cache (size 0 when there is none)
 */
public record CpuInfo(
        String vendor,
        int family,
        int model,
        String modelName,
        boolean avx2,
        boolean avx512f,
        boolean fma,
        int vectorBits,
        Cache l1d,
        Cache l2,
        Cache l3) {

    /**
     * One data (or unified) cache as sysfs describes it.
     *
     * @param size bytes
     * @param ways associativity
     * @param lineSize bytes per line
     */
    public record Cache(int size, int ways, int lineSize) {
        /** Bytes one way holds (sets × line): addresses this far apart map to the same set. */
        public int waySize() {
            return size / ways;
        }
    }

    /** The fallbacks: 32 KB 8-way L1d, 1 MB 16-way L2, 8 MB 16-way L3, 64-byte lines. */
    public static final CpuInfo UNKNOWN = new CpuInfo(
            "unknown",
            -1,
            -1,
            "unknown",
            false,
            false,
            false,
            0,
            new Cache(32 << 10, 8, 64),
            new Cache(1 << 20, 16, 64),
            new Cache(8 << 20, 16, 64));

    private static final class Holder {
        static final CpuInfo CURRENT = read(
                Path.of("/proc/cpuinfo"),
                Path.of("/sys/devices/system/cpu/cpu0/cache"),
                Simd.AVAILABLE ? VectorWidth.bits() : 0);
    }

    /** This machine, read on first use. */
    public static CpuInfo current() {
        return Holder.CURRENT;
    }

    /** Reads the two sources; a missing or unreadable one leaves {@link #UNKNOWN}'s fields. */
    static CpuInfo read(Path cpuinfo, Path cacheDir, int vectorBits) {
        String vendor = UNKNOWN.vendor, name = UNKNOWN.modelName;
        int family = -1, model = -1;
        Set<String> flags = new HashSet<>();
        for (String line : lines(cpuinfo)) {
            if (line.isBlank()) break; // the first processor's block is enough
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).trim(),
                    value = line.substring(colon + 1).trim();
            switch (key) {
                case "vendor_id" -> vendor = value;
                case "cpu family" -> family = parseInt(value, -1);
                case "model" -> model = parseInt(value, -1);
                case "model name" -> name = value;
                case "flags" -> flags.addAll(List.of(value.split("\\s+")));
                default -> {}
            }
        }
        Cache l1 = UNKNOWN.l1d, l2 = UNKNOWN.l2, l3 = UNKNOWN.l3;
        for (int i = 0; i < 8; i++) {
            Path dir = cacheDir.resolve("index" + i);
            String type = first(dir.resolve("type"));
            int level = parseInt(first(dir.resolve("level")), -1);
            int size = parseSize(first(dir.resolve("size")));
            if (type == null || level < 0 || size <= 0 || type.equals("Instruction")) continue;
            int ways = parseInt(first(dir.resolve("ways_of_associativity")), 0);
            int line = parseInt(first(dir.resolve("coherency_line_size")), 64);
            if (ways <= 0 || size % ways != 0)
                ways = switch (level) { // fully associative or not given
                    case 1 -> 8;
                    default -> 16;
                };
            Cache c = new Cache(size, ways, line > 0 ? line : 64);
            switch (level) {
                case 1 -> l1 = c;
                case 2 -> l2 = c;
                case 3 -> l3 = c;
                default -> {}
            }
        }
        return new CpuInfo(
                vendor,
                family,
                model,
                name,
                flags.contains("avx2"),
                flags.contains("avx512f"),
                flags.contains("fma"),
                vectorBits,
                l1,
                l2,
                l3);
    }

    /**
     * Vector registers the compiled kernels can use: 32 where the JIT uses 512-bit vectors (AVX-512's
     * EVEX encoding), 16 otherwise (AVX2, or AVX-512 hardware that the JVM runs at 256 bits).
     */
    public int vectorRegisters() {
        return avx512f && vectorBits >= 512 ? 32 : 16;
    }

    /** One line for benchmark output: model name, vendor family/model, vector width and caches. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s (%s family %d model %d) %d-bit vectors, L1d %dK L2 %dK L3 %dK",
                modelName,
                vendor,
                family,
                model,
                vectorBits,
                l1d.size >> 10,
                l2.size >> 10,
                l3.size >> 10);
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    private static String first(Path p) {
        List<String> l = lines(p);
        return l.isEmpty() ? null : l.get(0).trim();
    }

    private static int parseInt(String s, int otherwise) {
        if (s == null) return otherwise;
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /** sysfs sizes: "32K", "1024K", "32768K", "2M" or plain bytes; 0 when unreadable. */
    static int parseSize(String s) {
        if (s == null || s.isEmpty()) return 0;
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        int shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
        long v = parseInt(shift == 0 ? s : s.substring(0, s.length() - 1), 0);
        return (int) Math.min(Integer.MAX_VALUE, v << shift);
    }

    /** Kept apart so that {@link CpuInfo} itself never loads the Vector API. */
    private static final class VectorWidth {
        static int bits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }
}
