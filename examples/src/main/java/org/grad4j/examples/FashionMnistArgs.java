package org.grad4j.examples;

import picocli.CommandLine.Option;

/**
 * The picocli mixins of the options that {@link FashionMnist} and {@link DistributedFashionMnist} share
 * word for word (name, default, description and check); the others differ in their description.
 */
final class FashionMnistArgs {
    private FashionMnistArgs() {}

    static final class Epochs {
        @Option(names = "--epochs", paramLabel = "N", description = "epochs to train (default ${DEFAULT-VALUE})")
        int epochs = 1;
    }

    static final class Lr {
        @Option(names = "--lr", paramLabel = "X", description = "Adam learning rate (default ${DEFAULT-VALUE})")
        double lr = 1e-3;
    }

    static final class Limits {
        @Option(
                names = "--train-limit",
                paramLabel = "N",
                description = "train on the first N images only (default: all)")
        int trainLimit = Integer.MAX_VALUE;

        @Option(
                names = "--test-limit",
                paramLabel = "N",
                description = "test on the first N images only (default: all)")
        int testLimit = Integer.MAX_VALUE;
    }

    static final class NoInstall {
        @Option(
                names = "--no-install",
                description = "never install the data set; fall back to the embedded sample at once")
        boolean noInstall;
    }
}
