package org.grad4j.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** What the training examples show while they run: the progress bar and the smoothed loss curve. */
final class TrainingDisplay {
    private TrainingDisplay() {}

    /** An ASCII bar on {@code out}, redrawn 4 times a second, counting {@code max} of {@code unit}. */
    static ProgressBar progressBar(PrintStream out, String taskName, int max, String unit) {
        return new ProgressBarBuilder()
                .setTaskName(taskName)
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setUnit(" " + unit, 1)
                .setConsumer(new ConsoleProgressBarConsumer(out, 110))
                .build();
    }

    /** A loss curve as means over windows of {@code window} steps: x is each window's last step. */
    record Smoothed(List<Double> xs, List<Double> ys, int window) {}

    /** {@code stepLosses} holds {x, loss} per step; about {@code points} windows come back. */
    static Smoothed smoothed(List<double[]> stepLosses, int points) {
        int window = Math.max(1, stepLosses.size() / points);
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int i = 0; i + window <= stepLosses.size(); i += window) {
            double s = 0;
            for (int j = i; j < i + window; j++) s += stepLosses.get(j)[1];
            xs.add(stepLosses.get(i + window - 1)[0]);
            ys.add(s / window);
        }
        return new Smoothed(xs, ys, window);
    }
}
