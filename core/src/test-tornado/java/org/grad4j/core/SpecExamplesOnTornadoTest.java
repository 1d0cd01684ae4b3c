package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * SPEC §2's examples A–N, every one of them, with the TornadoVM device as the default device: each
 * tensor of the examples is created on, computed on and read back from the TornadoVM backend.
 */
class SpecExamplesOnTornadoTest extends SpecExamplesTest {
    private Device saved;

    @BeforeEach
    void onTornado() {
        saved = Device.getDefault();
        Device.setDefault(Device.tornado());
        assertEquals(Device.tornado(), Tensor.zeros(1).device());
        assertEquals(Device.tornado(), Device.gpu());
    }

    @AfterEach
    void restore() {
        Device.setDefault(saved);
    }
}
