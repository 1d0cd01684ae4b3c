package org.grad4j.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gzip-compressed IDX files: every way the compression layer can be damaged is named, with the file. */
class GzipTest {
    @TempDir
    Path dir;

    private int files;

    /** An IDX file of {@code n} ubytes with varied values (so the deflate stream has real blocks). */
    private static byte[] idx(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = (byte) (i * 37 ^ i >> 3);
        return IdxAndMnistTest.idx(Idx.UBYTE, new int[] {n}, data);
    }

    private Path write(byte[] content) throws IOException {
        return Files.write(dir.resolve("f" + files++ + ".gz"), content);
    }

    private void assertProblem(byte[] content, String problem) throws IOException {
        Path f = write(content);
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertEquals(f + ": " + problem, e.getMessage());
        assertEquals(f, e.file());
    }

    /** A gzip member written by hand, so that every header field can be set. */
    private static byte[] member(
            byte[] raw, int flags, byte[] extra, String name, String comment, boolean goodHeaderCrc) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
        if (extra != null) {
            b.write(extra.length & 0xff);
            b.write(extra.length >> 8);
            b.writeBytes(extra);
        }
        if (name != null) {
            b.writeBytes(name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            b.write(0);
        }
        if (comment != null) {
            b.writeBytes(comment.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            b.write(0);
        }
        if ((flags & 2) != 0) {
            CRC32 h = new CRC32();
            h.update(b.toByteArray());
            int crc16 = (int) h.getValue() & 0xffff ^ (goodHeaderCrc ? 0 : 1);
            b.write(crc16 & 0xff);
            b.write(crc16 >> 8);
        }
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(raw);
        d.finish();
        byte[] chunk = new byte[4096];
        while (!d.finished()) b.write(chunk, 0, d.deflate(chunk));
        d.end();
        CRC32 crc = new CRC32();
        crc.update(raw);
        b.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) crc.getValue())
                .putInt(raw.length)
                .array());
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        return b.toByteArray();
    }

    @Test
    void wellFormedStreamsOfEveryShapeRead() throws IOException {
        byte[] raw = idx(200_000); // more than one 64 KiB buffer, compressed and not
        assertArrayEquals(
                Idx.read(write(member(raw, 0, null, null, null, true))).values(),
                Idx.parse(null, raw).values());
        byte[] everyField = member(raw, 2 | 4 | 8 | 16, new byte[300], "train-images-idx3-ubyte", "a comment", true);
        assertArrayEquals(
                Idx.parse(null, raw).values(), Idx.read(write(everyField)).values());
        // two members are one stream (as gzip -c a b > ab makes), and trailing zero padding is ignored
        byte[] head = Arrays.copyOf(raw, 1000), tail = Arrays.copyOfRange(raw, 1000, raw.length);
        assertArrayEquals(
                Idx.parse(null, raw).values(),
                Idx.read(write(concat(
                                member(head, 0, null, null, null, true),
                                member(tail, 8, null, "b", null, true),
                                new byte[16])))
                        .values());
    }

    @Test
    void eachKindOfDamageIsNamedWithItsOffset() throws IOException {
        byte[] good = IdxAndMnistTest.gzip(idx(5000));
        int n = good.length;
        assertProblem(
                new byte[] {0x1f, (byte) 0x8b, 8},
                "corrupt gzip data: truncated: the gzip header at file offset 0 is cut short (it needs 10 bytes); "
                        + "the download may be incomplete");
        assertProblem(
                Arrays.copyOf(good, 10),
                "corrupt gzip data: truncated: the compressed data ends at file offset 10 before its end marker; "
                        + "the download may be incomplete");
        assertProblem(
                Arrays.copyOf(good, n / 2),
                "corrupt gzip data: truncated: the compressed data ends at file offset " + n / 2
                        + " before its end marker; the download may be incomplete");
        assertProblem(
                Arrays.copyOf(good, n - 3),
                "corrupt gzip data: truncated: the trailer (CRC-32 and length) at file offset " + (n - 8)
                        + " is cut short; the download may be incomplete");
        byte[] crc = good.clone();
        crc[n - 8] ^= 1;
        long stored =
                ByteBuffer.wrap(crc, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        assertProblem(
                crc,
                String.format(
                        "corrupt gzip data: CRC-32 mismatch: the trailer at file offset %d says 0x%08x, the data gives 0x%08x",
                        n - 8, stored, stored ^ 1));
        byte[] size = good.clone();
        size[n - 4] ^= 1;
        assertProblem(
                size,
                "corrupt gzip data: length mismatch: the trailer at file offset " + (n - 8) + " says " + (5008 ^ 1)
                        + " bytes (mod 2^32), the data has 5008");
        byte[] method = good.clone();
        method[2] = 7;
        assertProblem(
                method, "corrupt gzip data: unsupported compression method 7 in the gzip header (only 8, deflate)");
        byte[] reserved = good.clone();
        reserved[3] = 0x20;
        assertProblem(reserved, "corrupt gzip data: invalid gzip header: reserved flag bits set (flags 0x20)");
        byte[] blockType = good.clone();
        blockType[10] |= 0x06; // BTYPE 11 is reserved in deflate
        assertProblem(blockType, "corrupt gzip data: invalid block type (in the deflate data near file offset 11)");
        assertProblem(
                member(idx(10), 2, null, null, null, false),
                "corrupt gzip data: gzip header CRC mismatch: stored 0x"
                        + String.format("%04x", headerCrc16(new byte[] {0x1f, (byte) 0x8b, 8, 2, 1, 2, 3, 4, 0, 3}) ^ 1)
                        + ", the header gives 0x"
                        + String.format("%04x", headerCrc16(new byte[] {0x1f, (byte) 0x8b, 8, 2, 1, 2, 3, 4, 0, 3})));
        assertProblem(
                Arrays.copyOf(member(idx(10), 8, null, "a-long-file-name", null, true), 15),
                "corrupt gzip data: truncated: the gzip header at file offset 0 is cut short; the download may be incomplete");
        assertProblem(
                concat(good, new byte[] {0, 0, 'x', 0}),
                "corrupt gzip data: trailing garbage after the gzip data at file offset " + n);
        assertProblem(
                concat(good, new byte[] {0x1f, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}),
                "corrupt gzip data: not a gzip header at file offset " + n + " (0x1f 0x00)");
    }

    private static int headerCrc16(byte[] header) {
        CRC32 c = new CRC32();
        c.update(header);
        return (int) c.getValue() & 0xffff;
    }

    /** Random damage anywhere in a gzip file is an error that names the file and says what, or else changes no value. */
    @Test
    void randomDamageIsExplainedOrHarmless() throws IOException {
        byte[] raw = idx(3000), good = IdxAndMnistTest.gzip(raw);
        float[] values = Idx.parse(null, raw).values();
        java.util.Random random = new java.util.Random(7);
        Path f = dir.resolve("damaged.gz");
        for (int trial = 0; trial < 300; trial++) {
            byte[] bad = trial % 3 == 0
                    ? Arrays.copyOf(good, 2 + random.nextInt(good.length - 2))
                    : good.clone(); // a cut keeps the gzip magic
            if (trial % 3 != 0) bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
            Files.write(f, bad);
            try {
                assertArrayEquals(values, Idx.read(f).values(), "trial " + trial + " loaded");
            } catch (DataFileException e) {
                assertTrue(e.getMessage().startsWith(f + ": corrupt gzip data: "), e.getMessage());
                assertFalse(e.getMessage().contains("null"), e.getMessage());
            }
        }
    }
}
