package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SgdRegressionTest {

    /** SPEC N: the SGD loop equals the hand-written one to the last bit, and ends within the spec's bounds. */
    @ParameterizedTest
    @ValueSource(longs = {0, 3, 11})
    void equalsTheHandWrittenLoopBitForBit(long seed) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        float[] sgd = SgdRegression.fit(seed, 800, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        float[] hand = Regression.fit(seed, 800, new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(Float.floatToRawIntBits(hand[0]), Float.floatToRawIntBits(sgd[0]), "w");
        assertEquals(Float.floatToRawIntBits(hand[1]), Float.floatToRawIntBits(sgd[1]), "b");
        assertTrue(Math.abs(sgd[0] - 3) < 0.1 && Math.abs(sgd[1] - 2.1) < 0.05, "w = " + sgd[0] + ", b = " + sgd[1]);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("with SGD"));
    }
}
