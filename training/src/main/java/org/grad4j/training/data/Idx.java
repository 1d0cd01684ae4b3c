package org.grad4j.training.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reader of IDX files (the MNIST format): a 4-byte magic {@code 0 0 type ndim}, {@code ndim} big-endian
 * int32 sizes, then the values big-endian. Gzip-compressed files are recognised by their magic bytes.
 * Every problem is a {@link DataFileException} naming the file and what was wrong.
 */
public final class Idx {
    private Idx() {}

    /** Type codes of the format. */
    public static final int UBYTE = 0x08, BYTE = 0x09, SHORT = 0x0B, INT = 0x0C, FLOAT = 0x0D, DOUBLE = 0x0E;

    /** The contents of an IDX file: its type code, shape, and values as floats. */
    public record Data(int type, int[] shape, float[] values) {
        public int count() {
            return shape.length == 0 ? 0 : shape[0];
        }
    }

    public static Data read(Path file) {
        byte[] bytes = readBytes(file);
        return parse(file, bytes);
    }

    private static byte[] readBytes(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return Gzip.decompress(file, raw);
            }
            return raw.readAllBytes();
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "file not found", e);
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read: " + e, e);
        }
    }

    static Data parse(Path file, byte[] b) {
        if (b.length < 4) throw new DataFileException(file, "too short for an IDX header: " + b.length + " bytes");
        if (b[0] != 0 || b[1] != 0) {
            throw new DataFileException(
                    file,
                    String.format(
                            "not an IDX file: the magic number must start with two zero bytes, got 0x%02x 0x%02x",
                            b[0] & 0xff, b[1] & 0xff));
        }
        int type = b[2] & 0xff, ndim = b[3] & 0xff;
        int width = switch (type) {
            case UBYTE, BYTE -> 1;
            case SHORT -> 2;
            case INT, FLOAT -> 4;
            case DOUBLE -> 8;
            default ->
                throw new DataFileException(
                        file,
                        String.format("unknown IDX data type code 0x%02x (expected 08, 09, 0B, 0C, 0D or 0E)", type));
        };
        if (ndim == 0) throw new DataFileException(file, "IDX header declares 0 dimensions");
        int header = 4 + 4 * ndim;
        if (b.length < header) {
            throw new DataFileException(
                    file,
                    "truncated header: " + ndim + " dimensions need " + header + " bytes, the file has " + b.length);
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int[] shape = new int[ndim];
        long count = 1;
        for (int i = 0; i < ndim; i++) {
            shape[i] = buf.getInt(4 + 4 * i);
            if (shape[i] < 0) throw new DataFileException(file, "negative size " + shape[i] + " in dimension " + i);
            count *= shape[i];
        }
        long need = count * width, have = b.length - header;
        String what = "shape " + Arrays.toString(shape) + " of " + typeName(type) + " (" + need + " bytes of data)";
        if (have < need)
            throw new DataFileException(
                    file, "truncated: the header declares " + what + " but only " + have + " bytes follow");
        if (have > need)
            throw new DataFileException(
                    file, "the header declares " + what + " but " + (have - need) + " more bytes follow");
        if (count > Integer.MAX_VALUE - 8) throw new DataFileException(file, "too large: " + count + " values");
        float[] v = new float[(int) count];
        int p = header;
        for (int i = 0; i < v.length; i++, p += width) {
            v[i] = switch (type) {
                case UBYTE -> b[p] & 0xff;
                case BYTE -> b[p];
                case SHORT -> buf.getShort(p);
                case INT -> buf.getInt(p);
                case FLOAT -> buf.getFloat(p);
                default -> (float) buf.getDouble(p);
            };
        }
        return new Data(type, shape, v);
    }

    static String typeName(int type) {
        return switch (type) {
            case UBYTE -> "ubyte";
            case BYTE -> "byte";
            case SHORT -> "short";
            case INT -> "int";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            default -> String.format("0x%02x", type);
        };
    }
}
