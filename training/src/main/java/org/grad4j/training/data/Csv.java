package org.grad4j.training.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.grad4j.core.Tensor;

/** Numeric CSV files as tensors; a malformed file gives an error naming the file, line and column. */
public final class Csv {
    private Csv() {}

    /** All rows as a [rows, columns] tensor; {@code header} skips the first line. */
    public static Tensor read(Path file, boolean header, char delimiter) {
        List<float[]> rows = new ArrayList<>();
        String[] split = null;
        Pattern sep = Pattern.compile(Pattern.quote(String.valueOf(delimiter)));
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0, width = -1, widthLine = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (header && lineNo == 1) continue;
                if (line.isBlank()) continue;
                split = sep.split(line, -1);
                if (width < 0) {
                    width = split.length;
                    widthLine = lineNo;
                } else if (split.length != width) {
                    throw new DataFileException(file, "line " + lineNo + " has " + split.length + " fields, expected " + width
                            + " (as on line " + widthLine + ")");
                }
                float[] row = new float[width];
                for (int c = 0; c < width; c++) {
                    String f = split[c].strip();
                    try {
                        row[c] = Float.parseFloat(f);
                    } catch (NumberFormatException e) {
                        throw new DataFileException(file, "line " + lineNo + ", column " + (c + 1) + ": '" + f + "' is not a number");
                    }
                }
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
            throw new DataFileException(file, "target column " + targetColumn + " is out of range: the file has " + cols + " columns");
        }
        int[] keep = new int[cols - 1];
        for (int c = 0, k = 0; c < cols; c++) if (c != t) keep[k++] = c;
        return new TensorDataset(all.indexSelect(1, Tensor.indices(keep)), all.select(1, t).contiguous());
    }
}
