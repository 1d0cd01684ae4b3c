package org.grad4j.training.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.grad4j.core.Tensor;

/**
 * The safetensors format (what {@code safetensors.torch.load_file} reads): an 8-byte little-endian
 * header length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [...], "data_offsets":
 * [begin, end]}, "__metadata__": {"k": "v"}}}, padded with spaces to a multiple of 8), then the raw
 * little-endian data, tensor after tensor with no gaps. Only F32 is written and read.
 *
 * <p>Files written here carry CRC32C checksums in the metadata ({@code "grad4j.crc32c"}: the header's,
 * then each tensor's data in file order), so a flipped bit anywhere in the file is an error on load
 * rather than a silently changed value. Files without it (written by PyTorch) load unchecked.
 */
public final class SafeTensors {
    private SafeTensors() {}

    // trailing garbage after the header's JSON and repeated names are errors, as in the reference reader
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final String METADATA = "__metadata__";
    /** The reference implementation's limit on the header size. */
    private static final long MAX_HEADER = 100_000_000;
    /** Written into every file's metadata; "2" promises a checksum ("1": older checkpoints, without). */
    static final String FORMAT_KEY = "grad4j.format";

    static final String FORMAT = "2";
    static final String CHECKSUM_KEY = "grad4j.crc32c";
    /** The header's own checksum sits right after this text, and counts as zeros when it is computed. */
    private static final byte[] CHECKSUM_SLOT = ("\"" + CHECKSUM_KEY + "\":\"").getBytes(StandardCharsets.UTF_8);

    private static final int CRC_CHARS = 8;
    private static final HexFormat HEX = HexFormat.of();

