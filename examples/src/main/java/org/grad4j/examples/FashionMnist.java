package org.grad4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import org.grad4j.core.Device;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.data.DataFileException;
import org.grad4j.training.data.DataLoader;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.data.TensorDataset;
import org.grad4j.training.loop.EvalMetrics;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.Conv2d;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Flatten;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.MaxPool2d;
import org.grad4j.training.nn.ReLU;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Fashion-MNIST classification with the Reactor {@link Trainer}: an MLP 784-256-128-10 (or a small
 * CNN, {@code --model cnn}) trained with Adam on minibatches from a {@link DataLoader}, a progress bar per epoch, the test loss and accuracy
 * after each epoch, a checkpoint (safetensors) after each epoch, and a loss/accuracy chart as PNG.
 *
 * <p>The data comes from Debian's {@code dataset-fashion-mnist} package
 * ({@code sudo apt-get install dataset-fashion-mnist}, into /usr/share/datasets/fashion-mnist), installed
 * by the example itself where it may; without it, from a sample that ships in the examples
 * ({@link FashionMnistData}).
 */
public final class FashionMnist {
    /** The command-line options. */
    public record Options(
            int epochs,
            int batchSize,
            double lr,
            long seed,
            int workers,
            int trainLimit,
            int testLimit,
            Path data,
            Path out,
            String model,
            boolean normalize,
            boolean progress,
            String device,
            boolean install) {
        /** The options of a command line; an IllegalArgumentException naming the option for a bad one. */
        public static Options parse(String... args) {
            return Cli.parse(new Args(), args);
        }

        /** The command line as picocli reads it (names, defaults, usage); {@link #toOptions} checks it. */
        @Command(name = "FashionMnist", abbreviateSynopsis = true, sortOptions = false)
        static final class Args implements Cli.OptionsSource<Options> {
            @Mixin
            FashionMnistArgs.Epochs epochs;

            @Option(names = "--batch-size", paramLabel = "N", description = "minibatch size (default ${DEFAULT-VALUE})")
            int batchSize = 64;

            @Mixin
            FashionMnistArgs.Lr lr;

            @Option(
                    names = "--seed",
                    paramLabel = "N",
                    description = "seed of the initial weights and the shuffling (default ${DEFAULT-VALUE})")
            long seed = 0;

            @Option(
                    names = "--workers",
                    paramLabel = "N",
                    description = "data-loading threads (default ${DEFAULT-VALUE})")
            int workers = 2;

            @Mixin
            FashionMnistArgs.Limits limits;

            @Option(
                    names = "--data",
                    paramLabel = "DIR",
                    description =
                            "the dataset's directory (default ${DEFAULT-VALUE}; when it is missing there, Debian's"
                                    + " dataset-fashion-mnist is installed if this process may, else the 5,000-image sample in"
                                    + " the examples jar is used)")
            Path data = Mnist.FASHION_MNIST_DIR;

            @Mixin
            FashionMnistArgs.NoInstall noInstall;

            @Option(
                    names = "--out",
                    paramLabel = "DIR",
                    description = "where the checkpoint and the chart go (default ${DEFAULT-VALUE})")
            Path out = Path.of("target", "fashion-mnist");

            @Option(
                    names = "--model",
                    paramLabel = "mlp|cnn",
                    description = "the MLP 784-256-128-10 (default) or a small CNN (two 3x3 conv + pool blocks)")
            String model = "mlp";

            @Option(names = "--no-normalize", description = "feed pixels in [0, 1] instead of standardised ones")
            boolean noNormalize;

            @Option(
                    names = "--device",
                    paramLabel = "D",
                    description = "cpu (default) or tornado (the TornadoVM backend; see README)")
            String device = "cpu";

            @Mixin
            Cli.NoProgress noProgress;

            @Mixin
            Cli.Help help;

            @Override
            public Options toOptions() {
                if (!model.equals("mlp") && !model.equals("cnn")) {
                    throw new IllegalArgumentException("--model " + model + ": expected mlp or cnn");
                }
                return new Options(
                        epochs.epochs,
                        batchSize,
                        lr.lr,
                        seed,
                        workers,
                        limits.trainLimit,
                        limits.testLimit,
                        data,
                        out,
                        model,
                        !noNormalize,
                        !noProgress.noProgress,
                        device,
                        !noInstall.noInstall);
            }
        }
    }

