package org.grad4j.kernels.jvm;

import org.grad4j.kernels.Backend;
import org.grad4j.kernels.Buffer;

/** A buffer on the Java heap: a plain {@code float[]}. */
final class HeapBuffer implements Buffer {
    final float[] data;

    HeapBuffer(float[] data) {
        this.data = data;
    }

    /** The backing array (shared, not copied): the JVM backend's kernels work on it directly. */
    float[] array() {
        return data;
    }

    @Override
    public int size() {
        return data.length;
    }

    @Override
    public Backend backend() {
        return JvmBackend.INSTANCE;
    }
}
