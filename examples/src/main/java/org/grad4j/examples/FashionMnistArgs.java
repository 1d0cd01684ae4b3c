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

    static final class NoInstall {
        @Option(
                names = "--no-install",
                description = "never install the data set; fall back to the embedded sample at once")
        boolean noInstall;
    }
}
