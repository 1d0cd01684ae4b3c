package org.grad4j.examples;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Installs the Debian packages an example's data comes from, on the spot, where this process may do
 * it: as root, or through {@code sudo -n} (no password), with {@code apt-get}; the package lists are
 * updated first only when an install from the present lists fails (missing or stale on a fresh machine).
 */
final class DebianPackage {
    private DebianPackage() {}

    /**
     * Installs {@code packages} after printing {@code announce} on {@code out}; null when it went
     * through, else why not. Nothing is tried where there is no {@code apt-get}.
     */
    static String install(PrintStream out, String announce, String... packages) {
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) return "no apt-get on this machine";
        List<String> prefix = new ArrayList<>();
        if (!isRoot()) {
            if (!Files.isExecutable(Path.of("/usr/bin/sudo")) || !run(List.of("sudo", "-n", "true"), 10)) {
                return "not root, and sudo needs a password";
            }
            prefix.add("sudo");
            prefix.add("-n");
        }
        out.println(announce);
        List<String> install = new ArrayList<>(prefix);
        install.addAll(List.of(
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "install",
                "-y",
                "-qq",
                "-o",
                "DPkg::Lock::Timeout=60"));
        install.addAll(List.of(packages));
        if (run(install, 300)) return null;
        // the package lists may be missing or stale on a fresh machine
        List<String> update = new ArrayList<>(prefix);
        update.addAll(List.of("apt-get", "update", "-qq"));
        if (!run(update, 300)) return "apt-get update failed (is a package registry reachable?)";
        return run(install, 300) ? null : "apt-get install " + String.join(" ", packages) + " failed";
    }

    /** Whether the command exits with 0 within the time (its output is not needed). */
    private static boolean run(List<String> command, int seconds) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (p.waitFor(seconds, TimeUnit.SECONDS)) return p.exitValue() == 0;
            p.destroyForcibly();
            return false;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 && uid.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
