package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one switch between the Vector API kernels and the scalar loops. */
class SimdTest {

    @Test
    void vectorKernelsRunExactlyWhenTheModuleIsThere() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module && !Boolean.getBoolean("grad4j.noSimd"), Simd.AVAILABLE);
        // the build's second test run (without the module) says what it expects: a run that still had
        // the module would test nothing of the scalar paths
        String expected = System.getProperty("grad4j.test.expectSimd");
        if (expected != null) {
            assertEquals(
                    Boolean.parseBoolean(expected),
                    Simd.AVAILABLE,
                    "this test JVM was started " + (module ? "with" : "without")
                            + " --add-modules jdk.incubator.vector");
        }
    }

    @Test
    void theAvx2RunHasNarrowVectors() {
        // the build's AVX2 run (-XX:UseAVX=2) says so: a run that still had 512-bit vectors would test
        // the AVX-512 paths a second time instead of the 8-lane ones
        String max = System.getProperty("grad4j.test.maxVectorBits");
        if (max == null) return;
        assertTrue(Simd.AVAILABLE, "the AVX2 run needs --add-modules jdk.incubator.vector");
        int bits = CpuInfo.current().vectorBits();
        assertTrue(bits > 0 && bits <= Integer.parseInt(max), "vector bits " + bits + ", expected at most " + max);
    }
}
