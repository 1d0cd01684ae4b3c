package org.grad4j.training.checkpoint;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * Writes a file so that readers see either the old content or the complete new one: the bytes go to
 * a temporary file in the same directory ({@code .<name>.<random digits>.tmp}), which is fsynced and
 * then renamed over the target (an atomic replace on POSIX file systems), and the directory is fsynced
 * so the rename survives a crash. A crash or error mid-write leaves the previous file untouched; the
 * temporary files a crashed process leaves behind are removed by the next write of the same target.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Produces the file's bytes. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            removeStaleTemporaries(dir, abs.getFileName().toString());
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
            // FileOutputStream rather than a FileChannel: a thread interrupt (Reactor cancelling) must not abort the
            // write half-way
            try (FileOutputStream fos = new FileOutputStream(tmp.toFile());
                    OutputStream out = new BufferedOutputStream(fos, 1 << 16)) {
                body.write(out);
                out.flush();
                fos.getFD().sync();
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "writing " + target + " failed (the previous file, if any, is unchanged): " + reason(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray temp file never shadows the target, and the next write removes it
                }
            }
        }
    }

    /**
     * Deletes the temporary files of earlier writes of {@code name} that a crash left (regular files named
     * exactly as {@link #write} names them; nothing else). A concurrent write of the same target loses its
     * temporary file and fails with the previous file unchanged: one file has one writer at a time.
     */
    private static void removeStaleTemporaries(Path dir, String name) {
        Pattern own = Pattern.compile("\\." + Pattern.quote(name) + "\\.[0-9]+\\.tmp");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(
                dir, p -> own.matcher(p.getFileName().toString()).matches())) {
            for (Path p : files) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: a leftover temporary file wastes space but never shadows the target
        }
    }

    /** What went wrong, in words: some file system errors carry only the file's name in their message. */
    private static String reason(IOException e) {
        if (!(e instanceof FileSystemException f) || f.getReason() != null)
            return e.getMessage() + " (" + e.getClass().getSimpleName() + ")";
        String what = switch (f) {
            case AccessDeniedException x -> "permission denied";
            case NoSuchFileException x -> "no such file or directory";
            case NotDirectoryException x -> "not a directory";
            case FileAlreadyExistsException x ->
                "exists and is not a directory"; // only createDirectories reports it here
            case DirectoryNotEmptyException x -> "a directory is in the way (it is not empty)";
            default -> "failed";
        };
        return e.getMessage() + ": " + what + " (" + e.getClass().getSimpleName() + ")";
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some file systems cannot fsync a directory; the rename itself is still atomic
        }
    }
}
