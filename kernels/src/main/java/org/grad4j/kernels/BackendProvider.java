package org.grad4j.kernels;

/**
 * Makes a {@link Backend} for a device type that is not built in (the TornadoVM backend), found with
 * {@link java.util.ServiceLoader} so that core needs no compile-time dependency on it.
 */
public interface BackendProvider {

    /** The device type this provider serves, e.g. {@code "tornado"} (what {@code Device.of} is given). */
    String type();

    /**
     * The backend; called once per process. Throws {@link IllegalStateException} saying what is missing
     * when the device cannot be used (e.g. TornadoVM's runtime is not on the module path).
     */
    Backend create();
}
