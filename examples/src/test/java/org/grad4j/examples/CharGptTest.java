package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.DataFileException;
import org.grad4j.training.optim.AdamW;
import org.grad4j.training.optim.LRScheduler;
import org.grad4j.training.optim.ParamGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CharGpt example: a tiny configuration trained end to end on the embedded Genesis, the model's shape and names. */
class CharGptTest {
    @TempDir
    Path dir;

    private static CharGptModel tiny(int vocab, long seed) {
        return new CharGptModel(new CharGptModel.Config(vocab, 16, 2, 2, 16, 0), new Generator(seed));
    }

    @Test
    void aTinyModelLearnsGenesisBelowTheUnigramEntropyAndItsCheckpointReloads() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        CharGpt.Result r = CharGpt.run(
                CharGpt.Options.parse(
                        "--data",
                        dir.resolve("none.txt").toString(),
                        "--steps",
                        "60",
                        "--layers",
                        "2",
                        "--heads",
                        "2",
                        "--embd",
                        "32",
                        "--block",
                        "32",
                        "--batch",
                        "16",
                        "--lr",
                        "3e-3",
                        "--warmup",
                        "10",
                        "--eval-interval",
                        "30",
                        "--eval-windows",
                        "64",
                        "--sample-length",
                        "40",
                        "--out",
                        dir.resolve("out").toString(),
                        "--no-progress"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("the embedded Book of Genesis (KJV): 196,818 characters"), text);
        assertTrue(text.contains("step 30/60: train loss "), text);

        // the unigram entropy of the training characters: what a model without context can reach
        int[] counts = new int[r.tokens().vocabSize()];
        for (int id : r.tokens().train) counts[id]++;
        double entropy = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = (double) c / r.tokens().train.length;
                entropy -= p * Math.log(p);
            }
        }
        List<CharGpt.Evaluation> evals = r.evaluations();
        assertEquals(
                List.of(0L, 30L, 60L),
                evals.stream().map(CharGpt.Evaluation::step).toList());
        assertEquals(Math.log(r.tokens().vocabSize()), evals.getFirst().valLoss(), 0.1, "untrained: about ln V");
        assertTrue(
                evals.getLast().valLoss() < entropy,
                "val loss " + evals.getLast().valLoss() + " vs unigram entropy " + entropy);
        assertTrue(evals.getLast().trainLoss() < evals.get(1).trainLoss());

        assertTrue(Files.exists(r.chart()));
        CharGpt.Loaded loaded = CharGpt.load(r.checkpoint());
        assertEquals(r.tokens().chars, loaded.vocab());
        Tensor idx = Tensor.indices(r.tokens().encode("And God said, Let there be light"))
                .view(1, 32);
        r.model().eval();
        try (var s = GradMode.noGrad()) {
            assertArrayEquals(
                    r.model().call(idx).toFloatArray(),
                    loaded.model().call(idx).toFloatArray(),
                    "the checkpoint gives the same logits");
        }
        assertEquals("60", Checkpoint.loadModel(r.checkpoint(), loaded.model()).get("step"));

        assertTrue(r.sample().startsWith("And God said") && r.sample().length() == 12 + 40, r.sample());
        assertTrue(text.endsWith(r.sample() + System.lineSeparator()), text);
        String again = CharGpt.generate(loaded.model(), r.tokens(), "And God said", 40, 0.8, 1337);
        assertEquals(r.sample(), again, "the same seed gives the same sample");
        assertNotEquals(again, CharGpt.generate(loaded.model(), r.tokens(), "And God said", 40, 0.8, 1338));
    }

    @Test
    void parameterNamesAreNanoGptsAndTheHeadIsTheTokenEmbedding() {
        CharGptModel m = tiny(10, 0);
        List<String> expected = new ArrayList<>(List.of("transformer.wte.weight", "transformer.wpe.weight"));
        for (int i = 0; i < 2; i++) {
            for (String p : List.of(
                    "ln_1.weight",
                    "ln_1.bias",
                    "attn.c_attn.weight",
                    "attn.c_attn.bias",
                    "attn.c_proj.weight",
                    "attn.c_proj.bias",
                    "ln_2.weight",
                    "ln_2.bias",
                    "mlp.c_fc.weight",
                    "mlp.c_fc.bias",
                    "mlp.c_proj.weight",
                    "mlp.c_proj.bias")) expected.add("transformer.h." + i + "." + p);
        }
        expected.addAll(List.of("transformer.ln_f.weight", "transformer.ln_f.bias"));
        assertEquals(expected, List.copyOf(m.stateDict().keySet()));
        assertArrayEquals(
                new int[] {48, 16},
                m.stateDict().get("transformer.h.1.attn.c_attn.weight").shape());

        // the logits are the final hidden states times the token embedding: a gradient reaches wte from the head
        Tensor wte = m.namedParameters().get("transformer.wte.weight");
        Tensor idx = Tensor.indices(1, 2, 3).view(1, 3);
        m.call(idx).select(2, 7).sum().backward();
        float[] g = wte.grad().toFloatArray();
        float row7 = 0;
        for (int j = 0; j < 16; j++) row7 += Math.abs(g[7 * 16 + j]);
        assertTrue(row7 > 0, "token 7 is never an input, so only the tied head gives its row a gradient");
    }

    @Test
    void nanoGptsInitialisation() {
        CharGptModel m = new CharGptModel(new CharGptModel.Config(50, 64, 8, 4, 128, 0), new Generator(1));
        Map<String, Tensor> p = m.namedParameters();
        assertEquals(0.02, std(p.get("transformer.wte.weight")), 0.002);
        assertEquals(0.02, std(p.get("transformer.h.0.mlp.c_fc.weight")), 0.001);
        assertEquals(0.02 / Math.sqrt(16), std(p.get("transformer.h.3.attn.c_proj.weight")), 0.0005);
        assertEquals(0f, p.get("transformer.h.0.attn.c_attn.bias").abs().max().item());
        assertEquals(1f, p.get("transformer.ln_f.weight").min().item());
    }

    private static double std(Tensor t) {
        return t.std().item();
    }

    @Test
    void attentionIsCausalAPositionSeesNothingAfterIt() {
        CharGptModel m = tiny(10, 3);
        m.eval();
        try (var s = GradMode.noGrad()) {
            float[] a = m.call(Tensor.indices(1, 2, 3, 4, 5, 6).view(1, 6)).toFloatArray();
            float[] b = m.call(Tensor.indices(1, 2, 3, 9, 9, 9).view(1, 6)).toFloatArray();
            for (int i = 0; i < 3 * 10; i++) assertEquals(a[i], b[i], "position " + i / 10);
            boolean later = false;
            for (int i = 3 * 10; i < 6 * 10; i++) later |= a[i] != b[i];
            assertTrue(later, "later positions do see the changed tokens");
            // a shorter context gives the same logits at the positions it has
            float[] c = m.call(Tensor.indices(1, 2, 3).view(1, 3)).toFloatArray();
            for (int i = 0; i < 30; i++) assertEquals(a[i], c[i], 1e-5f);
        }
    }

    @Test
    void aContextLongerThanTheBlockIsRefusedByName() {
        CharGptModel m = tiny(10, 0);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> m.call(Tensor.indices(new int[17]).view(1, 17)));
        assertEquals(
                "CharGptModel: expected token ids [B, T] with T <= block_size 16, got shape [1, 17]", e.getMessage());
    }

    @Test
    void weightDecayOnlyOnTheTwoDimensionalWeightsAndWarmupThenCosine() {
        CharGptModel m = tiny(10, 0);
        AdamW opt = CharGpt.optimizer(m, 1e-3, 0.1);
        List<ParamGroup> groups = opt.paramGroups();
        assertEquals(0.1, groups.get(0).getDouble("weight_decay"));
        assertEquals(0.0, groups.get(1).getDouble("weight_decay"));
        assertTrue(groups.get(0).params().stream().allMatch(t -> t.dim() == 2));
        assertTrue(groups.get(1).params().stream().allMatch(t -> t.dim() == 1));
        assertEquals(
                m.parameters().size(),
                groups.get(0).params().size() + groups.get(1).params().size());
        assertEquals(0.99, groups.get(0).getDouble("beta2"));

        LRScheduler s = CharGpt.schedule(opt, 110, 10, 1e-4);
        assertEquals(1e-4, groups.get(0).lr(), 1e-12, "step 0: a tenth of the way up");
        for (int i = 0; i < 10; i++) s.step();
        assertEquals(1e-3, groups.get(1).lr(), 1e-12, "the peak after the warm-up");
        for (int i = 0; i < 50; i++) s.step();
        assertEquals(1e-4 + (1e-3 - 1e-4) / 2, groups.get(0).lr(), 1e-12, "half way down the cosine");
        for (int i = 0; i < 50; i++) s.step();
        assertEquals(1e-4, groups.get(0).lr(), 1e-12, "the floor at the last step");
    }

    @Test
    void aCheckpointOfAnotherModelIsNamedAsSuch() {
        Path f = dir.resolve("other.safetensors");
        Checkpoint.saveModel(f, FashionMnist.mlp(0));
        DataFileException e = assertThrows(DataFileException.class, () -> CharGpt.load(f));
        assertEquals(f + ": is not a CharGpt checkpoint (no 'vocab' metadata)", e.getMessage());
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals(
                "Unknown options: '--step', '3'",
                assertThrows(IllegalArgumentException.class, () -> CharGpt.Options.parse("--step", "3"))
                        .getMessage());
        assertEquals(
                "Invalid value for option '--lr': 'fast' is not a double",
                assertThrows(IllegalArgumentException.class, () -> CharGpt.Options.parse("--lr", "fast"))
                        .getMessage());
        assertEquals(
                "option --layers: must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> CharGpt.Options.parse("--layers", "0"))
                        .getMessage());
        assertEquals(
                "--embd 100 is not divisible by --heads 3 (each head gets embd/heads)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> CharGpt.Options.parse("--embd", "100", "--heads", "3"))
                        .getMessage());
        assertEquals(
                "Missing required parameter for option '--steps' (N)",
                assertThrows(IllegalArgumentException.class, () -> CharGpt.Options.parse("--steps"))
                        .getMessage());
        CharGpt.Options o = CharGpt.Options.parse();
        assertEquals(CharGptData.KJV_DATA, o.data());
        assertEquals(500, o.steps());
        assertTrue(o.install());
    }

    @Test
    void everyDefault() {
        assertEquals(
                new CharGpt.Options(
                        500,
                        4,
                        4,
                        128,
                        64,
                        32,
                        2e-3,
                        50,
                        0f,
                        0.1,
                        100,
                        128,
                        1337,
                        "And God said",
                        300,
                        0.8,
                        CharGptData.KJV_DATA,
                        true,
                        Path.of("target", "chargpt"),
                        true),
                CharGpt.Options.parse());
    }

    @Test
    void commandLineReadsAsAShellUserExpects() throws Exception {
        // the last of a repeated option counts; a value may start with - or @ (a file named @... is not
        // read as more arguments); --name=value works too
        Path atFile = Files.writeString(dir.resolve("args.txt"), "--steps 9");
        CharGpt.Options o = CharGpt.Options.parse(
                "--steps=7",
                "--layers",
                "2",
                "--layers",
                "3",
                "--prompt",
                "-h",
                "--data",
                "@kjv.txt",
                "--out",
                "@" + atFile,
                "--seed",
                "-5",
                "--no-install",
                "--no-progress");
        assertEquals(7, o.steps());
        assertEquals(3, o.layers());
        assertEquals("-h", o.prompt());
        assertEquals(Path.of("@kjv.txt"), o.data());
        assertEquals(Path.of("@" + atFile), o.out());
        assertEquals(-5, o.seed());
        assertFalse(o.install());
        assertFalse(o.progress());
    }

    @Test
    void usageListsEveryOptionWithItsDefault() {
        String usage = Cli.usage(new CharGpt.Options.Args());
        for (String option : List.of(
                "--steps=N",
                "--layers=N",
                "--heads=N",
                "--embd=N",
                "--block=N",
                "--batch=N",
                "--lr=X",
                "--warmup=N",
                "--dropout=X",
                "--weight-decay=X",
                "--eval-interval=N",
                "--eval-windows=N",
                "--seed=N",
                "--prompt=TEXT",
                "--sample-length=N",
                "--temperature=X",
                "--data=FILE",
                "--no-install",
                "--out=DIR",
                "--no-progress",
                "-h, --help")) assertTrue(usage.contains(option), option + " is missing from\n" + usage);
        assertTrue(usage.matches("(?s).*--steps=N\\s+optimizer steps \\(default 500\\)\n.*"), usage);
        assertTrue(usage.contains("(default \"And God said\")"), usage);
        assertEquals(
                "-h/--help asks for the usage, not a run",
                assertThrows(IllegalArgumentException.class, () -> CharGpt.Options.parse("--help"))
                        .getMessage());
    }
}
