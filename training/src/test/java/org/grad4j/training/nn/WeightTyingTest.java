package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.checkpoint.SafeTensors;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One parameter in two places, as PyTorch's {@code lm_head.weight = wte.weight}. */
class WeightTyingTest {

    private static final class TinyLm extends Module {
        final Embedding wte;
        final Linear lmHead;

        TinyLm(long seed) {
            wte = registerModule("wte", new Embedding(5, 3, null, new Generator(seed)));
            lmHead = registerModule("lm_head", new Linear(wte.weight, null));
        }

        @Override
        public Tensor forward(Tensor idx) {
            return lmHead.call(wte.call(idx));
        }
    }

    private static final Tensor IDX = Tensor.indices(0, 3, 3, 4);

    @Test
    void theTiedWeightIsOneParameterButTwoStateDictKeys() {
        TinyLm m = new TinyLm(1);
        assertSame(m.wte.weight, m.lmHead.weight);
        assertEquals(1, m.parameters().size());
        // torch: named_parameters() -> ['wte.weight']; state_dict() -> ['wte.weight', 'lm_head.weight']
        assertEquals(List.of("wte.weight"), List.copyOf(m.namedParameters().keySet()));
        Map<String, Tensor> sd = m.stateDict();
        assertEquals(List.of("wte.weight", "lm_head.weight"), List.copyOf(sd.keySet()));
        assertArrayEquals(
                sd.get("wte.weight").toFloatArray(), sd.get("lm_head.weight").toFloatArray());
    }

    @Test
    void gradientsFromBothUsesAccumulateAndTheOptimizerStepsOnce() {
        TinyLm m = new TinyLm(2);
        float[] before = m.wte.weight.toFloatArray();
        m.call(IDX).sum().backward();
        // the same computation with the two uses as two separate leaves: the tied grad is their sum
        Tensor a = Tensor.tensor(before).view(5, 3).requiresGrad_();
        Tensor b = Tensor.tensor(before).view(5, 3).requiresGrad_();
        F.embedding(IDX, a).matmul(b.t()).sum().backward();
        float[] want = a.grad().add(b.grad()).toFloatArray();
        float[] got = m.wte.weight.grad().toFloatArray();
        assertArrayEquals(want, got, 1e-6f);
        new SGD(m.parameters(), 0.5f).step();
        float[] after = m.wte.weight.toFloatArray();
        for (int i = 0; i < after.length; i++)
            assertEquals(before[i] - 0.5f * want[i], after[i], 1e-6f, "element " + i);
    }

    @Test
    void loadingNeedsBothKeysAndCopiesIntoTheOneTensor() {
        TinyLm m = new TinyLm(3);
        float[] before = m.wte.weight.toFloatArray();
        Map<String, Tensor> onlyOne = Map.of("wte.weight", Tensor.zeros(5, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(onlyOne));
        assertEquals(
                "Error(s) in loading state_dict for TinyLm: Missing key(s) in state_dict: [lm_head.weight].",
                e.getMessage());
        assertArrayEquals(before, m.wte.weight.toFloatArray(), "nothing copied");
        Map<String, Tensor> both = new LinkedHashMap<>();
        both.put("wte.weight", Tensor.zeros(5, 3));
        both.put("lm_head.weight", Tensor.ones(5, 3));
        m.loadStateDict(both); // torch copies in the dict's order: the last one wins, as here
        assertArrayEquals(Tensor.ones(5, 3).toFloatArray(), m.lmHead.weight.toFloatArray());
        assertSame(m.wte.weight, m.lmHead.weight);
    }

    @Test
    void aCheckpointCarriesBothKeysAndLoadsStrictly(@TempDir Path dir) {
        // PyTorch's safetensors save_file refuses shared tensors and save_model keeps one key, which
        // load_state_dict(strict=True) then misses; a copy under each key loads strictly in both.
        TinyLm m = new TinyLm(4);
        Path f = dir.resolve("tied.safetensors");
        Checkpoint.saveModel(f, m);
        Map<String, Tensor> file = SafeTensors.load(f).tensors();
        assertEquals(List.of("wte.weight", "lm_head.weight"), List.copyOf(file.keySet()));
        TinyLm other = new TinyLm(5);
        Checkpoint.loadModel(f, other);
        assertArrayEquals(m.wte.weight.toFloatArray(), other.wte.weight.toFloatArray());
        assertSame(other.wte.weight, other.lmHead.weight);
    }

    @Test
    void aTiedLinearChecksItsShapes() {
        Tensor w = Parameter.of(Tensor.zeros(4, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> new Linear(w, Parameter.of(Tensor.zeros(3))));
        assertEquals("Linear: bias must have shape [4] to match weight [4, 3], got [3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Linear(Parameter.of(Tensor.zeros(4)), null));
        assertEquals("Linear: weight must be 2-D [out_features, in_features], got shape [4]", e.getMessage());
        Linear l = new Linear(w, null);
        assertEquals("Linear(in_features=3, out_features=4, bias=false)", l.toString());
        assertTrue(l.call(Tensor.ones(2, 3)).requiresGrad());
    }
}