    /** What a run produced. */
    public record Result(List<EvalMetrics> epochs, double[] trainSeconds, Path checkpoint, Path chart) {
        public double testAccuracy() {
            return epochs.getLast().accuracy();
        }
    }

    public static void main(String[] args) {
        Options o = Cli.parseOrExit(new Options.Args(), args);
        try {
            run(o, System.out);
        } catch (DataFileException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    /** The MLP 784-256-128-10 (PyTorch's default initialisation, seeded). */
    public static Sequential mlp(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(
                new Flatten(),
                new Linear(784, 256, true, g),
                new ReLU(),
                new Linear(256, 128, true, g),
                new ReLU(),
                new Linear(128, 10, true, g));
    }

    /**
     * A small CNN: conv 3×3 (16) → ReLU → max-pool 2 → conv 3×3 (32) → ReLU → max-pool 2 → 1568-128-10.
     */
    public static Sequential cnn(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(
                new Conv2d(1, 16, 3, 1, 1, g),
                new ReLU(),
                new MaxPool2d(2),
                new Conv2d(16, 32, 3, 1, 1, g),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Linear(32 * 7 * 7, 128, true, g),
                new ReLU(),
                new Linear(128, 10, true, g));
    }

    public static Result run(Options o, PrintStream out) {
        FashionMnistData.Splits data = FashionMnistData.load(o.data(), o.install(), out);
        TensorDataset train = data.train().head(o.trainLimit());
        TensorDataset test = data.test().head(o.testLimit());
        out.printf("%s: %d training and %d test images%n", data.source(), train.size(), test.size());
        if (o.normalize()) {
            // torchvision's Normalize(mean, std), with the statistics of the training images
            Tensor images = train.tensors().get(0);
            float mean = images.mean().item(),
                    std = images.sub(mean).pow(2).mean().sqrt().item();
            train = new TensorDataset(images.sub(mean).div(std), train.tensors().get(1));
            test = new TensorDataset(
                    test.tensors().get(0).sub(mean).div(std), test.tensors().get(1));
            out.printf("Pixels standardised with the training set's mean %.4f and std %.4f%n", mean, std);
        }

        Device device = Device.of(o.device());
        Sequential model = o.model().equals("cnn") ? cnn(o.seed()) : mlp(o.seed());
        model.to(device); // before the optimizer, as in PyTorch (its state is made on the parameters' device)
        Adam optimizer = new Adam(model.parameters(), o.lr());
        Path checkpoint = o.out().resolve("fashion-mnist-" + o.model() + ".safetensors");
        out.printf("Device: %s%n", device);
        out.printf(
                "Model: %s%nOptimizer: Adam lr %s, batch size %d, %d epoch(s)%n",
                model, o.lr(), o.batchSize(), o.epochs());

        List<double[]> stepLosses = new ArrayList<>(); // {epoch + fraction, loss}
        List<EvalMetrics> evals = new ArrayList<>();
        double[] trainSeconds = new double[o.epochs()];
        int batches;
        // closing the loaders stops their worker threads
        try (DataLoader trainLoader = DataLoader.builder(train)
                        .batchSize(o.batchSize())
                        .shuffle(true)
                        .seed(o.seed())
                        .numWorkers(o.workers())
                        .build();
                DataLoader testLoader = DataLoader.builder(test)
                        .batchSize(1000)
                        .numWorkers(o.workers())
                        .build();
                Trainer trainer = Trainer.builder(model, optimizer)
                        .loss(new CrossEntropyLoss())
                        .device(device)
                        .build()) {
            batches = trainLoader.numBatches();
            Flux.range(0, o.epochs())
                    .concatMap(epoch -> {
                        ProgressBar bar = o.progress()
                                ? TrainingDisplay.progressBar(
                                        out, String.format("epoch %d/%d", epoch + 1, o.epochs()), batches, "batches")
                                : null;
                        long start = System.nanoTime();
                        double[] lossSum = {0};
                        return trainer.train(epoch, trainLoader.flux(epoch))
                                .doOnNext(m -> {
                                    stepLosses.add(new double[] {epoch + (m.batch() + 1.0) / batches, m.loss()});
                                    lossSum[0] += m.loss();
                                    if (bar != null) {
                                        bar.step();
                                        bar.setExtraMessage(String.format(
                                                " loss %.4f  %5.0f samples/s", m.loss(), m.samplesPerSecond()));
                                    }
                                })
                                .doOnTerminate(() -> {
                                    if (bar != null) bar.close();
                                })
                                .then(Mono.fromRunnable(() -> trainSeconds[epoch] = (System.nanoTime() - start) / 1e9))
                                .then(trainer.evaluate(epoch, testLoader.flux(0)))
                                .doOnNext(ev -> {
                                    // on the training thread, between steps: a consistent state to save
                                    Checkpoint.save(
                                            checkpoint,
                                            model,
                                            optimizer,
                                            Map.of(
                                                    "epoch",
                                                    Integer.toString(epoch),
                                                    "test_accuracy",
                                                    Double.toString(ev.accuracy())));
                                    out.printf(
                                            "epoch %d/%d: train loss %.4f | test loss %.4f, test accuracy %.4f | %.1f s training, %.1f s testing%n",
                                            epoch + 1,
                                            o.epochs(),
                                            lossSum[0] / batches,
                                            ev.loss(),
                                            ev.accuracy(),
                                            trainSeconds[epoch],
                                            ev.seconds());
                                });
                    })
                    .doOnNext(evals::add)
                    .blockLast();
        }
        Path chart = o.out().resolve("fashion-mnist-" + o.model() + ".png");
        writeChart(chart, stepLosses, evals);
        EvalMetrics last = evals.getLast();
        double total = 0;
        for (double s : trainSeconds) total += s;
        out.printf("Final test accuracy: %.4f (%d test images)%n", last.accuracy(), last.samples());
        out.printf("Training wall time: %.1f s in all, %.1f s per epoch%n", total, total / o.epochs());
        out.printf("Checkpoint: %s%nChart: %s%n", checkpoint.toAbsolutePath(), chart.toAbsolutePath());
        return new Result(evals, trainSeconds, checkpoint, chart);
    }

    /** Two charts side by side: training loss per step (smoothed) and test loss per epoch; test accuracy per epoch. */
    static void writeChart(Path file, List<double[]> stepLosses, List<EvalMetrics> evals) {
        XYChart loss = new XYChartBuilder()
                .width(640)
                .height(420)
                .title("Loss")
                .xAxisTitle("epoch")
                .yAxisTitle("cross-entropy")
                .build();
        TrainingDisplay.Smoothed train = TrainingDisplay.smoothed(stepLosses, 200);
        loss.addSeries("train (mean of " + train.window() + " steps)", train.xs(), train.ys())
                .setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        List<Double> ex = new ArrayList<>(), el = new ArrayList<>(), ea = new ArrayList<>();
        for (EvalMetrics e : evals) {
            ex.add(e.epoch() + 1.0);
            el.add(e.loss());
            ea.add(e.accuracy());
        }
        loss.addSeries("test", ex, el);
        XYChart acc = new XYChartBuilder()
                .width(640)
                .height(420)
                .title("Test accuracy")
                .xAxisTitle("epoch")
                .yAxisTitle("accuracy")
                .build();
        loss.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        acc.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        acc.addSeries("test accuracy", ex, ea);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            BitmapEncoder.saveBitmap(List.of(loss, acc), 1, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the chart " + file + " failed", e);
        }
    }
}
