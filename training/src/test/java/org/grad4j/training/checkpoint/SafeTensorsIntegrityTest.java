package org.grad4j.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.optim.Adam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged or hostile safetensors file is a CheckpointException naming the file and the problem, never a changed value. */
class SafeTensorsIntegrityTest {
    @TempDir
    Path dir;

    private Path writeRaw(String name, String header, byte[] data) throws IOException {
        return writeRaw(name, header.getBytes(StandardCharsets.UTF_8), data);
    }

    private Path writeRaw(String name, byte[] h, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private void assertProblem(String header, byte[] data, String problem) throws IOException {
        Path f = writeRaw("f" + Integer.toHexString(header.hashCode()), header, data);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(f), header);
        assertEquals(f + ": " + problem, e.getMessage(), header);
        assertEquals(f, e.file());
    }

    @Test
    void headersThatAreNotATensorTableAreNamed() throws IOException {
        assertProblem("null", new byte[0], "the header must be a JSON object, got null");
        assertProblem("[1, 2]", new byte[0], "the header must be a JSON object, got an array");
        assertProblem("42", new byte[0], "the header must be a JSON object, got a number");
        assertProblem("\"w\"", new byte[0], "the header must be a JSON object, got a string");
        assertProblem("true", new byte[0], "the header must be a JSON object, got a boolean");
        assertProblem("{\"a\": null}", new byte[0], "tensor 'a': entry must be an object, got null");
        assertProblem("{\"a\": [1]}", new byte[0], "tensor 'a': entry must be an object, got an array");
        assertProblem(
                "{\"a\": {\"dtype\": 7, \"shape\": [1], \"data_offsets\": [0, 4]}}",
                new byte[4],
                "tensor 'a' has dtype 7; only F32 is supported");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": \"3\", \"data_offsets\": [0, 12]}}",
                new byte[12],
                "tensor 'a': missing or invalid shape (got a string)");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"data_offsets\": [0, 12]}}",
                new byte[12],
                "tensor 'a': missing or invalid shape (got null)");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}",
                new byte[4],
                "tensor 'a': invalid shape [1.5]");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [18446744073709551616], \"data_offsets\": [0, 0]}}",
                new byte[0],
                "tensor 'a': invalid shape [18446744073709551616]");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]}}",
                new byte[4],
                "tensor 'a': invalid shape [1]");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",
                new byte[4],
                "tensor 'a': invalid shape [-1]");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": {\"begin\": 0}}}",
                new byte[4],
                "tensor 'a': missing or invalid data_offsets (got an object)");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}",
                new byte[4],
                "tensor 'a': invalid data_offsets [4, 0]");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}",
                new byte[4],
                "tensor 'a': invalid data_offsets [0, 4, 8]");
        // a shape whose element count overflows a long is named, not wrapped round to a small size
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647], \"data_offsets\": [0, 4]}}",
                new byte[4],
                "tensor 'a': shape [2147483647, 2147483647, 2147483647] has too many elements");
        assertProblem(
                "{\"__metadata__\": [\"epoch\"]}",
                new byte[0],
                "__metadata__ must be an object of strings, got an array");
        assertProblem(
                "{\"__metadata__\": {\"epoch\": 3}}",
                new byte[0],
                "__metadata__ entry 'epoch' must be a string, got a number");
        assertProblem(
                "{\"__metadata__\": {\"epoch\": {\"n\": \"3\"}}}",
                new byte[0],
                "__metadata__ entry 'epoch' must be a string, got an object");
        assertProblem(
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], "
                        + "\"data_offsets\": [4, 8]}}",
                new byte[8],
                "the header is not valid JSON: Duplicate field 'a'");
        assertProblem(
                "{} {}",
                new byte[0],
                "the header is not valid JSON: Trailing token (of type START_OBJECT) found after value (bound as "
                        + "`java.lang.Object`): not allowed as per `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`");
        Path utf8 = writeRaw("utf8", new byte[] {'{', '"', 'a', (byte) 0xff, '"', ':', '1', '}'}, new byte[0]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(utf8));
        assertTrue(
                e.getMessage().startsWith(utf8 + ": the header is not valid JSON: Invalid UTF-8 start byte 0xff"),
                e.getMessage());
        Path deep = writeRaw("deep", "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}", new byte[0]);
        e = assertThrows(CheckpointException.class, () -> SafeTensors.load(deep));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                deep
                                        + ": the header is not valid JSON: Document nesting depth (1001) exceeds the maximum allowed"),
                e.getMessage());
        // the reference reader accepts a null __metadata__ as no metadata
        assertEquals(
                Map.of(),
                SafeTensors.load(writeRaw("nullmeta", "{\"__metadata__\": null}", new byte[0]))
                        .metadata());
    }

    @Test
    void headerLengthsThatDoNotFitTheFileAreNamed() throws IOException {
        byte[] b = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(100)
                .put("{}      ".getBytes(StandardCharsets.UTF_8))
                .array();
        Path beyond = Files.write(dir.resolve("beyond"), b);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(beyond));
        assertEquals(beyond + ": truncated: the header length is 100 bytes but only 8 follow", e.getMessage());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        Path negative = Files.write(dir.resolve("negative"), b);
        e = assertThrows(CheckpointException.class, () -> SafeTensors.load(negative));
        assertEquals(negative + ": invalid header length -1: not a safetensors file", e.getMessage());
        b = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(5)
                .put("{\"ab\":1}".getBytes(StandardCharsets.UTF_8))
                .array();
        Path cut = Files.write(dir.resolve("cut"), b);
        e = assertThrows(CheckpointException.class, () -> SafeTensors.load(cut));
        assertTrue(
                e.getMessage().startsWith(cut + ": the header is not valid JSON: Unexpected end-of-input"),
                e.getMessage());
    }

    /** A small checkpoint: a linear layer and its Adam state after one step. */
    private Path smallCheckpoint(Linear model, Adam opt) {
        model.call(Tensor.randn(new Generator(3), 2, 3)).sum().backward();
        opt.step();
        Path f = dir.resolve("small.safetensors");
        Checkpoint.save(f, model, opt, Map.of("epoch", "3"));
        return f;
    }

    private static void assertRefused(Path f, byte[] bad, String what) {
        try {
            SafeTensors.parse(f, bad);
            fail(what + ": the damaged file loaded");
        } catch (CheckpointException e) {
            assertEquals(f, e.file());
            assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        } catch (RuntimeException e) {
            fail(what + ": " + e, e);
        }
    }

    @Test
    void everySingleBitFlipAnywhereInTheFileIsRefused() throws IOException {
        Linear model = new Linear(3, 2, true, new Generator(1));
        Path f = smallCheckpoint(model, new Adam(model.parameters(), 1e-2));
        byte[] good = Files.readAllBytes(f);
        assertEquals(
                Map.of("epoch", "3"),
                Checkpoint.loadModel(f, new Linear(3, 2, true, new Generator(2)))); // intact, it loads
        for (int bit = 0; bit < 8 * good.length; bit++) {
            byte[] bad = good.clone();
            bad[bit >> 3] ^= (byte) (1 << (bit & 7));
            assertRefused(f, bad, "bit " + (bit & 7) + " of byte " + (bit >> 3));
        }
        // and some heavier damage: a few bits at random places
        Random random = new Random(42);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] bad = good.clone();
            int flips = 2 + random.nextInt(7);
            StringBuilder where = new StringBuilder();
            for (int i = 0; i < flips; i++) {
                int at = random.nextInt(bad.length), bit = random.nextInt(8);
                bad[at] ^= (byte) (1 << bit);
                where.append(" ").append(at).append(":").append(bit);
            }
            if (!Arrays.equals(bad, good))
                assertRefused(f, bad, "trial " + trial + " (byte:bit" + where + " of " + good.length + " bytes)");
        }
    }

    @Test
    void filesWithoutAChecksumStillLoad() throws IOException {
        // as PyTorch writes them, and as grad4j checkpoints were written before the checksum (format 1)
        byte[] w = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f)
                .putFloat(-2f)
                .array();
        Path torch = writeRaw(
                "torch",
                "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                w);
        assertArrayEquals(
                new float[] {1.5f, -2f},
                SafeTensors.load(torch).tensors().get("w").toFloatArray());
        assertEquals(Map.of("format", "pt"), SafeTensors.load(torch).metadata());
        Path old = writeRaw(
                "old",
                "{\"__metadata__\":{\"epoch\":\"3\",\"grad4j.format\":\"1\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[0,8]}}",
                w);
        assertEquals(Map.of("epoch", "3"), SafeTensors.load(old).metadata());
        // but a file that says it carries a checksum and has none is damaged
        Path lost = writeRaw(
                "lost",
                "{\"__metadata__\":{\"grad4j.format\":\"2\",\"grad4j.crc32b\":\"00000000\"},\"w\":{\"dtype\":\"F32\","
                        + "\"shape\":[2],\"data_offsets\":[0,8]}}",
                w);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(lost));
        assertEquals(
                lost
                        + ": corrupt: the metadata has grad4j's keys [grad4j.crc32b, grad4j.format] but not grad4j.crc32c, which grad4j writes "
                        + "into every file",
                e.getMessage());
        IllegalArgumentException reserved = assertThrows(
                IllegalArgumentException.class,
                () -> SafeTensors.save(dir.resolve("r"), Map.of(), Map.of("grad4j.crc32c", "0")));
        assertEquals(
                "safetensors: the metadata key grad4j.crc32c is reserved for the file's checksum",
                reserved.getMessage());
    }

    @Test
    void aDamagedTensorIsNamedWithItsBytesAndNothingLoads() throws IOException {
        Linear model = new Linear(3, 2, true, new Generator(1));
        Path f = smallCheckpoint(model, new Adam(model.parameters(), 1e-2));
        byte[] good = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int biasAt = (int) (8 + headerLength) + 24; // weight [2, 3] first, then bias [2]
        byte[] bad = good.clone();
        bad[biasAt + 5] ^= 0x10;
        Files.write(f, bad);
        Linear target = new Linear(3, 2, true, new Generator(7));
        Adam targetOpt = new Adam(target.parameters(), 0.5);
        float[] before = target.bias.toFloatArray();
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(f, target, targetOpt));
        assertTrue(
                e.getMessage()
                        .startsWith(f + ": corrupt: the data of tensor 'bias' (file bytes " + biasAt + ".."
                                + (biasAt + 8) + ") fails its CRC32C check (stored "),
                e.getMessage());
        assertArrayEquals(before, target.bias.toFloatArray());
        assertEquals(0.5, targetOpt.paramGroups().get(0).lr());
    }
}
