package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CpuInfo from /proc/cpuinfo and sysfs, and its fallbacks where they are missing. */
class CpuInfoTest {

    private static final String XEON_CPUINFO = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 207
            model name\t: INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz
            flags\t\t: fpu vme sse sse2 avx fma avx2 avx512f avx512dq avx512bw
            cache size\t: 266240 KB

            processor\t: 1
            vendor_id\t: SomethingElse
            model name\t: not the first processor
            """;

    private static void cache(Path dir, int index, String level, String type, String size, String ways)
            throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + index));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
        if (ways != null) Files.writeString(d.resolve("ways_of_associativity"), ways + "\n");
        Files.writeString(d.resolve("coherency_line_size"), "64\n");
    }

    @Test
    void readsTheFirstProcessorAndTheDataCaches(@TempDir Path tmp) throws IOException {
        Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), XEON_CPUINFO);
        Path caches = tmp.resolve("cache");
        cache(caches, 0, "1", "Data", "48K", "12");
        cache(caches, 1, "1", "Instruction", "32K", "8");
        cache(caches, 2, "2", "Unified", "2048K", "16");
        cache(caches, 3, "3", "Unified", "266240K", "20");
        CpuInfo c = CpuInfo.read(cpuinfo, caches, 512);
        assertEquals("GenuineIntel", c.vendor());
        assertEquals(6, c.family());
        assertEquals(207, c.model());
        assertEquals("INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz", c.modelName());
        assertTrue(c.avx2() && c.avx512f() && c.fma());
        assertEquals(512, c.vectorBits());
        assertEquals(new CpuInfo.Cache(48 << 10, 12, 64), c.l1d()); // not the instruction cache
        assertEquals(4096, c.l1d().waySize());
        assertEquals(new CpuInfo.Cache(2 << 20, 16, 64), c.l2());
        assertEquals(new CpuInfo.Cache(260 << 20, 20, 64), c.l3());
        assertEquals(32, c.vectorRegisters());
        assertEquals(
                "INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz (GenuineIntel family 6 model 207) 512-bit vectors,"
                        + " L1d 48K L2 2048K L3 266240K",
                c.describe());
    }

    @Test
    void missingFilesFallBack(@TempDir Path tmp) throws IOException {
        CpuInfo none = CpuInfo.read(tmp.resolve("no-cpuinfo"), tmp.resolve("no-cache"), 0);
        assertEquals(CpuInfo.UNKNOWN, none);
        // a cpuinfo without flags and a cache directory with only L2, its associativity not given
        Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), "vendor_id\t: AuthenticAMD\nmodel\t: x\n");
        Path caches = tmp.resolve("cache");
        cache(caches, 2, "2", "Unified", "1M", null);
        CpuInfo c = CpuInfo.read(cpuinfo, caches, 256);
        assertEquals("AuthenticAMD", c.vendor());
        assertEquals(-1, c.model());
        assertFalse(c.avx2() || c.avx512f() || c.fma());
        assertEquals(16, c.vectorRegisters());
        assertEquals(CpuInfo.UNKNOWN.l1d(), c.l1d());
        assertEquals(new CpuInfo.Cache(1 << 20, 16, 64), c.l2());
        assertEquals(CpuInfo.UNKNOWN.l3(), c.l3());
    }

    @Test
    void sysfsSizes() {
        assertEquals(32 << 10, CpuInfo.parseSize("32K"));
        assertEquals(2 << 20, CpuInfo.parseSize("2M"));
        assertEquals(4096, CpuInfo.parseSize("4096"));
        assertEquals(0, CpuInfo.parseSize("lots"));
        assertEquals(0, CpuInfo.parseSize(""));
    }

    @Test
    void thisMachineIsRead() {
        CpuInfo c = CpuInfo.current();
        assertTrue(c.l1d().size() > 0 && c.l2().size() > 0);
        assertEquals(Simd.AVAILABLE, c.vectorBits() > 0);
    }
}
