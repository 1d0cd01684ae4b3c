package org.grad4j.training.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.grad4j.core.Tensor;

/**
 * Numeric CSV files as tensors. The file is UTF-8 (a leading byte-order mark is skipped); lines end
 * with {@code \n}, {@code \r\n} or {@code \r}; blank lines are skipped. A field is a decimal number
 * with optional sign, fraction and exponent ({@code -1.5e-3}, {@code .5}, {@code 7.}) or {@code nan},
 * {@code inf}, {@code infinity} in any case and with a sign, as numpy and pandas read them; anything
 * else, a finite number beyond float32's range, or bytes that are not UTF-8, is a {@link
 * DataFileException} naming the file, line and column (the field's position, from 1).
 */
public final class Csv {
    private Csv() {}

    /** All rows as a [rows, columns] tensor; {@code header} skips the first line. */
    public static Tensor read(Path file, boolean header, char delimiter) {
        List<float[]> rows = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Lines lines = new Lines(file, in, delimiter);
            int width = -1, widthLine = 0;
            String[] fields = new String[8];
            while (lines.next()) {
                int lineNo = lines.number;
                String line = lines.text;
                if (header && lineNo == 1) continue;
                if (line.isBlank()) continue;
                int count = 0;
                for (int from = 0; ; count++) {
                    int to = line.indexOf(delimiter, from);
                    if (count == fields.length) fields = Arrays.copyOf(fields, 2 * count);
                    fields[count] = line.substring(from, to < 0 ? line.length() : to);
                    if (to < 0) break;
                    from = to + 1;
                }
                count++;
                if (width < 0) {
                    width = count;
                    widthLine = lineNo;
                } else if (count != width) {
                    throw new DataFileException(
                            file,
                            "line " + lineNo + " has " + count + " fields, expected " + width + " (as on line "
                                    + widthLine + ")");
                }
                float[] row = new float[width];
                for (int c = 0; c < width; c++) row[c] = parse(file, lineNo, c + 1, fields[c].strip());
                rows.add(row);
            }
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "file not found", e);
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read: " + e, e);
        }
        if (rows.isEmpty()) throw new DataFileException(file, "no data rows");
        int w = rows.get(0).length;
        float[] flat = new float[rows.size() * w];
        for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i), 0, flat, i * w, w);
        return Tensor.of(flat, rows.size(), w);
    }

    /** Features (every column but {@code targetColumn}) and targets ([rows]) as a dataset. */
    public static TensorDataset readDataset(Path file, boolean header, char delimiter, int targetColumn) {
        Tensor all = read(file, header, delimiter);
        int cols = all.size(1);
        int t = targetColumn < 0 ? cols + targetColumn : targetColumn;
        if (t < 0 || t >= cols) {
            throw new DataFileException(
                    file, "target column " + targetColumn + " is out of range: the file has " + cols + " columns");
        }
        int[] keep = new int[cols - 1];
        for (int c = 0, k = 0; c < cols; c++) if (c != t) keep[k++] = c;
        return new TensorDataset(
                all.indexSelect(1, Tensor.indices(keep)), all.select(1, t).contiguous());
    }

    /** One field, already stripped of surrounding white space. */
    static float parse(Path file, int line, int column, String f) {
        int i = f.isEmpty() || f.charAt(0) != '+' && f.charAt(0) != '-' ? 0 : 1;
        int rest = f.length() - i;
        if (rest == 3 && f.regionMatches(true, i, "nan", 0, 3)) return Float.NaN;
        if (rest == 3 && f.regionMatches(true, i, "inf", 0, 3)
                || rest == 8 && f.regionMatches(true, i, "infinity", 0, 8)) {
            return f.charAt(0) == '-' ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        if (!isDecimal(f, i))
            throw new DataFileException(
                    file, "line " + line + ", column " + column + ": '" + visible(f) + "' is not a number");
        float v = Float.parseFloat(f); // correctly rounded for this grammar
        if (Float.isInfinite(v))
            throw new DataFileException(
                    file, "line " + line + ", column " + column + ": '" + f + "' is out of float32 range");
        return v;
    }

    /** {@code digits [. digits] [e [sign] digits]} from {@code i} on, with at least one digit before the exponent. */
    private static boolean isDecimal(String f, int i) {
        int n = f.length(), digits = 0;
        for (; i < n && isDigit(f.charAt(i)); i++) digits++;
        if (i < n && f.charAt(i) == '.') for (i++; i < n && isDigit(f.charAt(i)); i++) digits++;
        if (digits == 0) return false;
        if (i < n && (f.charAt(i) == 'e' || f.charAt(i) == 'E')) {
            i++;
            if (i < n && (f.charAt(i) == '+' || f.charAt(i) == '-')) i++;
            int exponent = 0;
            for (; i < n && isDigit(f.charAt(i)); i++) exponent++;
            if (exponent == 0) return false;
        }
        return i == n;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The field as a message shows it: invisible characters (a stray byte-order mark, controls) as {@code \\uXXXX}. */
    private static String visible(String f) {
        StringBuilder sb = new StringBuilder();
        f.chars().forEach(c -> {
            int type = Character.getType(c);
            if (Character.isISOControl(c)
                    || type == Character.FORMAT
                    || type == Character.SPACE_SEPARATOR && c != ' ') {
                sb.append(String.format("\\u%04X", c));
            } else {
                sb.append((char) c);
            }
        });
        return sb.toString();
    }

    /**
     * The file's lines, decoded as strict UTF-8 one line at a time, so that a bad byte is reported with
     * its line and column rather than somewhere in a read-ahead buffer.
     */
    private static final class Lines {
        private final Path file;
        private final InputStream in;
        private final char delimiter;
        private final byte[] buf = new byte[1 << 16];
        private int pos, lim;
        private long bufStart; // file offset of buf[0]
        private boolean skipLF;
        private byte[] line = new byte[256];
        private int len;
        private long lineStart; // file offset of the line's first byte
        private CharBuffer chars = CharBuffer.allocate(256);
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int number;
        String text;

        Lines(Path file, InputStream in, char delimiter) {
            this.file = file;
            this.in = in;
            this.delimiter = delimiter;
        }

        boolean next() throws IOException {
            len = 0;
            lineStart = -1;
            for (; ; ) {
                if (pos == lim) {
                    bufStart += lim;
                    int n = in.read(buf);
                    if (n <= 0) {
                        pos = lim = 0;
                        if (lineStart < 0) return false;
                        break; // the last line has no line break
                    }
                    pos = 0;
                    lim = n;
                }
                if (skipLF) {
                    skipLF = false;
                    if (buf[pos] == '\n') {
                        pos++;
                        continue;
                    }
                }
                if (lineStart < 0) lineStart = bufStart + pos;
                int start = pos;
                while (pos < lim && buf[pos] != '\n' && buf[pos] != '\r') pos++;
                append(start, pos - start);
                if (pos < lim) {
                    skipLF = buf[pos++] == '\r';
                    break;
                }
            }
            number++;
            decode();
            return true;
        }

        private void append(int from, int n) {
            if (len + n > line.length) line = Arrays.copyOf(line, Math.max(2 * line.length, len + n));
            System.arraycopy(buf, from, line, len, n);
            len += n;
        }

        private void decode() {
            int skip = number == 1
                            && len >= 3
                            && line[0] == (byte) 0xEF
                            && line[1] == (byte) 0xBB
                            && line[2] == (byte) 0xBF
                    ? 3
                    : 0; // the BOM
            int ascii = skip;
            while (ascii < len && line[ascii] >= 0) ascii++;
            if (ascii == len) { // ASCII, as numbers are: no decoder needed
                text = new String(line, skip, len - skip, StandardCharsets.ISO_8859_1);
                return;
            }
            if (chars.capacity() < len) chars = CharBuffer.allocate(Math.max(2 * chars.capacity(), len));
            chars.clear();
            ByteBuffer bytes = ByteBuffer.wrap(line, skip, len - skip);
            utf8.reset();
            CoderResult r = utf8.decode(bytes, chars, true);
            if (!r.isError()) r = utf8.flush(chars);
            if (r.isError()) {
                int at = bytes.position();
                int column = 1;
                for (int i = 0; i < chars.position(); i++) if (chars.get(i) == delimiter) column++;
                throw new DataFileException(
                        file,
                        "line " + number + ", column " + column + ": invalid UTF-8 (byte "
                                + String.format("0x%02x", line[at] & 0xff) + " at file offset " + (lineStart + at)
                                + "); the file must be UTF-8");
            }
            chars.flip();
            text = chars.toString();
        }
    }
}
