package org.grad4j.kernels.tornado;

import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BackendProvider;

/** Registers the TornadoVM backend as device type {@code tornado} (found by ServiceLoader). */
public final class TornadoProvider implements BackendProvider {
    @Override
    public String type() {
        return "tornado";
    }

    @Override
    public Backend create() {
        return TornadoBackend.instance();
    }
}
