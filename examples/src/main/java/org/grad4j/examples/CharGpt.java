package org.grad4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import org.grad4j.core.F;
import org.grad4j.core.Generator;
import org.grad4j.core.GradMode;
import org.grad4j.core.Tensor;
import org.grad4j.core.Torch;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.checkpoint.SafeTensors;
import org.grad4j.training.data.Batch;
import org.grad4j.training.data.DataFileException;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.optim.AdamW;
import org.grad4j.training.optim.ClipGrad;
import org.grad4j.training.optim.LRScheduler;
import org.grad4j.training.optim.LRScheduler.CosineAnnealingLR;
import org.grad4j.training.optim.LRScheduler.LinearLR;
import org.grad4j.training.optim.LRScheduler.SequentialLR;
import org.grad4j.training.optim.ParamGroup;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A character-level GPT ({@link CharGptModel}) trained on the King James Bible with the Reactor
 * {@link Trainer}, as nanoGPT's shakespeare_char: random windows of the training 90% of the text,
 * AdamW (weight decay on the 2-d weights only), linear warm-up then cosine decay to a tenth of the
 * learning rate, gradient clipping at norm 1. Every {@code --eval-interval} steps it prints the loss on
 * fixed windows of the training and validation text and writes a safetensors checkpoint; at the end,
 * the loss chart (PNG) and a sample generated from a prompt with a fixed seed.
 *
 * <p>The text comes from Debian's {@code bible-kjv-text}, installed by the example where it may, or
 * else from the Book of Genesis that ships in the examples ({@link CharGptData}).
 */
