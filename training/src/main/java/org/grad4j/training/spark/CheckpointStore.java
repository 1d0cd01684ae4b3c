package org.grad4j.training.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grad4j.training.checkpoint.Checkpoint;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.nn.Module;
import org.grad4j.training.optim.Optimizer;

/**
 * The checkpoints of one Spark fit in a directory every worker can read: {@code step-000000040.safetensors},
 * each written atomically by rank 0 ({@link Checkpoint#save}, which writes through {@code AtomicFile}),
 * holding the model, the optimizer, where the run stood and the metrics of every step so far. The two
 * newest are kept. A retried stage attempt resumes from the newest.
 */
final class CheckpointStore {
    static final String STEP = "step",
            EPOCH = "epoch",
            WORKERS = "workers",
            BATCH_SIZE = "batch_size",
            SAMPLES = "samples",
            HISTORY = "steps";
    private static final Pattern NAME = Pattern.compile("step-(\\d{9})\\.safetensors");
    private static final int KEEP = 2;

    private final Path dir;

    CheckpointStore(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    static String name(long step) {
        return String.format("step-%09d.safetensors", step);
    }

    /** The newest checkpoint's file name, or null when there is none (or the directory does not exist yet). */
    String latest() {
        List<Long> steps = steps();
        return steps.isEmpty() ? null : name(steps.getLast());
    }

    /** The steps of the checkpoints present, ascending. */
    List<Long> steps() {
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) out.add(Long.parseLong(m.group(1)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "SparkTrainer: cannot list the checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }

    /** Writes the checkpoint of {@code step} (atomically), then removes all but the newest two. */
    void save(
            long step,
            int epoch,
            Module model,
            Optimizer optimizer,
            Map<String, String> run,
            List<StepMetrics> history) {
        Map<String, String> meta = new TreeMap<>(run);
        meta.put(STEP, Long.toString(step));
        meta.put(EPOCH, Integer.toString(epoch));
        meta.put(HISTORY, encode(history));
        Checkpoint.save(dir.resolve(name(step)), model, optimizer, meta);
        List<Long> steps = steps();
        for (int i = 0; i < steps.size() - KEEP; i++) {
            try {
                Files.deleteIfExists(dir.resolve(name(steps.get(i))));
            } catch (IOException e) {
                // an old checkpoint left behind costs disk space, not correctness
            }
        }
    }

    /** Loads {@code name} into model and optimizer (all or nothing) and returns its metadata. */
    Map<String, String> load(String name, Module model, Optimizer optimizer) {
        return Checkpoint.load(dir.resolve(name), model, optimizer);
    }

    /** One line per step: epoch, step, batch, loss, batch size, samples/s, lr (exact decimal forms). */
    static String encode(List<StepMetrics> steps) {
        StringBuilder b = new StringBuilder();
        for (StepMetrics m : steps) {
            b.append(m.epoch())
                    .append(' ')
                    .append(m.step())
                    .append(' ')
                    .append(m.batch())
                    .append(' ')
                    .append(m.loss())
                    .append(' ')
                    .append(m.batchSize())
                    .append(' ')
                    .append(m.samplesPerSecond())
                    .append(' ')
                    .append(m.lr())
                    .append('\n');
        }
        return b.toString();
    }

    static List<StepMetrics> decode(String text) {
        List<StepMetrics> out = new ArrayList<>();
        if (text == null || text.isEmpty()) return out;
        for (String line : text.split("\n")) {
            String[] f = line.split(" ");
            if (f.length != 7) throw new IllegalArgumentException("malformed step record '" + line + "'");
            out.add(new StepMetrics(
                    Integer.parseInt(f[0]),
                    Long.parseLong(f[1]),
                    Integer.parseInt(f[2]),
                    Double.parseDouble(f[3]),
                    Integer.parseInt(f[4]),
                    Double.parseDouble(f[5]),
                    Double.parseDouble(f[6])));
        }
        return out;
    }
}
