package org.grad4j.core;

import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A seeded source of random numbers for {@code rand}/{@code randn} (PyTorch's {@code torch.Generator}).
 * The same seed gives the same tensors on every run and machine.
 */
public final class Generator {
    private static volatile Generator defaultGenerator = new Generator(System.nanoTime());

    private RandomGenerator rng;
    private long seed;

    public Generator(long seed) {
        manualSeed(seed);
    }

    /** The generator used when none is passed; {@link Torch#manualSeed(long)} reseeds it. */
    public static Generator defaultGenerator() {
        return defaultGenerator;
    }

    public synchronized Generator manualSeed(long seed) {
        this.seed = seed;
        this.rng =
                RandomGeneratorFactory.<RandomGenerator>of("L64X128MixRandom").create(seed);
        return this;
    }

    public long initialSeed() {
        return seed;
    }

    /** Uniform in [0, 1). */
    public synchronized float nextUniform() {
        return rng.nextFloat();
    }

    /** Standard normal. */
    public synchronized float nextNormal() {
        return (float) rng.nextGaussian();
    }

    /** A uniform 64-bit value: the seed of a counter-based stream (attention's dropout draws its mask from one). */
    public synchronized long nextLong() {
        return rng.nextLong();
    }

    /** Uniform integer in [0, bound). */
    public synchronized int nextInt(int bound) {
        return rng.nextInt(bound);
    }
}
