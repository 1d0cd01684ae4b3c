package org.grad4j.kernels.jvm;

/**
 * Whether the Vector API is usable: the incubator module {@code jdk.incubator.vector} must be added at
 * JVM start ({@code --add-modules jdk.incubator.vector}). Without it the scalar kernels run: same
 * results within float rounding, slower. The vector classes are only loaded when this is true.
 */
public final class Simd {
    private Simd() {}

    public static final boolean AVAILABLE = !Boolean.getBoolean("grad4j.noSimd")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
}
