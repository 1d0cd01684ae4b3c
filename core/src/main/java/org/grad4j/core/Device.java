package org.grad4j.core;

import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.grad4j.kernels.Backend;
import org.grad4j.kernels.BackendProvider;
import org.grad4j.kernels.jvm.JvmBackend;

/**
 * Where a tensor's storage lives and its kernels run ({@code torch.device}): {@code cpu} (the JVM
 * backend, always there) or a device type served by a {@link BackendProvider} found at run time with
 * {@link ServiceLoader}, e.g. {@code tornado} (the TornadoVM backend, see the README section "Run on a
 * GPU with TornadoVM").
 *
 * <p>A device is a value: a type and an index, equal when both are. {@code Device.of("tornado")} is
 * {@code tornado:0}; {@code cpu} has index 0 and prints as {@code "cpu"}. Naming a device that is not
 * a built-in type resolves its backend at once (created once per process and cached), so an
 * unavailable device type fails where it is named, with a message saying how to get it. A backend
 * serves one device, index 0; using {@code type:N} with N &gt; 0 fails when a tensor is moved there.
 *
 * <p>Factories ({@code Tensor.zeros}, {@code ones}, {@code of}, {@code randn}, ...) allocate on the
 * default device, {@link #getDefault()}: {@code cpu} unless changed with {@link #setDefault} or the
 * system property {@code grad4j.device} (e.g. {@code -Dgrad4j.device=tornado}), like
 * {@code torch.set_default_device}. Move tensors with {@link Tensor#to(Device)}.
 */
public final class Device {
    /** The system property naming the default device at start-up. */
    public static final String PROPERTY = "grad4j.device";

    private static final Device CPU = new Device("cpu", 0);
    /** Backends of the run-time device types, by type: created once. */
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();
    /** The device of every backend seen so far. */
    private static final Map<Backend, Device> DEVICES = new ConcurrentHashMap<>();

    /** The default device and its backend, read by every factory; set together. */
    private static volatile Default current;

    private record Default(Device device, Backend backend) {}

    private final String type;
    private final int index;

    private Device(String type, int index) {
        this.type = type;
        this.index = index;
    }

    /** The JVM (heap arrays, Vector API): always available. */
    public static Device cpu() {
        return CPU;
    }

    /** {@code tornado:0}, the TornadoVM backend; throws {@link IllegalStateException} when TornadoVM is not available. */
    public static Device tornado() {
        return of("tornado");
    }

    /**
     * The accelerator: today the TornadoVM device, which runs on TornadoVM's default device (a GPU
     * where one is installed; see {@code tornado --devices} and {@code -Dgrad4j.tornado.device}).
     * The same as {@link #tornado()}.
     */
    public static Device gpu() {
        return tornado();
    }

