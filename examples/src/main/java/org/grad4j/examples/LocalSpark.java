package org.grad4j.examples;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.training.spark.LocalCluster;

/**
 * Lets an example run Spark's {@code local-cluster} (executor JVMs on this machine) from a plain
 * {@code java} command: that master needs {@code SPARK_HOME} in the driver's environment and Spark's
 * module openings on its command line, which a running JVM cannot give itself. So, when they are
 * missing, the example runs again in a child JVM that has them (a stub {@code SPARK_HOME} with an empty
 * {@code jars/} under the example's output directory), and this JVM exits with the child's status.
 */
public final class LocalSpark {
    private LocalSpark() {}

    private static final String CHILD = "GRAD4J_LOCAL_SPARK_CHILD";

    public static void ensureDriverSetup(Class<?> main, String[] args, Path sparkHome) {
        boolean opened = Object.class.getModule().isOpen("java.nio", LocalSpark.class.getModule());
        if (LocalCluster.missingSetup() == null && opened) return;
        if (System.getenv(CHILD) != null) {
            throw new IllegalStateException(
                    "local-cluster cannot start: " + (opened ? LocalCluster.missingSetup() : "java.nio is not opened"));
        }
        Path home = sparkHome.toAbsolutePath();
        try {
            Files.createDirectories(home.resolve("jars"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the stub SPARK_HOME " + home + ": " + e.getMessage(), e);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(
                ManagementFactory.getRuntimeMXBean().getInputArguments()); // this JVM's own flags (heap, headless, ...)
        cmd.addAll(LocalCluster.jvmOptions());
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) cp.add(Path.of(e).toAbsolutePath().toString());
        }
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put(CHILD, "1");
        try {
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy)); // Ctrl-C stops the child too
            System.exit(p.waitFor());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the driver JVM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        }
    }
}
