package org.grad4j.examples.bench;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.kernels.jvm.CpuInfo;
import org.grad4j.kernels.jvm.GemmConfig;
import org.grad4j.kernels.jvm.Simd;

/**
 * Where a figure was taken: the CPU, the vector width the kernels run at and the matrix product's
 * configuration, as {@code name value unit} lines that -Pbench and the JMH benchmarks print first.
 */
final class BenchEnv {
    private BenchEnv() {}

    private static boolean printed;

    /** env.* lines: {name, value, unit}. */
    static List<String[]> lines() {
        CpuInfo cpu = CpuInfo.current();
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {
            "env.cpu", cpu.vendor().equals("unknown") ? System.getProperty("os.arch") : cpu.modelName(), "-"
        });
        out.add(new String[] {"env.cpu_id", cpu.vendor() + " family " + cpu.family() + " model " + cpu.model(), "-"});
        out.add(new String[] {
            "env.caches",
            "L1d " + (cpu.l1d().size() >> 10) + "K L2 " + (cpu.l2().size() >> 10) + "K L3 "
                    + (cpu.l3().size() >> 10) + "K",
            "-"
        });
        out.add(new String[] {"env.vector_bits", String.valueOf(cpu.vectorBits()), "bits"});
        out.add(new String[] {"env.gemm", Simd.AVAILABLE ? GemmConfig.current().toString() : "scalar", "-"});
        return out;
    }

    /**
     * Prints the lines once per JVM: a JMH fork loads the benchmark class during its first warm-up
     * iteration, whose header line is open, hence the line break first.
     */
    static synchronized void printOnce() {
        if (printed) return;
        printed = true;
        System.out.println();
        for (String[] l : lines()) System.out.println(l[0] + " " + l[1].replace(' ', '_') + " " + l[2]);
    }
}