public final class CharGpt {
    /** The command-line options. */
    public record Options(
            int steps,
            int layers,
            int heads,
            int embd,
            int block,
            int batch,
            double lr,
            int warmup,
            float dropout,
            double weightDecay,
            int evalInterval,
            int evalWindows,
            long seed,
            String prompt,
            int sampleLength,
            double temperature,
            Path data,
            boolean install,
            Path out,
            boolean progress) {
        /** The options of a command line; an IllegalArgumentException naming the option for a bad one. */
        public static Options parse(String... args) {
            return Cli.parse(new Args(), args);
        }

        /** The command line as picocli reads it (names, defaults, usage); {@link #toOptions} checks it. */
        @Command(name = "CharGpt", abbreviateSynopsis = true, sortOptions = false)
        static final class Args implements Cli.OptionsSource<Options> {
            @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default ${DEFAULT-VALUE})")
            int steps = 500;

            @Option(names = "--layers", paramLabel = "N", description = "transformer blocks (default ${DEFAULT-VALUE})")
            int layers = 4;

            @Option(names = "--heads", paramLabel = "N", description = "attention heads (default ${DEFAULT-VALUE})")
            int heads = 4;

            @Option(names = "--embd", paramLabel = "N", description = "embedding width (default ${DEFAULT-VALUE})")
            int embd = 128;

            @Option(
                    names = "--block",
                    paramLabel = "N",
                    description = "context length in characters (default ${DEFAULT-VALUE})")
            int block = 64;

            @Option(names = "--batch", paramLabel = "N", description = "windows per step (default ${DEFAULT-VALUE})")
            int batch = 32;

            @Option(
                    names = "--lr",
                    paramLabel = "X",
                    description = "peak AdamW learning rate (default ${DEFAULT-VALUE}; decays to a tenth)")
            double lr = 2e-3;

            @Option(
                    names = "--warmup",
                    paramLabel = "N",
                    description = "steps of linear warm-up (default ${DEFAULT-VALUE})")
            int warmup = 50;

            @Option(
                    names = "--dropout",
                    paramLabel = "X",
                    description = "dropout probability (default ${DEFAULT-VALUE})")
            float dropout = 0;

            @Option(
                    names = "--weight-decay",
                    paramLabel = "X",
                    description = "AdamW weight decay of the 2-d weights (default ${DEFAULT-VALUE})")
            double weightDecay = 0.1;

            @Option(
                    names = "--eval-interval",
                    paramLabel = "N",
                    description = "steps between evaluations (default ${DEFAULT-VALUE})")
            int evalInterval = 100;

            @Option(
                    names = "--eval-windows",
                    paramLabel = "N",
                    description = "windows of each split per evaluation (default ${DEFAULT-VALUE})")
            int evalWindows = 128;

            @Option(
                    names = "--seed",
                    paramLabel = "N",
                    description = "seed of the weights, the batches and the sample (default ${DEFAULT-VALUE})")
            long seed = 1337;

            @Option(
                    names = "--prompt",
                    paramLabel = "TEXT",
                    description = "start of the generated sample (default \"${DEFAULT-VALUE}\")")
            String prompt = "And God said";

            @Option(
                    names = "--sample-length",
                    paramLabel = "N",
                    description = "characters generated after the prompt (default ${DEFAULT-VALUE})")
            int sampleLength = 300;

            @Option(
                    names = "--temperature",
                    paramLabel = "X",
                    description = "sampling temperature (default ${DEFAULT-VALUE})")
            double temperature = 0.8;

            @Option(
                    names = "--data",
                    paramLabel = "FILE",
                    description = "train on this UTF-8 text instead of the King James Version")
            Path data = CharGptData.KJV_DATA;

            @Option(
                    names = "--no-install",
                    description = "never install Debian's bible-kjv-text; use the embedded Genesis at once")
            boolean noInstall;

            @Option(
                    names = "--out",
                    paramLabel = "DIR",
                    description = "where the checkpoint and the chart go (default ${DEFAULT-VALUE})")
            Path out = Path.of("target", "chargpt");

            @Mixin
            Cli.NoProgress noProgress;

            @Mixin
            Cli.Help help;

            @Override
            public Options toOptions() {
                positive("--steps", steps);
                positive("--layers", layers);
                positive("--heads", heads);
                positive("--embd", embd);
                positive("--block", block);
                positive("--batch", batch);
                positive("--eval-interval", evalInterval);
                positive("--eval-windows", evalWindows);
                if (embd % heads != 0) {
                    throw new IllegalArgumentException("--embd " + embd + " is not divisible by --heads " + heads
                            + " (each head gets embd/heads)");
                }
                if (!(dropout >= 0 && dropout < 1))
                    throw new IllegalArgumentException("--dropout " + dropout + ": expected a probability in [0, 1)");
                if (!(temperature > 0))
                    throw new IllegalArgumentException("--temperature " + temperature + ": must be > 0");
                if (warmup < 0 || sampleLength < 0)
                    throw new IllegalArgumentException("--warmup and --sample-length must not be negative");
                return new Options(
                        steps,
                        layers,
                        heads,
                        embd,
                        block,
                        batch,
                        lr,
                        warmup,
                        dropout,
                        weightDecay,
                        evalInterval,
                        evalWindows,
                        seed,
                        prompt,
                        sampleLength,
                        temperature,
                        data,
                        !noInstall,
                        out,
                        !noProgress.noProgress);
            }

            private static void positive(String option, int v) {
                if (v <= 0) throw new IllegalArgumentException("option " + option + ": must be positive, got " + v);
            }
        }
    }

    /** One evaluation: the mean loss per character on the fixed training and validation windows after {@code step} steps. */
    public record Evaluation(long step, double trainLoss, double valLoss) {}

    /** What a run produced. */
    public record Result(
            List<Evaluation> evaluations,
            double trainSeconds,
            Path checkpoint,
            Path chart,
            String sample,
            CharGptModel model,
            CharTokens tokens) {}

    public static void main(String[] args) {
        Options o = Cli.parseOrExit(new Options.Args(), args);
        try {
            run(o, System.out);
        } catch (DataFileException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    public static Result run(Options o, PrintStream out) {
        CharGptData.Corpus corpus = CharGptData.load(o.data(), o.install(), out);
        CharTokens tokens = new CharTokens(corpus.text());
        out.printf(
                "%s: %,d characters, vocabulary of %d; %,d for training, %,d for validation%n",
                corpus.source(), corpus.text().length(), tokens.vocabSize(), tokens.train.length, tokens.val.length);
        CharGptModel.Config config =
                new CharGptModel.Config(tokens.vocabSize(), o.block(), o.layers(), o.heads(), o.embd(), o.dropout());
        Generator gen = new Generator(o.seed());
        CharGptModel model = new CharGptModel(config, gen);
        AdamW optimizer = optimizer(model, o.lr(), o.weightDecay());
        int warmup = Math.min(o.warmup(), o.steps() / 2);
        LRScheduler schedule = schedule(optimizer, o.steps(), warmup, o.lr() / 10);
        long params = 0;
        for (Tensor p : model.parameters()) params += p.numel();
        out.printf(
                "Model: %d layers, %d heads, %d wide, context %d: %,d parameters%n",
                o.layers(), o.heads(), o.embd(), o.block(), params);
        out.printf(
                "Training: %d steps of %d windows (%,d characters a step), AdamW lr %s (warm-up %d steps, then cosine to %s),"
                        + " weight decay %s, clip 1.0, dropout %s%n",
                o.steps(), o.batch(), o.batch() * o.block(), o.lr(), warmup, o.lr() / 10, o.weightDecay(), o.dropout());

        int v = tokens.vocabSize();
        Batch[] trainEval = CharTokens.evenBatches(tokens.train, o.evalWindows(), o.batch(), o.block());
        Batch[] valEval = CharTokens.evenBatches(tokens.val, o.evalWindows(), o.batch(), o.block());
        Generator batchGen = new Generator(o.seed() + 1);
        Path checkpoint = o.out().resolve("chargpt.safetensors");
        List<double[]> stepLosses = new ArrayList<>(); // {step, loss}
        List<Evaluation> evals = new ArrayList<>();
        double[] trainSeconds = {0};
        // the segments between evaluations: step 0 (before training), then every evalInterval steps
        List<int[]> segments = new ArrayList<>(); // {first step, steps}
        segments.add(new int[] {0, 0});
        for (int s = 0; s < o.steps(); s += o.evalInterval())
            segments.add(new int[] {s, Math.min(o.evalInterval(), o.steps() - s)});
        try (Trainer trainer = Trainer.builder(model, optimizer)
                .loss((logits, targets) -> F.crossEntropy(logits.reshape(-1, v), targets.reshape(-1)))
                .clipGradNorm(1.0)
                .stepScheduler(schedule)
                .build()) {
            Flux.fromIterable(segments)
                    .concatMap(seg -> {
                        int first = seg[0], n = seg[1];
                        ProgressBar bar = o.progress() && n > 0
                                ? TrainingDisplay.progressBar(
                                        out,
                                        String.format("steps %d-%d/%d", first + 1, first + n, o.steps()),
                                        n,
                                        "steps")
                                : null;
                        long start = System.nanoTime();
                        Flux<Batch> batches = Flux.<Batch>generate(sink ->
                                        sink.next(CharTokens.randomBatch(tokens.train, o.batch(), o.block(), batchGen)))
                                .take(n);
                        return trainer.train(0, first, n == 0 ? Flux.empty() : batches)
                                .doOnNext(m -> {
                                    stepLosses.add(new double[] {m.step(), m.loss()});
                                    if (bar != null) {
                                        bar.step();
                                        bar.setExtraMessage(String.format(
                                                " loss %.4f  lr %.2e  %5.0f chars/s",
                                                m.loss(), m.lr(), m.samplesPerSecond() * o.block()));
                                    }
                                })
                                .doOnTerminate(() -> {
                                    if (bar != null) bar.close();
                                })
                                .then(Mono.fromRunnable(() -> trainSeconds[0] += (System.nanoTime() - start) / 1e9))
                                .then(trainer.evaluate(0, Flux.fromArray(trainEval)))
                                .zipWith(trainer.evaluate(0, Flux.fromArray(valEval)))
                                .map(tv -> {
                                    Evaluation e = new Evaluation(
                                            trainer.globalStep(),
                                            tv.getT1().loss(),
                                            tv.getT2().loss());
                                    // on the training thread, between steps: a consistent state to save
                                    Checkpoint.save(checkpoint, model, optimizer, metadata(config, tokens, e));
                                    out.printf(
                                            "step %d/%d: train loss %.4f, val loss %.4f (%.1f s training so far)%n",
                                            e.step(), o.steps(), e.trainLoss(), e.valLoss(), trainSeconds[0]);
                                    return e;
                                });
                    })
                    .doOnNext(evals::add)
                    .blockLast();
        }
        Path chart = o.out().resolve("chargpt-loss.png");
        writeChart(chart, stepLosses, evals);
        String sample = generate(model, tokens, o.prompt(), o.sampleLength(), o.temperature(), o.seed());
        Evaluation last = evals.getLast();
        out.printf(
                "Final: train loss %.4f, val loss %.4f after %d steps (%.1f s training, %,.0f characters/s)%n",
                last.trainLoss(),
                last.valLoss(),
                last.step(),
                trainSeconds[0],
                (double) o.steps() * o.batch() * o.block() / trainSeconds[0]);
        out.printf("Checkpoint: %s%nChart: %s%n", checkpoint.toAbsolutePath(), chart.toAbsolutePath());
        out.printf("Sample (seed %d, temperature %s):%n%s%n", o.seed(), o.temperature(), sample);
        return new Result(evals, trainSeconds[0], checkpoint, chart, sample, model, tokens);
    }

    /**
     * One training step of the model {@code o} describes (forward, loss, backward, clipping, AdamW,
     * zeroGrad: what the Trainer runs per batch), on random windows of the embedded Genesis, each call
     * a new batch: the benchmark harness's workload.
     */
    public static Runnable trainingStep(Options o) {
        CharTokens tokens = new CharTokens(CharGptData.sample());
        int v = tokens.vocabSize();
        CharGptModel model = new CharGptModel(
                new CharGptModel.Config(v, o.block(), o.layers(), o.heads(), o.embd(), o.dropout()),
                new Generator(o.seed()));
        AdamW optimizer = optimizer(model, o.lr(), o.weightDecay());
        List<Tensor> params = model.parameters();
        Generator batchGen = new Generator(o.seed() + 1);
        return () -> {
            Batch b = CharTokens.randomBatch(tokens.train, o.batch(), o.block(), batchGen);
            F.crossEntropy(model.call(b.inputs()).reshape(-1, v), b.targets().reshape(-1))
                    .backward();
            ClipGrad.clipGradNorm(params, 1.0);
            optimizer.step();
            optimizer.zeroGrad();
        };
    }

    /** AdamW as nanoGPT's configure_optimizers: weight decay on the 2-d weights (matmuls, embeddings) only. */
    static AdamW optimizer(CharGptModel model, double lr, double weightDecay) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Tensor p : model.parameters()) (p.dim() >= 2 ? decay : noDecay).add(p);
        return new AdamW(
                List.of(
                        new ParamGroup(decay).set("weight_decay", weightDecay),
                        new ParamGroup(noDecay).set("weight_decay", 0.0)),
                lr,
                0.9,
                0.99,
                1e-8,
                weightDecay,
                false);
    }

    /** The lr factor rises linearly over {@code warmup} steps, then follows a cosine down to {@code minLr}. */
    static LRScheduler schedule(AdamW optimizer, int steps, int warmup, double minLr) {
        LRScheduler cosine = new CosineAnnealingLR(optimizer, Math.max(1, steps - warmup), minLr);
        if (warmup == 0) return cosine;
        return new SequentialLR(optimizer, List.of(new LinearLR(optimizer, 1.0 / warmup, 1.0, warmup), cosine), warmup);
    }

    /** What a checkpoint needs besides its tensors to rebuild the model and its vocabulary ({@link #load}). */
    static Map<String, String> metadata(CharGptModel.Config c, CharTokens tokens, Evaluation e) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("vocab", tokens.chars);
        m.put("block_size", Integer.toString(c.blockSize()));
        m.put("n_layer", Integer.toString(c.nLayer()));
        m.put("n_head", Integer.toString(c.nHead()));
        m.put("n_embd", Integer.toString(c.nEmbd()));
        m.put("step", Long.toString(e.step()));
        m.put("val_loss", Double.toString(e.valLoss()));
        return m;
    }

    /** A model and its vocabulary, rebuilt from a checkpoint this example wrote. */
    public record Loaded(CharGptModel model, String vocab) {}

    /** Rebuilds the model a checkpoint was written from (its sizes and vocabulary are in the metadata), in eval mode. */
    public static Loaded load(Path checkpoint) {
        Map<String, String> meta = SafeTensors.load(checkpoint).metadata();
        String vocab = meta.get("vocab");
        if (vocab == null) throw new DataFileException(checkpoint, "is not a CharGpt checkpoint (no 'vocab' metadata)");
        try {
            CharGptModel.Config c = new CharGptModel.Config(
                    vocab.length(),
                    Integer.parseInt(meta.get("block_size")),
                    Integer.parseInt(meta.get("n_layer")),
                    Integer.parseInt(meta.get("n_head")),
                    Integer.parseInt(meta.get("n_embd")),
                    0);
            CharGptModel model = new CharGptModel(c, new Generator(0));
            Checkpoint.loadModel(checkpoint, model);
            model.eval();
            return new Loaded(model, vocab);
        } catch (NumberFormatException e) {
            throw new DataFileException(checkpoint, "has a model size that is not a number: " + e.getMessage(), e);
        }
    }

    /**
     * {@code length} characters after {@code prompt}, each drawn from the softmax of the model's last
     * logits divided by {@code temperature}, from the last {@code blockSize} characters; in eval mode,
     * recording nothing. The same seed gives the same text.
     */
    public static String generate(
            CharGptModel model, CharTokens tokens, String prompt, int length, double temperature, long seed) {
        int[] context = tokens.encode(prompt.isEmpty() ? "\n" : prompt);
        int[] all = Arrays.copyOf(context, context.length + length);
        int n = context.length;
        Generator gen = new Generator(seed);
        boolean wasTraining = model.isTraining();
        model.eval();
        try (var s = GradMode.noGrad()) {
            for (int i = 0; i < length; i++) {
                int from = Math.max(0, n - model.config.blockSize()), t = n - from;
                Tensor idx = Tensor.indices(Arrays.copyOfRange(all, from, n)).view(1, t);
                Tensor logits = model.call(idx).select(0, 0).select(0, t - 1);
                Tensor probs = logits.div((float) temperature).softmax(0);
                all[n++] = (int) Torch.multinomial(probs, 1, true, gen).item();
            }
        } finally {
            model.train(wasTraining);
        }
        return tokens.decode(Arrays.copyOf(all, n));
    }

    /** Training loss per step (a running mean) and the evaluations' training and validation losses. */
    static void writeChart(Path file, List<double[]> stepLosses, List<Evaluation> evals) {
        XYChart chart = new XYChartBuilder()
                .width(800)
                .height(480)
                .title("CharGpt: cross-entropy per character")
                .xAxisTitle("step")
                .yAxisTitle("loss (nats)")
                .build();
        TrainingDisplay.Smoothed train = TrainingDisplay.smoothed(stepLosses, 100);
        if (!train.xs().isEmpty())
            chart.addSeries("training batches (mean of " + train.window() + ")", train.xs(), train.ys())
                    .setMarker(SeriesMarkers.NONE);
        List<Double> ex = new ArrayList<>(), et = new ArrayList<>(), ev = new ArrayList<>();
        for (Evaluation e : evals) {
            ex.add((double) e.step());
            et.add(e.trainLoss());
            ev.add(e.valLoss());
        }
        chart.addSeries("train (fixed windows)", ex, et);
        chart.addSeries("validation", ex, ev);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the chart " + file + " failed", e);
        }
    }
}
