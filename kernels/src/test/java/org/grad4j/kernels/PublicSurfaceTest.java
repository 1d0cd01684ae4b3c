package org.grad4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernels module's public classes are the backend SPI and what core or a user names, no more:
 * kernel loops, buffers and allocators stay package-private, so that they can change without
 * breaking anyone.
 */
class PublicSurfaceTest {

    private static final Set<String> SPI = Set.of(
            "org.grad4j.kernels.Backend",
            "org.grad4j.kernels.BackendProvider",
            "org.grad4j.kernels.Buffer",
            "org.grad4j.kernels.Layout",
            "org.grad4j.kernels.StridedMatrix",
            "org.grad4j.kernels.Attention",
            "org.grad4j.kernels.AttentionMask",
            "org.grad4j.kernels.Window2d",
            "org.grad4j.kernels.ImageShape",
            "org.grad4j.kernels.Geometry",
            "org.grad4j.kernels.Parallel",
            "org.grad4j.kernels.Parallel$Chunk",
            "org.grad4j.kernels.UnaryOp",
            "org.grad4j.kernels.UnaryOp$Code",
            "org.grad4j.kernels.BinaryOp",
            "org.grad4j.kernels.BinaryOp$Code",
            "org.grad4j.kernels.ReduceOp",
            "org.grad4j.kernels.ReduceOp$Code",
            "org.grad4j.kernels.VectorForm",
            "org.grad4j.kernels.jvm.JvmBackend",
            "org.grad4j.kernels.jvm.Simd",
            // what the product was tuned for, which benchmarks print beside every figure
            "org.grad4j.kernels.jvm.CpuInfo",
            "org.grad4j.kernels.jvm.CpuInfo$Cache",
            "org.grad4j.kernels.jvm.GemmConfig");

    /** Compiled only under the tornado profile (the SDK's API on the class path). */
    private static final Set<String> TORNADO = Set.of(
            "org.grad4j.kernels.tornado.TornadoBackend",
            "org.grad4j.kernels.tornado.TornadoBackend$Stats",
            "org.grad4j.kernels.tornado.TornadoProvider");

    @Test
    void onlyTheSpiAndTheBackendsArePublic() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Backend.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Set<String> publicClasses = new TreeSet<>();
        boolean tornado = false;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = root.relativize(f)
                        .toString()
                        .replace(f.getFileSystem().getSeparator(), ".")
                        .replaceAll("\\.class$", "");
                if (name.startsWith("org.grad4j.kernels.tornado.TornadoBackend")) tornado = true;
                if (isPublic(name)) publicClasses.add(name);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Set<String> expected = new TreeSet<>(SPI);
        if (tornado) expected.addAll(TORNADO);
        assertEquals(expected, publicClasses);
    }

    /** Public, and every class around it too (a public class nested in a private one is not reachable). */
    private static boolean isPublic(String name) throws ClassNotFoundException {
        ClassLoader loader = PublicSurfaceTest.class.getClassLoader();
        for (Class<?> c = Class.forName(name, false, loader); c != null; c = c.getDeclaringClass()) {
            if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass()) return false;
        }
        return true;
    }
}
