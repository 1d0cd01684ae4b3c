package org.grad4j.training.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.optim.Adam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    @Test
    void keepsTheTwoNewestAndRestoresModelOptimizerPositionAndHistory(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.resolve("run"));
        assertNull(store.latest(), "no directory yet: nothing to resume");
        Linear model = new Linear(3, 2, true, new Generator(1));
        Adam opt = new Adam(model.parameters(), 1e-2);
        List<StepMetrics> history = new ArrayList<>();
        Map<String, String> run =
                Map.of(CheckpointStore.WORKERS, "2", CheckpointStore.BATCH_SIZE, "4", CheckpointStore.SAMPLES, "64");
        for (long step = 10; step <= 30; step += 10) {
            history.add(new StepMetrics(0, step, (int) step - 1, 1.0 / 3 + step, 8, 1234.5678, 1e-2));
            store.save(step, 0, model, opt, run, history);
        }
        Files.writeString(dir.resolve("run").resolve("step-000000099.safetensors.partial"), "not a checkpoint name");
        assertEquals(List.of(20L, 30L), store.steps());
        assertEquals("step-000000030.safetensors", store.latest());

        Linear other = new Linear(3, 2, true, new Generator(2));
        Adam otherOpt = new Adam(other.parameters(), 1e-2);
        Map<String, String> meta = store.load(store.latest(), other, otherOpt);
        assertEquals("30", meta.get(CheckpointStore.STEP));
        assertEquals("2", meta.get(CheckpointStore.WORKERS));
        assertEquals(
                history,
                CheckpointStore.decode(meta.get(CheckpointStore.HISTORY)),
                "every field of every step, exactly");
        assertArrayEquals(model.weight.toFloatArray(), other.weight.toFloatArray());
    }
}
