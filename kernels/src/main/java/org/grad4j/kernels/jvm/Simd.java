package org.grad4j.kernels.jvm;

/**
 * Whether the Vector API is usable: the incubator module {@code jdk.incubator.vector} must be added at
 * JVM start ({@code --add-modules jdk.incubator.vector}). Without it the scalar kernels run: same
 * results within float rounding, slower (the same as with {@code -Dgrad4j.noSimd=true}). The vector
 * classes ({@code Vector*}, {@code RegisterTranspose}) are only loaded when this is true: every use of one,
 * its constants included, sits behind {@code Simd.AVAILABLE &&} (checked first). The build runs the
 * kernels and core tests once more in a JVM without the module, so a path that forgets fails there.
 */
public final class Simd {
    private Simd() {}

    public static final boolean AVAILABLE = !Boolean.getBoolean("grad4j.noSimd")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
}
