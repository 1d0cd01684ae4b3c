package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rule that picks the micro-kernel and the blocking from a CPU, and the grad4j.gemm override. */
class GemmConfigTest {

    private static final CpuInfo.Cache L1 = new CpuInfo.Cache(32 << 10, 8, 64);

    /** The machine the Zen 4 figures came from: AMD EPYC, family 25 model 17, 1 MB L2, 32 MB L3. */
    static final CpuInfo ZEN4 = new CpuInfo(
            "AuthenticAMD",
            25,
            17,
            "AMD EPYC",
            true,
            true,
            true,
            512,
            L1,
            new CpuInfo.Cache(1 << 20, 8, 64),
            new CpuInfo.Cache(32 << 20, 16, 64));

    /** The Intel Xeon of issue 17: family 6 model 207 (Emerald Rapids), 48 KB L1d, 2 MB L2, 2 FMA units. */
    static final CpuInfo XEON = new CpuInfo(
            "GenuineIntel",
            6,
            207,
            "INTEL(R) XEON(R) PLATINUM 8581C",
            true,
            true,
            true,
            512,
            new CpuInfo.Cache(48 << 10, 12, 64),
            new CpuInfo.Cache(2 << 20, 16, 64),
            new CpuInfo.Cache(260 << 20, 20, 64));

    private static CpuInfo withVectors(CpuInfo c, String vendor, boolean avx512f, int bits) {
        return new CpuInfo(
                vendor, c.family(), c.model(), c.modelName(), true, avx512f, true, bits, c.l1d(), c.l2(), c.l3());
    }

    @Test
    void zen4KeepsTheBlockingItWasMeasuredBestWith() {
        GemmConfig c = GemmConfig.choose(ZEN4, 16);
        assertEquals(new GemmConfig(8, 32, 1024, 64, 4096, 1000), c);
        assertEquals("8x32", c.shape());
    }

    @Test
    void intelWithAvx512TakesTheShapeWithFewestLoadsPerFma() {
        GemmConfig c = GemmConfig.choose(XEON, 16);
        assertEquals(6, c.mr());
        assertEquals(64, c.nr());
        // 3/8 of the 2 MB L2 for the 126 × kc A block and the kc × 64 B micro-panel
        assertEquals(126, c.mc());
        assertEquals(1024, c.kc());
        assertTrue((long) (c.mc() + c.nr()) * c.kc() * 4 <= (2 << 20) * 3 / 8);
    }

    @Test
    void sixteenRegistersTakeTheShapeThatSpillsNothing() {
        // AVX2 only, or AVX-512 hardware that the JVM runs at 256 bits: 16 registers
        CpuInfo avx2 = withVectors(XEON, "GenuineIntel", false, 256);
        assertEquals(16, avx2.vectorRegisters());
        assertEquals("5x16", GemmConfig.choose(avx2, 8).shape());
        CpuInfo zen4At256 = withVectors(ZEN4, "AuthenticAMD", true, 256);
        assertEquals(16, zen4At256.vectorRegisters());
        assertEquals("5x16", GemmConfig.choose(zen4At256, 8).shape());
        assertEquals(32, ZEN4.vectorRegisters());
    }

    @Test
    void aNarrowShapesABlockStillHasSixtyFourRows() {
        // 2·nr would be 30 rows at 5 × 16: B's block would come from L3 once per 30 rows
        GemmConfig c = GemmConfig.choose(withVectors(ZEN4, "AuthenticAMD", true, 256), 8);
        assertEquals(new GemmConfig(5, 16, 1280, 60, 3264, 1000), c); // 3/8 of 1 MB over (60 + 16) · 4 bytes
    }

    @Test
    void theBlockingFollowsTheCaches() {
        GemmConfig small = GemmConfig.forShape(8, 2, withCaches(256 << 10, 4 << 20), 16);
        GemmConfig large = GemmConfig.forShape(8, 2, withCaches(2 << 20, 64 << 20), 16);
        assertEquals(256, small.kc()); // 3/8 of 256 KB over (64 + 32) floats of 4 bytes
        assertEquals(2048, large.kc());
        assertTrue(large.nc() > small.nc());
        for (GemmConfig c : new GemmConfig[] {small, large}) {
            assertEquals(0, c.mc() % c.mr());
            assertEquals(0, c.nc() % c.nr());
        }
        // without an L3, B's block comes from half of L2
        GemmConfig noL3 = GemmConfig.forShape(8, 2, withCaches(1 << 20, 0), 16);
        assertEquals((1 << 20) / 2 / (noL3.kc() * 4) / 32 * 32, noL3.nc());
    }

