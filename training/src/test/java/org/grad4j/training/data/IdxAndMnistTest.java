package org.grad4j.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.grad4j.core.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxAndMnistTest {
    @TempDir
    Path dir;

    /** An IDX file: magic 0 0 type ndim, big-endian sizes, then {@code data}. */
    static byte[] idx(int type, int[] shape, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * shape.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) shape.length);
        for (int s : shape) b.putInt(s);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void readsPlainAndGzipFilesOfEveryType() throws IOException {
        byte[] ub = {0, 1, (byte) 200, (byte) 255, 7, 9};
        Idx.Data plain = Idx.read(write("a-idx3-ubyte", idx(Idx.UBYTE, new int[] {1, 2, 3}, ub)));
        assertArrayEquals(new int[] {1, 2, 3}, plain.shape());
        assertArrayEquals(new float[] {0, 1, 200, 255, 7, 9}, plain.values());
        Idx.Data gz = Idx.read(write("a.gz", gzip(idx(Idx.UBYTE, new int[] {1, 2, 3}, ub))));
        assertArrayEquals(plain.values(), gz.values());
        assertEquals(
                -1f,
                Idx.read(write("b", idx(Idx.BYTE, new int[] {1}, new byte[] {(byte) 255})))
                        .values()[0]);
        assertEquals(
                -2f,
                Idx.read(write("s", idx(Idx.SHORT, new int[] {1}, new byte[] {(byte) 0xff, (byte) 0xfe})))
                        .values()[0]);
        assertEquals(
                258f,
                Idx.read(write("i", idx(Idx.INT, new int[] {1}, new byte[] {0, 0, 1, 2})))
                        .values()[0]);
        assertEquals(
                1.5f,
                Idx.read(write(
                                "f",
                                idx(
                                        Idx.FLOAT,
                                        new int[] {1},
                                        ByteBuffer.allocate(4).putFloat(1.5f).array())))
                        .values()[0]);
        assertEquals(
                -0.25f,
                Idx.read(write(
                                "d",
                                idx(
                                        Idx.DOUBLE,
                                        new int[] {1},
                                        ByteBuffer.allocate(8).putDouble(-0.25).array())))
                        .values()[0]);
    }

    private void assertProblem(Path file, String problem) {
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(file));
        assertEquals(file + ": " + problem, e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void corruptOrMissingFilesNameTheFileAndTheProblem() throws IOException {
        assertProblem(dir.resolve("nope"), "file not found");
        assertProblem(write("short", new byte[] {0, 0}), "too short for an IDX header: 2 bytes");
        assertProblem(
                write("magic", new byte[] {'P', 'K', 3, 4, 0, 0}),
                "not an IDX file: the magic number must start with two zero bytes, got 0x50 0x4b");
        assertProblem(
                write("type", idx(0x42, new int[] {1}, new byte[1])),
                "unknown IDX data type code 0x42 (expected 08, 09, 0B, 0C, 0D or 0E)");
        assertProblem(
                write("trunc", idx(Idx.UBYTE, new int[] {3, 28, 28}, new byte[100])),
                "truncated: the header declares shape [3, 28, 28] of ubyte (2352 bytes of data) but only 100 bytes follow");
        assertProblem(
                write("extra", idx(Idx.UBYTE, new int[] {2}, new byte[5])),
                "the header declares shape [2] of ubyte (2 bytes of data) but 3 more bytes follow");
        assertProblem(
                write("hdr", new byte[] {0, 0, 8, 3, 0, 0, 0, 1}),
                "truncated header: 3 dimensions need 16 bytes, the file has 8");
        byte[] gz = gzip(idx(Idx.UBYTE, new int[] {1000}, new byte[1000]));
        Path torn = write("torn.gz", Arrays.copyOf(gz, gz.length / 2));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(torn));
        assertTrue(e.getMessage().startsWith(torn + ": corrupt gzip data"), e.getMessage());
    }

    private void writeSplit(String prefix, int n, int labelCount, boolean gz) throws IOException {
        byte[] px = new byte[n * 4];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 51);
        byte[] lab = new byte[labelCount];
        for (int i = 0; i < lab.length; i++) lab[i] = (byte) (i % 10);
        byte[] images = idx(Idx.UBYTE, new int[] {n, 2, 2}, px), labels = idx(Idx.UBYTE, new int[] {labelCount}, lab);
        write(prefix + "-images-idx3-ubyte" + (gz ? ".gz" : ""), gz ? gzip(images) : images);
        write(prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : ""), gz ? gzip(labels) : labels);
    }

    @Test
    void loadsAnMnistLayoutDirectory() throws IOException {
        writeSplit("train", 12, 12, true);
        writeSplit("t10k", 3, 3, false);
        TensorDataset train = Mnist.load(dir, true);
        assertEquals(12, train.size());
        assertArrayEquals(new int[] {12, 1, 2, 2}, train.tensors().get(0).shape());
        assertArrayEquals(
                new float[] {0, 51 / 255f, 102 / 255f, 153 / 255f},
                train.get(0).get(0).toFloatArray(),
                1e-7f);
        assertEquals(DType.INT64, train.tensors().get(1).dtype());
        assertEquals(11 % 10, (int) train.get(11).get(1).item());
        assertEquals(3, Mnist.load(dir, false).size());
    }

    @Test
    void mismatchedCountsAndMissingFilesAreNamed() throws IOException {
        writeSplit("train", 12, 11, false);
        DataFileException e = assertThrows(DataFileException.class, () -> Mnist.load(dir, true));
        assertEquals(
                dir.resolve("train-labels-idx1-ubyte") + ": has 11 labels but train-images-idx3-ubyte has 12 images",
                e.getMessage());
        e = assertThrows(DataFileException.class, () -> Mnist.load(dir, false));
        assertEquals(
                dir.resolve("t10k-images-idx3-ubyte.gz") + ": file not found (nor t10k-images-idx3-ubyte)",
                e.getMessage());
        Path missing = dir.resolve("not-installed");
        e = assertThrows(DataFileException.class, () -> Mnist.fashionMnist(missing, true));
        assertTrue(e.getMessage().contains("sudo apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().startsWith(missing + ": Fashion-MNIST not found"), e.getMessage());
    }

    /** The real test split, when Debian's dataset-fashion-mnist package is installed. */
    @Test
    void realFashionMnistTestSplitWhenInstalled() {
        assumeTrue(Files.isDirectory(Mnist.FASHION_MNIST_DIR), "dataset-fashion-mnist is not installed");
        TensorDataset test = Mnist.fashionMnist(false);
        assertEquals(10000, test.size());
        assertArrayEquals(new int[] {10000, 1, 28, 28}, test.tensors().get(0).shape());
        int[] perClass = new int[10];
        for (float l : test.tensors().get(1).toFloatArray()) perClass[(int) l]++;
        for (int c : perClass) assertEquals(1000, c);
    }
}
