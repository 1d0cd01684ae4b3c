package org.grad4j.core;

import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BackendProvider;

/** Device type {@code "broken"} whose backend cannot be created, as a provider whose runtime is missing. */
public final class FailingDeviceProvider implements BackendProvider {
    static final String MESSAGE = "the broken device needs a runtime that is not installed";

    @Override
    public String type() {
        return "broken";
    }

    @Override
    public Backend create() {
        throw new IllegalStateException(MESSAGE);
    }
}
