package org.grad4j.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    private Set<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void writeText(Path target, String text) {
        AtomicFile.write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theNextWriteRemovesTheTemporaryFilesACrashLeft() throws IOException {
        Path target = dir.resolve("ckpt.safetensors");
        // the temporary file a write really uses, seen while it is being written
        List<String> seen = new ArrayList<>();
        AtomicFile.write(target, out -> {
            Set<String> now = names();
            now.remove("ckpt.safetensors");
            seen.addAll(now);
            out.write(1);
        });
        assertEquals(1, seen.size(), "one temporary file while writing: " + seen);
        assertEquals(Set.of("ckpt.safetensors"), names(), "and none after");
        // crashed writes leave theirs (a killed process runs no cleanup)
        byte[] half = new byte[1000];
        Files.write(dir.resolve(seen.get(0)), half);
        Files.write(dir.resolve(".ckpt.safetensors.123.tmp"), half);
        Files.write(dir.resolve(".ckpt.safetensors.18446744073709551615.tmp"), half);
        // nothing else is touched: other targets' temporaries, look-alikes, a directory and a link of the pattern
        Set<String> others = Set.of(
                ".other.safetensors.123.tmp",
                ".ckpt.safetensors.12a.tmp",
                ".ckpt.safetensors.123.tmp.bak",
                "ckpt.safetensors.123.tmp",
                ".ckptXsafetensors.123.tmp",
                ".ckpt.safetensors..tmp",
                "notes.txt");
        for (String o : others) Files.write(dir.resolve(o), half);
        Files.createDirectory(dir.resolve(".ckpt.safetensors.555.tmp"));
        Files.createSymbolicLink(dir.resolve(".ckpt.safetensors.777.tmp"), dir.resolve("notes.txt"));
        writeText(target, "second");
        Set<String> expected = new TreeSet<>(others);
        expected.addAll(Set.of("ckpt.safetensors", ".ckpt.safetensors.555.tmp", ".ckpt.safetensors.777.tmp"));
        assertEquals(expected, names());
        assertEquals("second", Files.readString(target));
        assertArrayEquals(half, Files.readAllBytes(dir.resolve("notes.txt")));
    }

    @Test
    void aFailedWriteSaysWhyAndChangesNothing() throws IOException {
        // the parent of the target is a regular file (permission bits would not stop root, this does)
        Path file = Files.writeString(dir.resolve("plain.txt"), "keep");
        Path under = file.resolve("ckpt.safetensors");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> writeText(under, "x"));
        assertEquals(
                "writing " + under + " failed (the previous file, if any, is unchanged): " + file
                        + ": exists and is not a directory (FileAlreadyExistsException)",
                e.getMessage());
        assertEquals("keep", Files.readString(file));
        // a directory where the file should be
        Path taken = dir.resolve("taken");
        Files.createDirectory(taken);
        Files.writeString(taken.resolve("inside"), "keep");
        e = assertThrows(UncheckedIOException.class, () -> writeText(taken, "x"));
        assertTrue(
                e.getMessage().startsWith("writing " + taken + " failed (the previous file, if any, is unchanged): "),
                e.getMessage());
        assertTrue(
                e.getMessage().endsWith(" -> " + taken + ": Is a directory (FileSystemException)")
                        || e.getMessage()
                                .endsWith(" -> " + taken + ": Directory not empty (DirectoryNotEmptyException)"),
                e.getMessage());
        assertEquals("keep", Files.readString(taken.resolve("inside")));
        assertEquals(Set.of("plain.txt", "taken"), names(), "no temporary file is left behind");
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsNamedAsSuch() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeFalse(Files.isWritable(locked), "running as root: permission bits do not stop writes");
            Path target = locked.resolve("ckpt.safetensors");
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> writeText(target, "x"));
            assertTrue(
                    e.getMessage()
                            .startsWith("writing " + target + " failed (the previous file, if any, is unchanged): "
                                    + locked),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith(": permission denied (AccessDeniedException)"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
