package org.grad4j.training.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

class ContainersTest {
    private static final Generator GEN = new Generator(7);

    /** A model holding a list and a dict, as a transformer holds its blocks. */
    private static final class Net extends Module {
        final ModuleList<Linear> layers = registerModule("layers", new ModuleList<>());
        final ModuleDict<Module> blocks = registerModule("blocks", new ModuleDict<>());
    }

    @Test
    void moduleListNamesByPositionAndRenumbersAfterInsertAndRemove() {
        Net net = new Net();
        Linear a = new Linear(2, 3, true, GEN), b = new Linear(3, 4, false, GEN), c = new Linear(4, 4, true, GEN);
        net.layers.append(a).extend(List.of(b));
        // torch: ModuleList([a, b]) in a module's "layers" -> layers.0.weight, layers.0.bias, layers.1.weight
        assertEquals(
                List.of("layers.0.weight", "layers.0.bias", "layers.1.weight"),
                List.copyOf(net.stateDict().keySet()));
        net.layers.insert(0, c); // torch: l.insert(0, c) shifts the others: 0 is c, 1 is a, 2 is b
        assertEquals(
                List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight"),
                List.copyOf(net.stateDict().keySet()));
        assertSame(c, net.layers.get(0));
        assertSame(b, net.layers.get(-1));
        assertEquals(3, net.layers.size());
        List<Linear> seen = new ArrayList<>();
        for (Linear l : net.layers) seen.add(l);
        assertEquals(List.of(c, a, b), seen);
        assertSame(a, net.layers.remove(1)); // del l[1]
        assertEquals(
                List.of("layers.0.weight", "layers.0.bias", "layers.1.weight"),
                List.copyOf(net.stateDict().keySet()));
        assertSame(b, net.layers.get(1));
        assertSame(c, net.layers.set(0, a));
        assertSame(a, net.layers.get(0));
        assertEquals(
                List.of("layers.0", "layers.1"),
                net.namedModules().keySet().stream()
                        .filter(k -> k.startsWith("layers."))
                        .toList());
    }

    @Test
    void moduleListRefusesBadIndicesAndStaysUnchanged() {
        ModuleList<Module> l = new ModuleList<>(List.of(new ReLU(), new Tanh()));
        var e = assertThrows(IndexOutOfBoundsException.class, () -> l.get(5));
        assertEquals("ModuleList: index 5 is out of range", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> l.get(-3));
        assertEquals("ModuleList: index -3 is out of range", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> l.insert(3, new ReLU()));
        assertEquals("ModuleList.insert: index 3 is out of range for a list of 2", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> l.remove(2));
        assertEquals(2, l.size());
        assertEquals(List.of("", "0", "1"), List.copyOf(l.namedModules().keySet()));
        var u = assertThrows(UnsupportedOperationException.class, () -> l.forward(Tensor.zeros(1)));
        assertEquals("Module [ModuleList] is missing the required \"forward\" function", u.getMessage());
    }

    @Test
    void moduleDictKeepsInsertionOrderAndReplacesInPlace() {
        Net net = new Net();
        Linear attn = new Linear(2, 2, true, GEN), mlp = new Linear(2, 1, false, GEN);
        net.blocks.put("mlp", mlp).put("attn", attn);
        // torch: ModuleDict keeps insertion order -> blocks.mlp.weight before blocks.attn.*
        assertEquals(
                List.of("blocks.mlp.weight", "blocks.attn.weight", "blocks.attn.bias"),
                List.copyOf(net.stateDict().keySet()));
        Linear mlp2 = new Linear(2, 3, true, GEN);
        net.blocks.put("mlp", mlp2); // d['mlp'] = ...: replaced where it stood
        assertEquals(List.of("mlp", "attn"), List.copyOf(net.blocks.keys()));
        assertEquals(
                List.of("blocks.mlp.weight", "blocks.mlp.bias", "blocks.attn.weight", "blocks.attn.bias"),
                List.copyOf(net.stateDict().keySet()));
        assertArrayEquals(
                new int[] {3, 2}, net.stateDict().get("blocks.mlp.weight").shape());
        List<String> keys = new ArrayList<>();
        for (String k : net.blocks) keys.add(k);
        assertEquals(List.of("mlp", "attn"), keys);
        assertSame(attn, net.blocks.remove("attn"));
        assertEquals(
                List.of("blocks.mlp.weight", "blocks.mlp.bias"),
                List.copyOf(net.stateDict().keySet()));
        assertEquals(1, net.blocks.size());
    }

    @Test
    void moduleDictRefusesBadKeysAndStaysUnchanged() {
        ModuleDict<Module> d = new ModuleDict<>(Map.of("act", new ReLU()));
        var e = assertThrows(NoSuchElementException.class, () -> d.get("x"));
        assertEquals("ModuleDict: no module under the key 'x'", e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> d.put("a.b", new Tanh()));
        assertEquals("ModuleDict: name can't be empty or contain \".\", got \"a.b\"", bad.getMessage());
        assertThrows(NoSuchElementException.class, () -> d.remove("x"));
        assertEquals(List.of("act"), List.copyOf(d.keys()));
        assertEquals(List.of("", "act"), List.copyOf(d.namedModules().keySet()));
    }
}
