package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.function.Executable;

/**
 * Test helpers: compare a tensor with expected values to the spec's 1e-5 relative tolerance; expect an
 * exception whose message names what is wrong.
 */
final class Asserts {
    private Asserts() {}

    static void assertValues(Tensor t, float... expected) {
        float[] got = t.toFloatArray();
        if (got.length != expected.length) {
            fail("expected " + expected.length + " values but tensor has " + got.length + ": " + t);
        }
        for (int i = 0; i < got.length; i++) {
            float tol = 1e-5f * Math.max(1f, Math.abs(expected[i]));
            if (!(Math.abs(got[i] - expected[i]) <= tol)) {
                fail("element " + i + ": expected " + expected[i] + " but got " + got[i] + " in " + t);
            }
        }
    }

    static void assertShape(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape(), () -> "shape of " + t);
    }

    static void assertClose(Tensor t, float[] expected, float tol) {
        float[] got = t.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - expected[i]) <= tol * Math.max(1f, Math.abs(expected[i])))) {
                fail("element " + i + ": expected " + expected[i] + " but got " + got[i]);
            }
        }
    }

    /** Runs {@code call}, expects {@code type}, and checks that the message contains every fragment. */
    static <T extends Throwable> T fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String msg = e.getMessage();
        assertNotNull(msg, "exception without a message");
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "message should contain \"" + f + "\" but was:\n" + msg);
        }
        return e;
    }
}