    /**
     * Parses {@code "cpu"}, {@code "tornado"}, {@code "tornado:0"} or {@code "type"} / {@code "type:N"} for
     * any provider's type. Throws {@link IllegalArgumentException} for a malformed string and
     * {@link IllegalStateException} when no backend serves the type (or its provider cannot create it).
     */
    public static Device of(String spec) {
        Objects.requireNonNull(spec, "Device.of: device string is null");
        String s = spec.trim();
        String type = s;
        int index = 0;
        int colon = s.indexOf(':');
        if (colon >= 0) {
            type = s.substring(0, colon);
            String n = s.substring(colon + 1);
            try {
                index = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "Device.of: invalid device string '" + spec + "': expected 'type' or "
                                + "'type:index' with a non-negative integer index, e.g. 'cpu', 'tornado' or 'tornado:0'");
            }
            if (index < 0) {
                throw new IllegalArgumentException(
                        "Device.of: device index must be non-negative, got " + index + " in '" + spec + "'");
            }
        }
        if (type.isEmpty() || !type.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_')) {
            throw new IllegalArgumentException("Device.of: invalid device string '" + spec + "': expected 'type' or "
                    + "'type:index', e.g. 'cpu', 'tornado' or 'tornado:0'");
        }
        if (type.equals("cpu")) {
            if (index != 0)
                throw new IllegalArgumentException("Device.of: there is one cpu device (cpu:0), got '" + spec + "'");
            return CPU;
        }
        backendFor(type); // fail here, where the device is named, when its type is not available
        return new Device(type, index);
    }

    /** Whether a backend for device type {@code type} can be had ({@code torch.cuda.is_available()}); never throws. */
    public static boolean isAvailable(String type) {
        if ("cpu".equals(type)) return true;
        try {
            backendFor(type);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The device type, e.g. {@code "cpu"} or {@code "tornado"}. */
    public String type() {
        return type;
    }

    /** The device index (0 for {@code cpu}). */
    public int index() {
        return index;
    }

    /** The backend that allocates and computes on this device. */
    Backend backend() {
        if (this == CPU || type.equals("cpu")) return JvmBackend.INSTANCE;
        Backend b = backendFor(type);
        if (index != 0) {
            throw new IllegalStateException("device " + this + " is not available: the '" + type
                    + "' backend provides one " + "device, " + type + ":0");
        }
        return b;
    }

    // ---- the default device ---------------------------------------------------------------------

    /** Makes {@code device} the one factories allocate on, for every thread ({@code torch.set_default_device}). */
    public static void setDefault(Device device) {
        Objects.requireNonNull(device, "Device.setDefault: device is null (use Device.cpu())");
        current = new Default(device, device.backend());
    }

    /** The device factories allocate on: {@code cpu} unless set with {@link #setDefault} or {@code -Dgrad4j.device}. */
    public static Device getDefault() {
        return defaults().device;
    }

    static Backend defaultBackend() {
        Default d = current;
        return d != null ? d.backend : defaults().backend;
    }

    private static Default defaults() {
        Default d = current;
        if (d != null) return d;
        synchronized (Device.class) {
            if (current == null) {
                String p = System.getProperty(PROPERTY);
                Device dev = p == null || p.isBlank() ? CPU : of(p);
                current = new Default(dev, dev.backend());
            }
            return current;
        }
    }

    // ---- backends ---------------------------------------------------------------------------------

    /** The device whose backend is {@code backend}: cpu for the JVM backend, else (its type, 0). */
    static Device of(Backend backend) {
        if (backend == JvmBackend.INSTANCE) return CPU;
        return DEVICES.computeIfAbsent(backend, b -> new Device(b.name(), 0));
    }

    private static Backend backendFor(String type) {
        Backend b = BACKENDS.get(type);
        if (b != null) return b;
        synchronized (BACKENDS) {
            b = BACKENDS.get(type);
            if (b != null) return b;
            BackendProvider provider = null;
            Throwable broken = null; // a provider that is registered but cannot be loaded
            var it = ServiceLoader.load(BackendProvider.class).iterator();
            while (provider == null) {
                try {
                    if (!it.hasNext()) break;
                    BackendProvider p = it.next();
                    if (type.equals(p.type())) provider = p;
                } catch (java.util.ServiceConfigurationError | LinkageError e) {
                    broken = e;
                }
            }
            if (provider == null) {
                IllegalStateException e = unavailable(type);
                if (broken != null) e.initCause(broken);
                throw e;
            }
            b = provider.create(); // its IllegalStateException says what is missing
            if (b == null)
                throw new IllegalStateException(
                        "the BackendProvider for device type '" + type + "' returned no backend");
            DEVICES.put(b, new Device(type, 0));
            BACKENDS.put(type, b);
            return b;
        }
    }

    private static IllegalStateException unavailable(String type) {
        if (type.equals("tornado")) {
            return new IllegalStateException(
                    "device 'tornado' is not available: TornadoVM is not available (no TornadoVM "
                            + "backend on the class path). Build with the Maven profile 'tornado' (./mvnw -Ptornado package; it is "
                            + "active when TORNADOVM_HOME is set) and run with 'java @$TORNADOVM_HOME/tornado-argfile ...'; see "
                            + "the README section \"Run on a GPU with TornadoVM\". Use Device.cpu() meanwhile.");
        }
        StringBuilder known = new StringBuilder("cpu");
        try {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class))
                known.append(", ").append(p.type());
        } catch (java.util.ServiceConfigurationError | LinkageError e) {
            // listed as far as it goes
        }
        return new IllegalStateException("device type '" + type + "' is not available: no BackendProvider serves it "
                + "(available: " + known + ")");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.index == index && d.type.equals(type);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + index;
    }

    /** {@code "cpu"}, {@code "tornado:0"}. */
    @Override
    public String toString() {
        return this.type.equals("cpu") ? "cpu" : type + ":" + index;
    }
}
