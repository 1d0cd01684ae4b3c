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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.ReLU;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
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
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 54 bytes, padded to 56
        assertEquals(56, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(json + "  ", new String(b, 8, 56, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40}, Arrays.copyOfRange(b, 64, 72));
        assertEquals(72, b.length);
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
        assertProblem(Files.write(dir.resolve("tiny"), new byte[3]), "too short (3 bytes) to hold the 8-byte header length");
        assertProblem(Files.write(dir.resolve("zip"), "PK\3\4 not safetensors at all".getBytes(StandardCharsets.UTF_8)),
                "invalid header length 8390045714599856976: not a safetensors file");
        assertProblem(writeRaw("json", "{\"a\": [", new byte[0]), "the header is not valid JSON: Unexpected end-of-input: expected close marker for Array (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7])");
        assertProblem(writeRaw("f16", "{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2]),
                "tensor 'a' has dtype F16; only F32 is supported");
        assertProblem(writeRaw("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor 'a': data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12");
        assertProblem(writeRaw("short", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", new byte[5]),
                "truncated: tensor 'a' ends at data byte 12 but the file holds only 5 bytes of data");
        assertProblem(writeRaw("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
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
            assertArrayEquals(a.parameters().get(i).toFloatArray(), b.parameters().get(i).toFloatArray(), 0f, "parameter " + i);
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
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(f, wider, ow));
        assertTrue(e.getMessage().startsWith(f + ": does not fit the optimizer: Adam: state 'exp_avg' of parameter 0 has shape [8, 4]"),
                e.getMessage());
        assertArrayEquals(before, wider.parameters().get(0).toFloatArray());
        assertArrayEquals(stateBefore, ow.stateDict().state().get(0).get("exp_avg").toFloatArray());
        Path weightsOnly = dir.resolve("w.safetensors");
        Checkpoint.saveModel(weightsOnly, a);
        e = assertThrows(CheckpointException.class, () -> Checkpoint.load(weightsOnly, mlp(1), new Adam(mlp(1).parameters(), 1e-3)));
        assertEquals(weightsOnly + ": holds no optimizer state (it was saved without an optimizer)", e.getMessage());
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
        UncheckedIOException crash = assertThrows(UncheckedIOException.class, () -> AtomicFile.write(f, out -> {
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
        assertArrayEquals(ref.parameters().get(2).toFloatArray(), b.parameters().get(2).toFloatArray(), 0f);
        // and the next successful save replaces it whole
        Checkpoint.save(f, a, oa, Map.of("step", "4"));
        assertEquals("4", Checkpoint.load(f, b, ob).get("step"));
        assertTrue(new ObjectMapper().readTree(SafeTensors.load(f).metadata().get("grad4j.optimizer.param_groups")).isArray());
    }
}