    private static CpuInfo withCaches(int l2, int l3) {
        return new CpuInfo(
                "AuthenticAMD",
                25,
                17,
                "test",
                true,
                true,
                true,
                512,
                L1,
                new CpuInfo.Cache(l2, 8, 64),
                new CpuInfo.Cache(l3, 16, 64));
    }

    @Test
    void thePropertyForcesEveryShapeInEitherSpelling() {
        for (int[] s : GemmConfig.SHAPES) {
            GemmConfig floats = GemmConfig.select(ZEN4, 16, s[0] + "x" + 16 * s[1]);
            GemmConfig vectors = GemmConfig.select(ZEN4, 16, " " + s[0] + "x" + s[1] + "L ");
            assertEquals(floats, vectors);
            assertEquals(s[0], floats.mr());
            assertEquals(16 * s[1], floats.nr());
            assertEquals(GemmConfig.forShape(s[0], s[1], ZEN4, 16), floats);
        }
        assertEquals(GemmConfig.choose(ZEN4, 16), GemmConfig.select(ZEN4, 16, null));
        assertEquals(GemmConfig.choose(ZEN4, 16), GemmConfig.select(ZEN4, 16, ""));
    }

    @Test
    void thePropertyCanSetTheBlocking() {
        GemmConfig c = GemmConfig.select(ZEN4, 16, "6x64:kc=256,mc=120");
        assertEquals(
                new GemmConfig(
                        6, 64, 256, 120, GemmConfig.forShape(6, 4, ZEN4, 16).nc(), 1000),
                c);
        assertEquals(4096, GemmConfig.select(ZEN4, 16, "8x2L:nc=4096").nc());
        // a row-major B read in place up to this row stride, packed above it (1: always packed)
        assertEquals(1, GemmConfig.select(ZEN4, 16, "8x32:directB=1").directBMaxStride());
    }

    @Test
    void aRowMajorBIsReadInPlaceUpToTheStrideLimitUnlessItsRowsAlias() {
        GemmConfig wide = new GemmConfig(8, 32, 1024, 64, 4096, 1000),
                narrow = new GemmConfig(5, 16, 2128, 30, 1968, 1000);
        for (GemmConfig c : new GemmConfig[] {wide, narrow}) {
            assertTrue(c.readsBInPlace(784));
            assertTrue(c.readsBInPlace(256));
            assertTrue(c.readsBInPlace(1000));
            assertFalse(c.readsBInPlace(1001));
        }
        assertTrue(wide.readsBInPlace(512)); // two lines per row: measured fine
        assertFalse(narrow.readsBInPlace(512)); // one line per row, 2 KB apart: two L1 sets
    }

    @Test
    void aShapeThereIsNoneOfIsRefusedWithTheShapesThereAre() {
        for (String bad : new String[] {"7x32", "8x33", "8x2", "x32", "8x", "8by32", "8x32x1", "8x5L"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> GemmConfig.select(ZEN4, 16, bad));
            assertEquals(
                    "grad4j.gemm=" + bad + ": not a micro-kernel shape; with 16-float vectors the shapes are"
                            + " 8x32, 6x64, 4x64, 4x48, 6x32, 5x32, 4x32 (MRxNR, or NR as a count of vectors: 6x4L)",
                    e.getMessage());
        }
    }

    @Test
    void badBlockingIsRefusedNamingTheProperty() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GemmConfig.select(ZEN4, 16, "8x32:kc=0"));
        assertEquals(
                "grad4j.gemm=8x32:kc=0: 'kc=0' is not kc=N, mc=N, nc=N or directB=N (N > 0), e.g. 8x32:kc=512,mc=128",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmConfig.select(ZEN4, 16, "8x32:mc=60"));
        assertEquals(
                "grad4j.gemm=8x32:mc=60: GemmConfig: mr, nr, kc, mc, nc must be positive, mc a multiple of mr"
                        + " and nc of nr; got 8x32 kc=1024 mc=60 nc=4096",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.select(ZEN4, 16, "8x32:lc=5"));
    }

    @Test
    void describesItselfForBenchmarkOutput() {
        assertEquals(
                "8x32 kc=1024 mc=64 nc=4096 directB<=1000",
                GemmConfig.choose(ZEN4, 16).toString());
    }
}
