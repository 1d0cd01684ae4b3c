package org.grad4j.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.data.TensorDataset;

/**
 * Where the example's images come from, so that its first run needs no step before it: the
 * directory given (by default Debian's location); failing that, Debian's
 * {@code dataset-fashion-mnist} installed on the spot where this process may do it (root, or
 * {@code sudo} without a password, and {@code apt-get}); failing that, a sample of the data set
 * that ships in this jar (the first 4,000 training and 1,000 test images).
 */
final class FashionMnistData {
    private FashionMnistData() {}

    /** The data set's four files, each also accepted without the {@code .gz}. */
    static final List<String> FILES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    static final String SAMPLE = "fashion-mnist-sample/";

    /** A training and a test split, and where they came from (one line for the user). */
    record Splits(TensorDataset train, TensorDataset test, String source, boolean embedded) {}

    /**
     * The splits from {@code dir} when it holds any of the data set's files (an incomplete set is
     * an error naming the missing file, not a reason to fall back). Otherwise, if {@code install}
     * and {@code dir} is Debian's location, Debian's package is installed first; and if the
     * files are still not there, the embedded sample, with a line on {@code out} that says so.
     */
    static Splits load(Path dir, boolean install, PrintStream out) {
        String notInstalled = "";
        if (!holdsAnyFile(dir) && install && dir.equals(Mnist.FASHION_MNIST_DIR)) {
            String why = installDebianPackage(out);
            if (why != null) notInstalled = " (could not install it: " + why + ")";
        }
        if (holdsAnyFile(dir)) {
            return new Splits(
                    Mnist.fashionMnist(dir, true), Mnist.fashionMnist(dir, false), "Fashion-MNIST from " + dir, false);
        }
        out.println("Fashion-MNIST is not in " + dir + notInstalled
                + ": training on the sample embedded in the examples (4,000 training and 1,000"
                + " test images); for the full set: " + Mnist.FASHION_MNIST_INSTALL + ", or --data DIR");
        return new Splits(sample(true), sample(false), "the embedded Fashion-MNIST sample", true);
    }

    static boolean holdsAnyFile(Path dir) {
        for (String f : FILES) {
            if (Files.exists(dir.resolve(f + ".gz")) || Files.exists(dir.resolve(f))) return true;
        }
        return false;
    }

    /** The embedded split, read by the same loader as the installed files (from a temporary copy). */
    static TensorDataset sample(boolean train) {
        try {
            Path tmp = Files.createTempDirectory("grad4j-fashion-mnist-sample");
            try {
                String prefix = train ? "train" : "t10k";
                for (String kind : new String[] {"-images-idx3-ubyte.gz", "-labels-idx1-ubyte.gz"}) {
                    try (InputStream in = FashionMnistData.class.getResourceAsStream(SAMPLE + prefix + kind)) {
                        if (in == null)
                            throw new IllegalStateException(
                                    "the examples jar lacks its resource " + SAMPLE + prefix + kind);
                        Files.copy(in, tmp.resolve(prefix + kind), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                return Mnist.load(tmp, train);
            } finally {
                try (var files = Files.list(tmp)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("unpacking the embedded Fashion-MNIST sample failed", e);
        }
    }

    /** Installs Debian's package ({@link DebianPackage#install}); null when it went through, else why not. */
    static String installDebianPackage(PrintStream out) {
        return DebianPackage.install(
                out,
                "Fashion-MNIST is not installed: installing Debian's dataset-fashion-mnist (about 30 MB, once)...",
                "dataset-fashion-mnist");
    }
}
