package org.grad4j.training.spark;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * Spark's {@code local-cluster[N, cores, memory]} master: a standalone master and N workers inside this
 * JVM, each starting a separate executor JVM, so that N workers on one machine really are N processes
 * (what the tests and the example use; Spark's own tests of barrier mode do the same). Its needs:
 *
 * <ul>
 *   <li>this JVM runs with {@code SPARK_HOME} set to a directory with a {@code jars/} folder (empty will
 *       do: the executors' class path is this JVM's, {@link #conf}), and with the {@code --add-opens}
 *       options Spark gives its own JVMs ({@link #jvmOptions});
 *   <li>the executors are registered before a barrier stage is submitted ({@link #awaitExecutors}).
 * </ul>
 */
public final class LocalCluster {
    private LocalCluster() {}

    /** The master URL {@code local-cluster[executors,cores,memoryMb]}. */
    public static String master(int executors, int cores, int memoryMb) {
        return "local-cluster[" + executors + "," + cores + "," + memoryMb + "]";
    }

    /**
     * A configuration for {@link #master}: executors with this JVM's class path (absolute entries: they
     * start in other directories) and the workers' memory, everything bound to 127.0.0.1, no web UI, one
     * task per executor, and
     * a barrier stage that waits for slots re-checked every second rather than every 15.
     */
    public static SparkConf conf(int executors, int cores, int memoryMb) {
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) cp.add(Path.of(e).toAbsolutePath().toString());
        }
        return new SparkConf()
                .setMaster(master(executors, cores, memoryMb))
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.extraClassPath", String.join(File.pathSeparator, cp))
                .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
                .set("spark.executor.memory", memoryMb + "m")
                .set("spark.task.cpus", Integer.toString(cores))
                .set("spark.ui.enabled", "false")
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
    }

    /**
     * What this JVM lacks to host {@link #master local-cluster} executors, or null when nothing: the
     * {@code SPARK_HOME} variable, pointing at a directory with {@code jars/}.
     */
    public static String missingSetup() {
        String home = System.getenv("SPARK_HOME");
        if (home == null || home.isBlank()) return "the environment variable SPARK_HOME is not set";
        if (!Files.isDirectory(Path.of(home, "jars"))) return "SPARK_HOME (" + home + ") has no jars/ directory";
        return null;
    }

    /** The JVM options Spark starts its own JVMs with (module openings for its reflection on JDK internals). */
    public static List<String> jvmOptions() {
        List<String> out = new ArrayList<>();
        for (String o : JavaModuleOptions.defaultModuleOptionArray()) {
            if (!o.contains("sun.security.action")) out.add(o); // gone from java.base in JDK 25: the JVM would warn
        }
        return out;
    }

    /**
     * Waits until {@code executors} executors have registered with the driver, so that a barrier stage
     * finds its slots; an {@link IllegalStateException} naming how many came when {@code timeout} passes.
     */
    public static void awaitExecutors(JavaSparkContext sc, int executors, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int have;
        while ((have = sc.statusTracker().getExecutorInfos().length - 1) < executors) { // the driver is listed too
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "LocalCluster: " + have + " of " + executors + " executors registered within " + timeout
                                + "; see the executors' logs under $SPARK_HOME/work");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("LocalCluster: interrupted while waiting for executors", e);
            }
        }
    }
}
