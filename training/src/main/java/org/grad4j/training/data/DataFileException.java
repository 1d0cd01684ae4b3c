package org.grad4j.training.data;

import java.nio.file.Path;

/** A data file that is missing or not what it should be; the message names the file and the problem. */
public final class DataFileException extends RuntimeException {
    private final Path file;

    public DataFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public DataFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
