package org.grad4j.training.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.grad4j.core.Tensor;

/**
 * MNIST-layout datasets (MNIST, Fashion-MNIST) from a directory of IDX files
 * ({@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]}, and {@code t10k-*} for
 * the test split). Images come as [N, 1, 28, 28] floats in [0, 1] (PyTorch's {@code ToTensor}),
 * labels as an INT64 [N] tensor of class indices.
 */
public final class Mnist {
    private Mnist() {}

    /** Where Debian's {@code dataset-fashion-mnist} package puts Fashion-MNIST. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** How to get it on Debian/Ubuntu. */
    public static final String FASHION_MNIST_INSTALL = "sudo apt-get install dataset-fashion-mnist";

    public static final String[] FASHION_MNIST_CLASSES = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    };

    /** Fashion-MNIST from its Debian location; a missing directory gives the command that installs it. */
    public static TensorDataset fashionMnist(boolean train) {
        return fashionMnist(FASHION_MNIST_DIR, train);
    }

    public static TensorDataset fashionMnist(Path dir, boolean train) {
        if (!Files.isDirectory(dir)) {
            throw new DataFileException(
                    dir,
                    "Fashion-MNIST not found (no such directory). Install it with:\n    " + FASHION_MNIST_INSTALL
                            + "\nor pass the directory that holds train-images-idx3-ubyte.gz and the other three files.");
        }
        return load(dir, train);
    }

    /** The training (60,000) or test (10,000) split from {@code dir}. */
    public static TensorDataset load(Path dir, boolean train) {
        String prefix = train ? "train" : "t10k";
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        Idx.Data images = Idx.read(imagesFile);
        Idx.Data labels = Idx.read(labelsFile);
        if (images.type() != Idx.UBYTE || images.shape().length != 3) {
            throw new DataFileException(
                    imagesFile,
                    "expected images as ubyte [N, rows, cols], got " + Idx.typeName(images.type()) + " "
                            + Arrays.toString(images.shape()));
        }
        if (labels.type() != Idx.UBYTE || labels.shape().length != 1) {
            throw new DataFileException(
                    labelsFile,
                    "expected labels as ubyte [N], got " + Idx.typeName(labels.type()) + " "
                            + Arrays.toString(labels.shape()));
        }
        if (images.count() != labels.count()) {
            throw new DataFileException(
                    labelsFile,
                    "has " + labels.count() + " labels but " + imagesFile.getFileName() + " has " + images.count()
                            + " images");
        }
        float[] px = images.values();
        for (int i = 0; i < px.length; i++) px[i] /= 255f;
        int[] lab = new int[labels.count()];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = (int) labels.values()[i];
            if (lab[i] > 9)
                throw new DataFileException(
                        labelsFile, "label " + lab[i] + " at index " + i + " is not a class in 0..9");
        }
        int[] s = images.shape();
        return new TensorDataset(Tensor.of(px, s[0], 1, s[1], s[2]), Tensor.indices(lab));
    }

    /** {@code name.gz} if present, else {@code name}; an error listing both when neither exists. */
    private static Path find(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz"), plain = dir.resolve(name);
        if (Files.exists(gz)) return gz;
        if (Files.exists(plain)) return plain;
        throw new DataFileException(gz, "file not found (nor " + plain.getFileName() + ")");
    }
}
