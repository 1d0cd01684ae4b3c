package org.grad4j.training.checkpoint;

import java.nio.file.Path;

/** A checkpoint that is missing, torn or does not fit the model; the message names the file and the problem. */
public final class CheckpointException extends RuntimeException {
    private final Path file;

    public CheckpointException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
