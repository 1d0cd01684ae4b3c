package org.grad4j.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.ReLU;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    @Test
    void safetensorsLayoutIsTheReferenceOne() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.tensor(1f, 2f));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(out, t, Map.of());
        byte[] b = out.toByteArray();
        byte[] data = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40};
        CRC32C dataCrc = new CRC32C();
        dataCrc.update(data);
        // the checksums: the header's (computed with its own 8 digits as zeros), then each tensor's data
        String json = "{\"__metadata__\":{\"grad4j.format\":\"2\",\"grad4j.crc32c\":\"00000000,"
                + HexFormat.of().toHexDigits((int) dataCrc.getValue())
                + "\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 127 bytes, padded to 128
        String padded = json + " ";
        ByteBuffer unsealed = ByteBuffer.allocate(8 + 128)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(128)
                .put(padded.getBytes(StandardCharsets.UTF_8));
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(unsealed.array());
        assertEquals(128, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(
                padded.replace("00000000", HexFormat.of().toHexDigits((int) headerCrc.getValue())),
                new String(b, 8, 128, StandardCharsets.UTF_8));
        assertArrayEquals(data, Arrays.copyOfRange(b, 136, 144));
        assertEquals(144, b.length);
    }

    @Test
    void safetensorsRoundTripWithMetadataScalarsAndEmptyTensors() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", Tensor.randn(new Generator(1), 3, 4));
        t.put("step", Tensor.scalar(7));
        t.put("empty", Tensor.zeros(0, 3));
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(f, t, Map.of("epoch", "3"));
        SafeTensors.Contents c = SafeTensors.load(f);
        assertEquals(List.of("w", "step", "empty"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(t.get("w").toFloatArray(), c.tensors().get("w").toFloatArray(), 0f);
        assertArrayEquals(new int[0], c.tensors().get("step").shape());
        assertEquals(7f, c.tensors().get("step").item());
        assertArrayEquals(new int[] {0, 3}, c.tensors().get("empty").shape());
        assertEquals(Map.of("epoch", "3"), c.metadata());
    }

    private Path writeRaw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private static void assertProblem(Path f, String problem) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(f));
        assertEquals(f + ": " + problem, e.getMessage());
    }

    @Test
    void brokenFilesAreNamedWithTheirProblem() throws IOException {
        assertProblem(dir.resolve("missing"), "file not found");
        assertProblem(
                Files.write(dir.resolve("tiny"), new byte[3]), "too short (3 bytes) to hold the 8-byte header length");
        assertProblem(
                Files.write(dir.resolve("zip"), "PK\3\4 not safetensors at all".getBytes(StandardCharsets.UTF_8)),
                "invalid header length 8390045714599856976: not a safetensors file");
        assertProblem(
                writeRaw("json", "{\"a\": [", new byte[0]),
                "the header is not valid JSON: Unexpected end-of-input: expected close marker for Array (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7])");
        assertProblem(
                writeRaw("f16", "{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2]),
                "tensor 'a' has dtype F16; only F32 is supported");
        assertProblem(
                writeRaw("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor 'a': data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12");
        assertProblem(
                writeRaw("short", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", new byte[5]),
                "truncated: tensor 'a' ends at data byte 12 but the file holds only 5 bytes of data");
        assertProblem(
                writeRaw("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "the tensors' data_offsets leave a hole or overlap at data byte 0");
        // a checkpoint cut short (a torn copy) is detected, never half-loaded
        Path good = dir.resolve("good.safetensors");
        SafeTensors.save(good, Map.of("w", Tensor.ones(100)), Map.of());
        byte[] all = Files.readAllBytes(good);
        Path torn = Files.write(dir.resolve("torn"), Arrays.copyOf(all, all.length - 10));
        assertProblem(torn, "truncated: tensor 'w' ends at data byte 400 but the file holds only 390 bytes of data");
        Path cutHeader = Files.write(dir.resolve("cut"), Arrays.copyOf(all, 20));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.load(cutHeader));
        assertTrue(e.getMessage().contains("truncated: the header length is"), e.getMessage());
    }

    private static Sequential mlp(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(4, 8, true, g), new ReLU(), new Linear(8, 3, true, g));
    }

    private static void trainSteps(Sequential m, Adam opt, int from, int to) {
        for (int i = from; i < to; i++) {
            Generator g = new Generator(100 + i);
            Tensor x = Tensor.randn(g, 5, 4);
            Tensor y = Tensor.indices(i % 3, (i + 1) % 3, 2, 0, 1);
            new CrossEntropyLoss().call(m.call(x), y).backward();
            opt.step();
            opt.zeroGrad();
        }
    }

    @Test
    void modelAndOptimizerRoundTripContinuesIdentically() {
        Sequential a = mlp(1);
        Adam oa = new Adam(a.parameters(), 1e-2);
        trainSteps(a, oa, 0, 3);
        Path f = dir.resolve("ckpt.safetensors");
        Checkpoint.save(f, a, oa, Map.of("epoch", "0", "step", "3"));
        Sequential b = mlp(2);
        Adam ob = new Adam(b.parameters(), 0.5);
        Map<String, String> meta = Checkpoint.load(f, b, ob);
        assertEquals(Map.of("epoch", "0", "step", "3"), meta);
        trainSteps(a, oa, 3, 6);
        trainSteps(b, ob, 3, 6);
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(
                    a.parameters().get(i).toFloatArray(), b.parameters().get(i).toFloatArray(), 0f, "parameter " + i);
        }
        // the weights alone load into a model, the way PyTorch reads them (optimizer entries ignored)
        Sequential c = mlp(3);
        Checkpoint.loadModel(f, c);
        assertTrue(SafeTensors.load(f).tensors().containsKey("0.weight"));
        assertTrue(SafeTensors.load(f).tensors().containsKey("optimizer.state.0.exp_avg"));
    }

    @Test
    void aCheckpointThatDoesNotFitChangesNothing() {
        Sequential a = mlp(1);
        Adam oa = new Adam(a.parameters(), 1e-2);
        trainSteps(a, oa, 0, 1);
        Path f = dir.resolve("ckpt.safetensors");
        Checkpoint.save(f, a, oa, Map.of());
        Generator g = new Generator(5);
        Sequential wider = new Sequential(new Linear(4, 9, true, g), new ReLU(), new Linear(9, 3, true, g));
        Adam ow = new Adam(wider.parameters(), 1e-2);
        trainSteps(wider, ow, 0, 1);
        float[] before = wider.parameters().get(0).toFloatArray();
        float[] stateBefore = ow.stateDict().state().get(0).get("exp_avg").toFloatArray();
        // the model is the root cause, so it is named even though the optimizer's state does not fit either
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(f, wider, ow));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                f
                                        + ": does not fit the model: Error(s) in loading state_dict for Sequential: size mismatch for "
                                        + "0.weight: copying a param with shape [8, 4] from checkpoint, the shape in current model is [9, 4]."),
                e.getMessage());
        assertArrayEquals(before, wider.parameters().get(0).toFloatArray());
        assertArrayEquals(
                stateBefore, ow.stateDict().state().get(0).get("exp_avg").toFloatArray());
        Path weightsOnly = dir.resolve("w.safetensors");
        Checkpoint.saveModel(weightsOnly, a);
        e = assertThrows(
                CheckpointException.class,
                () -> Checkpoint.load(weightsOnly, mlp(1), new Adam(mlp(1).parameters(), 1e-3)));
        assertEquals(weightsOnly + ": holds no optimizer state (it was saved without an optimizer)", e.getMessage());
    }

    /** The checkpoint at {@code f} rewritten with its param groups' JSON edited and, when {@code kind} is false, without the optimizer's kind. */
    private Path rewritten(Path f, String name, java.util.function.UnaryOperator<String> groups, boolean kind) {
        SafeTensors.Contents c = SafeTensors.load(f);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put(Checkpoint.GROUPS_KEY, groups.apply(meta.get(Checkpoint.GROUPS_KEY)));
        if (!kind) meta.remove(Checkpoint.KIND_KEY);
        Path out = dir.resolve(name);
        SafeTensors.save(out, c.tensors(), meta);
        return out;
    }

    @Test
    void anOptimizerThatDoesNotFitChangesNeitherTheModelNorTheOptimizer() {
        Sequential a = mlp(1);
        Adam oa = new Adam(a.parameters(), 1e-2);
        trainSteps(a, oa, 0, 2);
        Path f = dir.resolve("ckpt.safetensors");
        Checkpoint.save(f, a, oa, Map.of());
        Sequential b = mlp(2);
        Adam ob = new Adam(b.parameters(), 0.25);
        trainSteps(b, ob, 0, 1);
        float[] weightBefore = b.parameters().get(0).toFloatArray();
        float[] stateBefore = ob.stateDict().state().get(0).get("exp_avg").toFloatArray();
        Runnable unchanged = () -> {
            assertArrayEquals(weightBefore, b.parameters().get(0).toFloatArray(), "model unchanged");
            assertEquals(0.25, ob.paramGroups().get(0).lr(), "lr unchanged");
            assertArrayEquals(
                    stateBefore,
                    ob.stateDict().state().get(0).get("exp_avg").toFloatArray(),
                    "optimizer state unchanged");
        };
        // lr 0.5 and an unknown key: refused whole, the lr is not half-applied
        Path bogus = rewritten(f, "bogus.safetensors", g -> g.replace("\"lr\":0.01", "\"lr\":0.5,\"bogus\":1.0"), true);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(bogus, b, ob));
        assertEquals(
                bogus
                        + ": does not fit the optimizer: Adam: unknown option 'bogus' in parameter group 0 of the loaded state dict; Adam takes "
                        + "[amsgrad, beta1, beta2, eps, lr, weight_decay]",
                e.getMessage());
        unchanged.run();
        Path text = rewritten(
                f,
                "text.safetensors",
                g -> g.replace("\"lr\":0.01", "\"lr\":0.5").replace("\"eps\":1.0E-8", "\"eps\":\"tiny\""),
                true);
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(text, b, ob));
        assertEquals(
                text
                        + ": does not fit the optimizer: Adam: option 'eps' in parameter group 0 of the loaded state dict must be a number, got 'tiny'",
                e.getMessage());
        unchanged.run();
        Path notGroups = rewritten(f, "null.safetensors", g -> "null", true);
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(notGroups, b, ob));
        assertEquals(notGroups + ": optimizer param groups are not a JSON array of objects", e.getMessage());
        unchanged.run();
    }

    @Test
    void oneOptimizersCheckpointDoesNotLoadIntoAnother() {
        Sequential a = mlp(1);
        SGD sgd = new SGD(a.parameters(), 0.1f, 0.9f, 0f, 0f, false);
        Generator g = new Generator(4);
        new CrossEntropyLoss()
                .call(a.call(Tensor.randn(g, 5, 4)), Tensor.indices(0, 1, 2, 0, 1))
                .backward();
        sgd.step();
        Path f = dir.resolve("sgd.safetensors");
        Checkpoint.save(f, a, sgd, Map.of());
        assertEquals("SGD", SafeTensors.load(f).metadata().get("grad4j.optimizer.kind"));
        Sequential b = mlp(2);
        Adam adam = new Adam(b.parameters(), 1e-3);
        float[] before = b.parameters().get(0).toFloatArray();
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(f, b, adam));
        assertEquals(
                f
                        + ": does not fit the optimizer: Adam: the state dict was saved by SGD, not Adam; an optimizer loads only the state of its "
                        + "own kind",
                e.getMessage());
        assertArrayEquals(before, b.parameters().get(0).toFloatArray());
        assertEquals(1e-3, adam.paramGroups().get(0).lr());
        assertTrue(adam.stateDict().state().isEmpty(), "Adam got no state");
        // a checkpoint from before the kind was recorded: SGD's keys still do not fit Adam ...
        Path older = rewritten(f, "older.safetensors", groups -> groups, false);
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(older, b, adam));
        assertEquals(
                older
                        + ": does not fit the optimizer: Adam: unknown options [dampening, momentum, nesterov] in parameter group 0 of the "
                        + "loaded state dict; Adam takes [amsgrad, beta1, beta2, eps, lr, weight_decay]",
                e.getMessage());
        // ... and load into SGD, where they fit
        SGD other = new SGD(b.parameters(), 0.5f, 0.5f, 0f, 0f, false);
        Checkpoint.load(older, b, other);
        assertEquals(0.1, other.paramGroups().get(0).lr(), 1e-7);
        assertArrayEquals(
                a.parameters().get(0).toFloatArray(), b.parameters().get(0).toFloatArray());
    }

    /** A crash half-way through writing the new checkpoint leaves the previous one intact and loadable. */
    @Test
    void tornWriteLeavesTheLastGoodCheckpoint() throws IOException {
        Sequential a = mlp(1);
        Adam oa = new Adam(a.parameters(), 1e-2);
        trainSteps(a, oa, 0, 2);
        Path f = dir.resolve("ckpt.safetensors");
        Checkpoint.save(f, a, oa, Map.of("step", "2"));
        byte[] good = Files.readAllBytes(f);
        trainSteps(a, oa, 2, 4);
        // the next save dies after writing half of its bytes
        ByteArrayOutputStream next = new ByteArrayOutputStream();
        SafeTensors.write(next, a.stateDict(), Map.of("step", "4"));
        byte[] half = Arrays.copyOf(next.toByteArray(), next.size() / 2);
        UncheckedIOException crash = assertThrows(
                UncheckedIOException.class,
                () -> AtomicFile.write(f, out -> {
                    out.write(half);
                    throw new IOException("simulated crash");
                }));
        assertTrue(crash.getMessage().contains("the previous file, if any, is unchanged"), crash.getMessage());
        assertArrayEquals(good, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
        // a process killed mid-write leaves its temp file; the checkpoint itself is still the old one
        Files.write(dir.resolve(".ckpt.safetensors.123.tmp"), half);
        Sequential b = mlp(9);
        Adam ob = new Adam(b.parameters(), 1e-2);
        assertEquals(Map.of("step", "2"), Checkpoint.load(f, b, ob));
        Sequential ref = mlp(1);
        Adam oref = new Adam(ref.parameters(), 1e-2);
        trainSteps(ref, oref, 0, 2);
        assertArrayEquals(
                ref.parameters().get(2).toFloatArray(), b.parameters().get(2).toFloatArray(), 0f);
        // and the next successful save replaces it whole
        Checkpoint.save(f, a, oa, Map.of("step", "4"));
        assertEquals("4", Checkpoint.load(f, b, ob).get("step"));
        assertTrue(new ObjectMapper()
                .readTree(SafeTensors.load(f).metadata().get("grad4j.optimizer.param_groups"))
                .isArray());
    }
}
