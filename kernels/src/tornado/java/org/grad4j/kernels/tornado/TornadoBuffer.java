package org.grad4j.kernels.tornado;

import org.grad4j.kernels.Backend;
import org.grad4j.kernels.Buffer;

/** A tensor's storage on a TornadoVM device: a region of the backend's one device array. */
final class TornadoBuffer implements Buffer {
    final TornadoBackend backend;
    final int offset;
    final int size;
    /**
     * True while the host copy of the region (in the backend's host-side array) equals the device's:
     * after the host wrote the whole buffer or read it back, until a kernel writes to it. A read of
     * such a buffer (a target uploaded with the batch, say) needs no transfer.
     */
    boolean hostValid;
    /** Set by release: the region may belong to another buffer now, so any further use is an error. */
    boolean released;
    /** Tracks the region for the cleaner; cleared when the buffer is released explicitly. */
    TornadoBackend.Region region;

    TornadoBuffer(TornadoBackend backend, int offset, int size) {
        this.backend = backend;
        this.offset = offset;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String toString() {
        return "TornadoBuffer[" + offset + ", " + size + "]";
    }
}
