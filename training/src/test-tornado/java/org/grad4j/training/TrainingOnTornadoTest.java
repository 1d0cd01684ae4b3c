package org.grad4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.List;
import org.grad4j.core.Device;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.kernels.tornado.TornadoBackend;
import org.grad4j.training.data.DataLoader;
import org.grad4j.training.data.Mnist;
import org.grad4j.training.data.TensorDataset;
import org.grad4j.training.loop.EvalMetrics;
import org.grad4j.training.loop.StepMetrics;
import org.grad4j.training.loop.Trainer;
import org.grad4j.training.nn.CrossEntropyLoss;
import org.grad4j.training.nn.Flatten;
import org.grad4j.training.nn.Linear;
import org.grad4j.training.nn.MSELoss;
import org.grad4j.training.nn.ReLU;
import org.grad4j.training.nn.Sequential;
import org.grad4j.training.optim.Adam;
import org.grad4j.training.optim.SGD;
import org.junit.jupiter.api.Test;

/**
 * Training on the TornadoVM device tracks training on the JVM backend: the same model, data order
 * and optimizer on both, step by step; and a training step moves no data but the batch in and the
 * loss out.
 */
class TrainingOnTornadoTest {

    /** A linear regression y = 3x - 1 + noise with SGD: losses on both devices agree step by step. */
    @Test
    void regressionTracksTheJvmBackend() {
        double[] cpu = regression(Device.cpu()), tvm = regression(Device.tornado());
        for (int i = 0; i < cpu.length; i++) {
            assertEquals(cpu[i], tvm[i], 1e-4 * Math.max(1, Math.abs(cpu[i])), "loss at step " + i);
        }
        assertTrue(tvm[tvm.length - 1] < 0.02 * tvm[0], "the loss falls: " + tvm[0] + " -> " + tvm[tvm.length - 1]);
    }

    private static double[] regression(Device device) {
        Generator g = new Generator(7);
        Tensor x = Tensor.randn(g, 256, 1), noise = Tensor.randn(g, 256, 1).mul(0.05f);
        Tensor y = x.mul(3f).sub(1f).add(noise);
        Linear model = new Linear(1, 1, true, new Generator(1));
        model.to(device);
        Tensor xd = x.to(device), yd = y.to(device);
        SGD opt = new SGD(model.parameters(), 0.1f);
        MSELoss loss = new MSELoss();
        double[] losses = new double[200];
        for (int step = 0; step < losses.length; step++) {
            Tensor l = loss.call(model.call(xd), yd);
            losses[step] = l.item();
            l.backward();
            opt.step();
            opt.zeroGrad();
        }
        return losses;
    }

    /** A model trained on the device saves a checkpoint that a model on the JVM backend loads, and back. */
    @Test
    void checkpointsMoveBetweenDevices(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Sequential onDevice = new Sequential(
                new Linear(5, 3, true, new Generator(1)), new ReLU(), new Linear(3, 2, true, new Generator(2)));
        onDevice.to(Device.tornado());
        java.nio.file.Path file = dir.resolve("m.safetensors");
        org.grad4j.training.checkpoint.Checkpoint.saveModel(file, onDevice);
        Sequential onCpu = new Sequential(
                new Linear(5, 3, true, new Generator(3)), new ReLU(), new Linear(3, 2, true, new Generator(4)));
        org.grad4j.training.checkpoint.Checkpoint.loadModel(file, onCpu);
        Tensor x = Tensor.randn(new Generator(5), 4, 5);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                onDevice.call(x.to(Device.tornado())).toFloatArray(),
                onCpu.call(x).toFloatArray(),
                1e-5f);
        assertEquals(Device.cpu(), onCpu.parameters().get(0).device());
    }

    private record Run(List<StepMetrics> steps, EvalMetrics eval) {}

    private static Run fashionMnistEpoch(Device device, TensorDataset train, TensorDataset test) {
        Generator g = new Generator(0);
        Sequential model = new Sequential(
                new Flatten(),
                new Linear(784, 256, true, g),
                new ReLU(),
                new Linear(256, 128, true, g),
                new ReLU(),
                new Linear(128, 10, true, g));
        model.to(device);
        Adam optimizer = new Adam(model.parameters(), 1e-3);
        DataLoader trainLoader =
                DataLoader.builder(train).batchSize(64).shuffle(true).seed(0).build();
        DataLoader testLoader = DataLoader.builder(test).batchSize(1000).build();
        try (Trainer trainer = Trainer.builder(model, optimizer)
                .loss(new CrossEntropyLoss())
                .device(device)
                .build()) {
            List<StepMetrics> steps =
                    trainer.train(0, trainLoader.flux(0)).collectList().block();
            EvalMetrics eval = trainer.evaluate(0, testLoader.flux(0)).block();
            return new Run(steps, eval);
        }
    }

    /**
     * One epoch of the README's Fashion-MNIST MLP (Adam, batch 64) on each device: the loss curves
     * (means over 50 steps) agree within 2%, the test accuracies within 1%; per step the device
     * receives the two batch tensors and returns only the loss.
     */
    @Test
    void fashionMnistMlpEpochTracksTheJvmBackend() {
        assumeTrue(
                Files.isDirectory(Mnist.FASHION_MNIST_DIR),
                "Fashion-MNIST not installed: " + Mnist.FASHION_MNIST_INSTALL);
        TensorDataset train = Mnist.fashionMnist(true), test = Mnist.fashionMnist(false);
        Run cpu = fashionMnistEpoch(Device.cpu(), train, test);
        TornadoBackend backend = TornadoBackend.instance();
        TornadoBackend.Stats before = backend.stats();
        long t0 = System.nanoTime();
        Run tvm = fashionMnistEpoch(Device.tornado(), train, test);
        double seconds = (System.nanoTime() - t0) / 1e9;
        TornadoBackend.Stats after = backend.stats();

        assertEquals(cpu.steps().size(), tvm.steps().size());
        int window = 50;
        for (int s = 0; s + window <= cpu.steps().size(); s += window) {
            double a = 0, b = 0;
            for (int i = s; i < s + window; i++) {
                a += cpu.steps().get(i).loss();
                b += tvm.steps().get(i).loss();
            }
            assertEquals(a / window, b / window, 0.02 * a / window, "mean loss of steps " + s + ".." + (s + window));
        }
        assertEquals(cpu.eval().accuracy(), tvm.eval().accuracy(), 0.01);
        assertTrue(tvm.eval().accuracy() > 0.8, "accuracy " + tvm.eval().accuracy());

        long steps = tvm.steps().size(), evalBatches = 10;
        long reads = after.reads() - before.reads(), writes = after.writes() - before.writes();
        System.out.printf(
                "Fashion-MNIST MLP epoch on %s: %.1f s, test accuracy %.4f (JVM %.4f); %d kernel launches, "
                        + "%d host-to-device and %d device-to-host transfers for %d steps and %d test batches%n",
                backend.deviceName(),
                seconds,
                tvm.eval().accuracy(),
                cpu.eval().accuracy(),
                after.launches() - before.launches(),
                writes,
                reads,
                steps,
                evalBatches);
        // model.to: 6 parameters up; each step: inputs and targets up, the loss down; each test batch:
        // inputs and targets up, its loss and its count of correct answers down
        assertEquals(6 + 2 * steps + 2 * evalBatches, writes, "host-to-device transfers");
        assertEquals(steps + 2 * evalBatches, reads, "device-to-host transfers");
    }
}
