package org.grad4j.training.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/**
 * The safetensors format (what {@code safetensors.torch.load_file} reads): an 8-byte little-endian
 * header length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [...], "data_offsets":
 * [begin, end]}, "__metadata__": {"k": "v"}}}, padded with spaces to a multiple of 8), then the raw
 * little-endian data, tensor after tensor with no gaps. Only F32 is written and read.
 */
public final class SafeTensors {
    private SafeTensors() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String METADATA = "__metadata__";
    /** The reference implementation's limit on the header size. */
    private static final long MAX_HEADER = 100_000_000;

    /** Tensors by name (in file order) and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Writes tensors and metadata to {@code file} atomically (see {@link AtomicFile}). */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        AtomicFile.write(file, out -> write(out, tensors, metadata));
    }

    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put(METADATA, metadata);
        long offset = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) throw new IllegalArgumentException("safetensors: a tensor cannot be named " + METADATA);
            Tensor t = e.getValue();
            long bytes = 4L * t.numel();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", t.shape());
            info.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        for (Tensor t : tensors.values()) {
            float[] v = t.toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            out.write(b.array());
        }
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

    static Contents parse(Path file, byte[] bytes) {
        if (bytes.length < 8) throw new CheckpointException(file, "too short (" + bytes.length + " bytes) to hold the 8-byte header length");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        if (n < 2 || n > MAX_HEADER) throw new CheckpointException(file, "invalid header length " + n + ": not a safetensors file");
        if (8 + n > bytes.length) {
            throw new CheckpointException(file, "truncated: the header length is " + n + " bytes but only " + (bytes.length - 8) + " follow");
        }
        Map<String, Object> header;
        try {
            header = JSON.readValue(new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip(), new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, "the header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        int dataStart = (int) (8 + n);
        long dataLength = bytes.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        for (var e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new CheckpointException(file, "__metadata__ must be an object");
                m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new CheckpointException(file, "tensor '" + name + "': entry is not an object");
            Object dtype = info.get("dtype");
            if (!"F32".equals(dtype)) throw new CheckpointException(file, "tensor '" + name + "' has dtype " + dtype + "; only F32 is supported");
            int[] shape = ints(file, name, "shape", info.get("shape"));
            int[] off = ints(file, name, "data_offsets", info.get("data_offsets"));
            if (off.length != 2 || off[0] < 0 || off[1] < off[0]) {
                throw new CheckpointException(file, "tensor '" + name + "': invalid data_offsets " + Arrays.toString(off));
            }
            long numel = 1;
            for (int s : shape) numel *= s;
            if ((long) off[1] - off[0] != 4 * numel) {
                throw new CheckpointException(file, "tensor '" + name + "': data_offsets " + Arrays.toString(off) + " hold " + (off[1] - off[0])
                        + " bytes but shape " + Arrays.toString(shape) + " of F32 needs " + 4 * numel);
            }
            if (off[1] > dataLength) {
                throw new CheckpointException(file, "truncated: tensor '" + name + "' ends at data byte " + off[1] + " but the file holds only "
                        + dataLength + " bytes of data");
            }
            float[] v = new float[(int) numel];
            ByteBuffer.wrap(bytes, dataStart + off[0], off[1] - off[0]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            tensors.put(name, Tensor.of(v, shape));
            spans.add(new long[] {off[0], off[1]});
        }
        // the data must be covered exactly, without holes or overlaps (as the reference reader checks)
        spans.sort((a, b) -> Long.compare(a[0], b[0]));
        long at = 0;
        for (long[] s : spans) {
            if (s[0] != at) throw new CheckpointException(file, "the tensors' data_offsets leave a hole or overlap at data byte " + at);
            at = s[1];
        }
        if (at != dataLength) throw new CheckpointException(file, (dataLength - at) + " bytes of data after the last tensor");
        return new Contents(tensors, metadata);
    }

    private static int[] ints(Path file, String name, String field, Object v) {
        if (!(v instanceof List<?> l)) throw new CheckpointException(file, "tensor '" + name + "': missing or invalid " + field);
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number num) || num.longValue() < 0 || num.longValue() > Integer.MAX_VALUE) {
                throw new CheckpointException(file, "tensor '" + name + "': invalid " + field + " " + l);
            }
            out[i] = num.intValue();
        }
        return out;
    }
}
