package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RegressionTest {

    @Test
    void printsProgressAndEndsWithinSpecBounds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        float[] wb = Regression.fit(3, 800, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("step  800"), printed);
        assertTrue(printed.contains("final w = "), printed);
        assertTrue(Math.abs(wb[0] - 3) < 0.1, "w = " + wb[0]);
        assertTrue(Math.abs(wb[1] - 2.1) < 0.05, "b = " + wb[1]);
    }
}
