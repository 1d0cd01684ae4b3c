package org.grad4j.training.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Gzip decompression (RFC 1952) that says what is wrong with a damaged file: a header, compressed
 * stream or trailer cut short, a CRC-32 or length mismatch, bad deflate data, or trailing garbage,
 * each with the file offset. {@link java.util.zip.GZIPInputStream} reports some of these as a bare
 * {@code EOFException} and ignores bytes after the last member. Concatenated members are one stream.
 */
final class Gzip {
    private static final int FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, RESERVED = 0xE0;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path file;
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos, lim;
    private long bufStart; // file offset of buf[0]
    private final CRC32 headerCrc = new CRC32();

    private Gzip(Path file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    /** The decompressed bytes of the gzip stream {@code in} (read from {@code file}, named in errors). */
    static byte[] decompress(Path file, InputStream in) throws IOException {
        return new Gzip(file, in).all();
    }

    private byte[] all() throws IOException {
        byte[] out = new byte[1 << 16];
        int len = 0;
        do {
            member(); // the header
            Inflater inflater = new Inflater(true);
            try {
                CRC32 crc = new CRC32();
                int start = len;
                long dataStart = offset();
                while (!inflater.finished()) {
                    if (inflater.needsInput()) {
                        if (!fill())
                            throw corrupt(
                                    "truncated: the compressed data ends at file offset " + offset()
                                            + " before its end marker",
                                    true);
                        inflater.setInput(buf, pos, lim - pos);
                        pos = lim;
                    }
                    if (len == out.length) {
                        if (len == MAX_ARRAY)
                            throw new DataFileException(file, "decompresses to more than " + MAX_ARRAY + " bytes");
                        out = Arrays.copyOf(out, (int) Math.min(MAX_ARRAY, 2L * out.length));
                    }
                    try {
                        int n = inflater.inflate(out, len, out.length - len);
                        if (n == 0 && inflater.needsDictionary())
                            throw new DataFormatException("the deflate data asks for a preset dictionary");
                        len += n;
                    } catch (DataFormatException e) {
                        throw corrupt(
                                e.getMessage() + " (in the deflate data near file offset "
                                        + (dataStart + inflater.getBytesRead()) + ")",
                                false);
                    }
                }
                pos = lim
                        - inflater.getRemaining(); // what the inflater was given but did not use belongs to the trailer
                crc.update(out, start, len - start);
                long trailerAt = offset();
                if (!available(8))
                    throw corrupt(
                            "truncated: the trailer (CRC-32 and length) at file offset " + trailerAt + " is cut short",
                            true);
                long storedCrc = uint32(), storedSize = uint32();
                if (storedCrc != crc.getValue()) {
                    throw corrupt(
                            String.format(
                                    "CRC-32 mismatch: the trailer at file offset %d says 0x%08x, the data gives 0x%08x",
                                    trailerAt, storedCrc, crc.getValue()),
                            false);
                }
                if (storedSize != ((len - start) & 0xffffffffL)) {
                    throw corrupt(
                            "length mismatch: the trailer at file offset " + trailerAt + " says " + storedSize
                                    + " bytes (mod 2^32), the data has " + (len - start),
                            false);
                }
            } finally {
                inflater.end();
            }
        } while (anotherMember());
        return Arrays.copyOf(out, len);
    }

    /** Reads and checks a member's header. */
    private void member() throws IOException {
        headerCrc.reset();
        long at = offset();
        if (!available(10))
            throw corrupt(
                    "truncated: the gzip header at file offset " + at + " is cut short (it needs 10 bytes)", true);
        int id1 = header(), id2 = header(), method = header(), flags = header();
        if (id1 != 0x1f || id2 != 0x8b)
            throw corrupt(String.format("not a gzip header at file offset %d (0x%02x 0x%02x)", at, id1, id2), false);
        if (method != 8)
            throw corrupt("unsupported compression method " + method + " in the gzip header (only 8, deflate)", false);
        if ((flags & RESERVED) != 0)
            throw corrupt(String.format("invalid gzip header: reserved flag bits set (flags 0x%02x)", flags), false);
        for (int i = 0; i < 6; i++) header(); // mtime, extra flags, os
        if ((flags & FEXTRA) != 0) {
            if (!available(2)) throw headerCut(at);
            int xlen = header() | header() << 8;
            if (!available(xlen)) throw headerCut(at);
            for (int i = 0; i < xlen; i++) header();
        }
        for (int field : new int[] {FNAME, FCOMMENT}) {
            if ((flags & field) == 0) continue;
            do {
                if (!available(1)) throw headerCut(at);
            } while (header() != 0);
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) (headerCrc.getValue() & 0xffff);
            if (!available(2)) throw headerCut(at);
            int stored = header() | header() << 8;
            if (stored != expected)
                throw corrupt(
                        String.format(
                                "gzip header CRC mismatch: stored 0x%04x, the header gives 0x%04x", stored, expected),
                        false);
        }
    }

    private DataFileException headerCut(long at) {
        return corrupt("truncated: the gzip header at file offset " + at + " is cut short", true);
    }

    /** After a member's trailer: another member, the end, zero padding, or (an error) other bytes. */
    private boolean anotherMember() throws IOException {
        if (!available(1)) return false;
        if (buf[pos] == 0x1f) return true;
        long at = offset();
        while (available(1)) {
            if (buf[pos++] != 0) throw corrupt("trailing garbage after the gzip data at file offset " + at, false);
        }
        return false;
    }

    private DataFileException corrupt(String what, boolean truncated) {
        return new DataFileException(
                file, "corrupt gzip data: " + what + (truncated ? "; the download may be incomplete" : ""));
    }

    private int header() {
        int b = buf[pos++] & 0xff;
        headerCrc.update(b);
        return b;
    }

    private long uint32() {
        long v = 0;
        for (int i = 0; i < 4; i++) v |= (long) (buf[pos++] & 0xff) << (8 * i);
        return v;
    }

    private long offset() {
        return bufStart + pos;
    }

    /** Whether {@code n} (at most the buffer's 64 KiB) more bytes can be had, moving what is left to the buffer's front if needed. */
    private boolean available(int n) throws IOException {
        if (lim - pos >= n) return true;
        System.arraycopy(buf, pos, buf, 0, lim - pos);
        bufStart += pos;
        lim -= pos;
        pos = 0;
        while (lim < n) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r <= 0) return false;
            lim += r;
        }
        return true;
    }

    /** Reads more input once everything buffered is used; false at the end of the file. */
    private boolean fill() throws IOException {
        if (pos < lim) return true;
        bufStart += lim;
        pos = lim = 0;
        int r = in.read(buf);
        if (r <= 0) return false;
        lim = r;
        return true;
    }
}
