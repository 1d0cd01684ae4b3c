package org.grad4j.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a CSV file may hold, and how each thing it may not is named: file, line, column. */
class CsvTest {
    @TempDir
    Path dir;

    private int files;

    private Path write(byte[]... parts) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.write(p);
        return Files.write(dir.resolve("f" + files++ + ".csv"), b.toByteArray());
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }

    private static void assertProblem(Path f, boolean header, String problem) {
        DataFileException e = assertThrows(DataFileException.class, () -> Csv.read(f, header, ','));
        assertEquals(f + ": " + problem, e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void bytesThatAreNotUtf8AreNamedByLineAndColumn() throws IOException {
        assertProblem(
                write(text("1,2\n3,"), bytes(0xff), text("4\n")),
                false,
                "line 2, column 2: invalid UTF-8 (byte 0xff at file offset 6); the file must be UTF-8");
        // a multi-byte sequence cut short by the line break
        assertProblem(
                write(text("1,2,3\n4,5,"), bytes(0xe2, 0x82), text("\n")),
                false,
                "line 2, column 3: invalid UTF-8 (byte 0xe2 at file offset 10); the file must be UTF-8");
        // a Latin-1 header is not UTF-8 either, even though the header is skipped
        assertProblem(
                write(text("a,Gr"), bytes(0xf6, 0xdf), text("e\n1,2\n")),
                true,
                "line 1, column 2: invalid UTF-8 (byte 0xf6 at file offset 4); the file must be UTF-8");
        // past the first read-ahead buffer, the line number is still exact
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20000; i++) many.append(i).append(",1\n");
        Path far = write(text(many.toString()), bytes(0x31, 0x2c, 0xc0, 0xaf), text("\n"));
        assertProblem(
                far,
                false,
                "line 20001, column 2: invalid UTF-8 (byte 0xc0 at file offset " + (many.length() + 2)
                        + "); the file must be UTF-8");
    }

    @Test
    void aByteOrderMarkIsSkipped() throws IOException {
        byte[] bom = bytes(0xef, 0xbb, 0xbf);
        assertArrayEquals(
                new float[] {1, 2, 3, 4},
                Csv.read(write(bom, text("1,2\n3,4\n")), false, ',').toFloatArray());
        assertArrayEquals(
                new float[] {1, 2},
                Csv.read(write(bom, text("a,b\n1,2\n")), true, ',').toFloatArray());
        // only at the start of the file; elsewhere it is named visibly
        assertProblem(write(text("1,2\n"), bom, text("3,4\n")), false, "line 2, column 1: '\\uFEFF3' is not a number");
        assertProblem(write(text("1,2\n3,\u00004\n")), false, "line 2, column 2: '\\u00004' is not a number");
    }

    @Test
    void lineBreaksOfEveryKindCountLines() throws IOException {
        assertArrayEquals(
                new float[] {1, 2, 3, 4, 5, 6},
                Csv.read(write(text("1,2\r\n3,4\r5,6")), false, ',').toFloatArray());
        assertProblem(write(text("1,2\r\n\r\n3,x\r\n")), false, "line 3, column 2: 'x' is not a number");
        assertProblem(write(text("1,2\r3,x\r")), false, "line 2, column 2: 'x' is not a number");
    }

    @Test
    void numbersAreTheDecimalsNumpyReads() throws IOException {
        String[] accepted = {"1", "-1.5e-3", "+.5", "7.", "1E+05", " 2 ", "007", "3.4028235e38", "1e-50", "-0"};
        float[] values = {1, -1.5e-3f, 0.5f, 7, 1e5f, 2, 7, Float.MAX_VALUE, 0, -0f};
        Path ok = write(text(String.join(",", accepted) + "\n"));
        float[] got = Csv.read(ok, false, ',').toFloatArray();
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToIntBits(values[i]), Float.floatToIntBits(got[i]), accepted[i]);
        }
        Path special = write(text("nan,-NaN,+inf,-Infinity,INF,infinity\n"));
        assertArrayEquals(
                new float[] {
                    Float.NaN,
                    Float.NaN,
                    Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY,
                    Float.POSITIVE_INFINITY
                },
                Csv.read(special, false, ',').toFloatArray());
        // Java's own literals and other near misses are not numbers in a CSV file
        for (String bad : new String[] {
            "1d",
            "2f",
            "0x1p3",
            "0x10",
            "1_0",
            "1e",
            "1e+",
            ".",
            "e5",
            "--1",
            "+-1",
            "infinit",
            "nanx",
            "1.2.3",
            "",
            "\u0661",
            "NaN1",
            "Infinity1",
            "1 2",
            "1,5e3x"
        }) {
            Path f = write(text("0,0\n1," + bad + "\n"));
            if (bad.contains(",")) {
                assertProblem(f, false, "line 2 has 3 fields, expected 2 (as on line 1)");
            } else {
                assertProblem(f, false, "line 2, column 2: '" + bad.strip() + "' is not a number");
            }
        }
        // a finite literal beyond float32 is not silently infinity
        assertProblem(write(text("1,1e39\n")), false, "line 1, column 2: '1e39' is out of float32 range");
        assertProblem(write(text("1,2\n-3.5e38,0\n")), false, "line 2, column 1: '-3.5e38' is out of float32 range");
        assertProblem(
                write(text("1e999999999999,0\n")), false, "line 1, column 1: '1e999999999999' is out of float32 range");
    }
}