    /** Tensors by name (in file order) and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Writes tensors and metadata to {@code file} atomically (see {@link AtomicFile}). */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        AtomicFile.write(file, out -> write(out, tensors, metadata));
    }

    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata != null) {
            for (var e : metadata.entrySet()) {
                if (e.getKey().equals(FORMAT_KEY) || e.getKey().equals(CHECKSUM_KEY)) {
                    throw new IllegalArgumentException(
                            "safetensors: the metadata key " + e.getKey() + " is reserved for the file's checksum");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        // the header holds the data's checksums, so the data is read once for them before it is written
        StringBuilder crcs = new StringBuilder("0".repeat(CRC_CHARS));
        Map<String, Object> entries = new LinkedHashMap<>();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA))
                throw new IllegalArgumentException("safetensors: a tensor cannot be named " + METADATA);
            Tensor t = e.getValue();
            long bytes = 4L * t.numel();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", t.shape());
            info.put("data_offsets", new long[] {offset, offset + bytes});
            entries.put(e.getKey(), info);
            offset += bytes;
            CRC32C crc = new CRC32C();
            crc.update(littleEndian(t));
            crcs.append(',').append(hex(crc.getValue()));
        }
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(CHECKSUM_KEY, crcs.toString());
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(METADATA, meta);
        header.putAll(entries);
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = new byte[8 + padded];
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, head, 8, json.length);
        Arrays.fill(head, 8 + json.length, head.length, (byte) ' ');
        int slot = indexOf(head, head.length, CHECKSUM_SLOT) + CHECKSUM_SLOT.length;
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(head); // the slot holds zeros now
        System.arraycopy(hex(headerCrc.getValue()).getBytes(StandardCharsets.US_ASCII), 0, head, slot, CRC_CHARS);
        out.write(head);
        for (Tensor t : tensors.values()) {
            ByteBuffer b = littleEndian(t);
            out.write(b.array(), 0, b.limit());
        }
    }

    private static ByteBuffer littleEndian(Tensor t) {
        float[] v = t.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    private static String hex(long crc) {
        return HEX.toHexDigits((int) crc);
    }

    /** Reads a safetensors file; any problem is a {@link CheckpointException} naming the file and what is wrong. */
    public static Contents load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot be read: " + e.getMessage(), e);
        }
        return parse(file, bytes);
    }

    /** One tensor's header entry, checked. */
    private record Entry(String name, int[] shape, int begin, int end) {}

    static Contents parse(Path file, byte[] bytes) {
        if (bytes.length < 8)
            throw new CheckpointException(
                    file, "too short (" + bytes.length + " bytes) to hold the 8-byte header length");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        if (n < 2 || n > MAX_HEADER)
            throw new CheckpointException(file, "invalid header length " + n + ": not a safetensors file");
        if (8 + n > bytes.length) {
            throw new CheckpointException(
                    file, "truncated: the header length is " + n + " bytes but only " + (bytes.length - 8) + " follow");
        }
        int dataStart = (int) (8 + n);
        Object parsed;
        try {
            parsed = JSON.readValue(bytes, 8, (int) n, Object.class);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, "the header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(file, "the header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> header))
            throw new CheckpointException(file, "the header must be a JSON object, got " + describe(parsed));
        Map<String, String> metadata = new LinkedHashMap<>();
        Object meta = header.get(METADATA);
        if (meta instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                if (!(e.getValue() instanceof String v)) {
                    throw new CheckpointException(
                            file,
                            "__metadata__ entry '" + e.getKey() + "' must be a string, got " + describe(e.getValue()));
                }
                metadata.put((String) e.getKey(), v);
            }
        } else if (meta != null) { // null is allowed, as the reference reader allows it
            throw new CheckpointException(file, "__metadata__ must be an object of strings, got " + describe(meta));
        }
        String[] dataCrcs = checkHeader(file, bytes, dataStart, metadata);

        long dataLength = bytes.length - dataStart;
        List<Entry> entries = new ArrayList<>();
        for (var e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) continue;
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw new CheckpointException(
                        file, "tensor '" + name + "': entry must be an object, got " + describe(e.getValue()));
            }
            Object dtype = info.get("dtype");
            if (!"F32".equals(dtype))
                throw new CheckpointException(
                        file, "tensor '" + name + "' has dtype " + dtype + "; only F32 is supported");
            int[] shape = ints(file, name, "shape", info.get("shape"));
            int[] off = ints(file, name, "data_offsets", info.get("data_offsets"));
            if (off.length != 2 || off[1] < off[0]) {
                throw new CheckpointException(
                        file, "tensor '" + name + "': invalid data_offsets " + Arrays.toString(off));
            }
            long bytesNeeded;
            try {
                long numel = 1;
                for (int s : shape) numel = Math.multiplyExact(numel, s);
                bytesNeeded = Math.multiplyExact(numel, 4L);
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(
                        file, "tensor '" + name + "': shape " + Arrays.toString(shape) + " has too many elements");
            }
            if ((long) off[1] - off[0] != bytesNeeded) {
                throw new CheckpointException(
                        file,
                        "tensor '" + name + "': data_offsets " + Arrays.toString(off) + " hold " + (off[1] - off[0])
                                + " bytes but shape " + Arrays.toString(shape) + " of F32 needs " + bytesNeeded);
            }
            if (off[1] > dataLength) {
                throw new CheckpointException(
                        file,
                        "truncated: tensor '" + name + "' ends at data byte " + off[1] + " but the file holds only "
                                + dataLength + " bytes of data");
            }
            entries.add(new Entry(name, shape, off[0], off[1]));
        }
        // the data must be covered exactly, without holes or overlaps (as the reference reader checks)
        List<Entry> inFileOrder = new ArrayList<>(entries);
        inFileOrder.sort(Comparator.comparingInt(Entry::begin).thenComparingInt(Entry::end));
        long at = 0;
        for (Entry s : inFileOrder) {
            if (s.begin() != at)
                throw new CheckpointException(
                        file, "the tensors' data_offsets leave a hole or overlap at data byte " + at);
            at = s.end();
        }
        if (at != dataLength)
            throw new CheckpointException(file, (dataLength - at) + " bytes of data after the last tensor");
        if (dataCrcs != null) checkData(file, bytes, dataStart, inFileOrder, dataCrcs);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry s : entries) {
            float[] v = new float[(s.end() - s.begin()) / 4];
            ByteBuffer.wrap(bytes, dataStart + s.begin(), s.end() - s.begin())
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(v);
            tensors.put(s.name(), Tensor.of(v, s.shape()));
        }
        metadata.remove(FORMAT_KEY);
        metadata.remove(CHECKSUM_KEY);
        return new Contents(tensors, metadata);
    }

    /**
     * Verifies the header's checksum, when the file has one; returns the tensors' checksums (null for a
     * file without, such as PyTorch writes).
     */
    private static String[] checkHeader(Path file, byte[] bytes, int dataStart, Map<String, String> metadata) {
        String format = metadata.get(FORMAT_KEY), sums = metadata.get(CHECKSUM_KEY);
        if (sums == null) {
            // Every file grad4j writes has a checksum, so grad4j's keys without one mean a damaged checksum key,
            // not a file from elsewhere (only the checkpoints of format 1, from before the checksum, lack it).
            if ("1".equals(format)) return null;
            List<String> ours = metadata.keySet().stream()
                    .filter(k -> k.startsWith("grad4j."))
                    .sorted()
                    .toList();
            if (!ours.isEmpty()) {
                throw new CheckpointException(
                        file,
                        "corrupt: the metadata has grad4j's keys " + ours + " but not " + CHECKSUM_KEY
                                + ", which grad4j writes into every file");
            }
            return null;
        }
        String[] crcs = sums.split(",", -1);
        for (String c : crcs) {
            if (c.length() != CRC_CHARS
                    || !c.chars().allMatch(ch -> ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f')) {
                throw new CheckpointException(file, "corrupt: malformed " + CHECKSUM_KEY + " '" + sums + "'");
            }
        }
        int slot = indexOf(bytes, dataStart, CHECKSUM_SLOT);
        if (slot < 0) {
            throw new CheckpointException(
                    file,
                    "the header's " + CHECKSUM_KEY
                            + " is not where grad4j writes it: the header was rewritten or is corrupt");
        }
        slot += CHECKSUM_SLOT.length;
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, slot);
        crc.update("0".repeat(CRC_CHARS).getBytes(StandardCharsets.US_ASCII));
        crc.update(bytes, slot + CRC_CHARS, dataStart - slot - CRC_CHARS);
        if (!hex(crc.getValue()).equals(crcs[0])) {
            throw new CheckpointException(
                    file,
                    "corrupt: the header (file bytes 0.." + dataStart + ") fails its CRC32C check (stored " + crcs[0]
                            + ", computed " + hex(crc.getValue())
                            + "); the file is damaged or was rewritten by another program");
        }
        return Arrays.copyOfRange(crcs, 1, crcs.length);
    }

    private static void checkData(Path file, byte[] bytes, int dataStart, List<Entry> inFileOrder, String[] crcs) {
        if (crcs.length != inFileOrder.size()) {
            throw new CheckpointException(
                    file,
                    "corrupt: " + CHECKSUM_KEY + " holds " + crcs.length + " data checksums for " + inFileOrder.size()
                            + " tensors");
        }
        for (int i = 0; i < crcs.length; i++) {
            Entry s = inFileOrder.get(i);
            CRC32C crc = new CRC32C();
            crc.update(bytes, dataStart + s.begin(), s.end() - s.begin());
            if (!hex(crc.getValue()).equals(crcs[i])) {
                throw new CheckpointException(
                        file,
                        "corrupt: the data of tensor '" + s.name() + "' (file bytes " + (dataStart + s.begin()) + ".."
                                + (dataStart + s.end()) + ") fails its CRC32C check (stored " + crcs[i] + ", computed "
                                + hex(crc.getValue()) + ")");
            }
        }
    }

    /** The first place {@code needle} occurs in {@code haystack[0, end)}, or -1. */
    private static int indexOf(byte[] haystack, int end, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= end; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    private static String describe(Object v) {
        return switch (v) {
            case null -> "null";
            case List<?> l -> "an array";
            case Map<?, ?> m -> "an object";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            default -> "a number";
        };
    }

    private static int[] ints(Path file, String name, String field, Object v) {
        if (!(v instanceof List<?> l))
            throw new CheckpointException(
                    file, "tensor '" + name + "': missing or invalid " + field + " (got " + describe(v) + ")");
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            // Jackson reads integers as Integer, Long or BigInteger; 1.0 and 2^64 are not sizes
            if (!(l.get(i) instanceof Integer || l.get(i) instanceof Long)
                    || ((Number) l.get(i)).longValue() < 0
                    || ((Number) l.get(i)).longValue() > Integer.MAX_VALUE) {
                throw new CheckpointException(file, "tensor '" + name + "': invalid " + field + " " + l);
            }
            out[i] = ((Number) l.get(i)).intValue();
        }
        return out;
    }
}
