package org.grad4j.examples;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.grad4j.training.data.DataFileException;

/**
 * Where CharGpt's text comes from, so that its first run needs no step before it: a plain-text file
 * given with {@code --data}; by default the King James Version from Debian's {@code bible-kjv-text}
 * (its compressed text, printed by the package's reader {@code bible} from {@code bible-kjv}),
 * installed on the spot where this process may do it (as {@link FashionMnistData} installs its set);
 * failing that, the Book of Genesis that ships in this jar.
 */
final class CharGptData {
    private CharGptData() {}

    /** Debian's compressed KJV text (package bible-kjv-text). */
    static final Path KJV_DATA = Path.of("/usr/lib/bible.data");
    /** Its reader (package bible-kjv). */
    static final Path KJV_READER = Path.of("/usr/bin/bible");

    static final String KJV_INSTALL = "sudo apt-get install bible-kjv-text bible-kjv";
    static final String SAMPLE = "kjv-sample/genesis.txt";
    /** Every verse of the KJV, first to last. */
    static final String WHOLE_BIBLE = "Gen1:1-Rev22:21";

    /** "Ge1:1 In the beginning..." (the reader's unformatted output): the reference and its space. */
    private static final Pattern REFERENCE = Pattern.compile("(?m)^[0-9]?[A-Za-z]+[0-9]+:[0-9]+ ");

    /** The text, where it came from (one line for the user), and whether it is the embedded sample. */
    record Corpus(String text, String source, boolean embedded) {}

    /**
     * The KJV when {@code data} is Debian's file and it (with its reader) is there, after installing
     * both if {@code install} and they are missing; the text of {@code data} when it is another file
     * that exists; otherwise the embedded Genesis, with a line on {@code out} that says so.
     */
    static Corpus load(Path data, boolean install, PrintStream out) {
        return load(data, KJV_READER, install, out);
    }

    /** {@link #load(Path, boolean, PrintStream)} with the KJV reader at {@code reader}. */
    static Corpus load(Path data, Path reader, boolean install, PrintStream out) {
        boolean kjv = data.equals(KJV_DATA);
        String notInstalled = "";
        if (kjv && install && !(Files.exists(data) && Files.isExecutable(reader))) {
            String why = DebianPackage.install(
                    out,
                    "The King James Version is not installed: installing Debian's bible-kjv-text and bible-kjv"
                            + " (about 2.5 MB, once)...",
                    "bible-kjv-text",
                    "bible-kjv");
            if (why != null) notInstalled = " (could not install it: " + why + ")";
        }
        if (kjv && Files.exists(data) && Files.isExecutable(reader)) {
            return new Corpus(readKjv(data, reader), "the King James Version from " + data, false);
        }
        if (!kjv && Files.exists(data)) {
            try {
                return new Corpus(Files.readString(data, StandardCharsets.UTF_8), data.toString(), false);
            } catch (IOException e) {
                throw new DataFileException(data, "cannot be read as UTF-8 text: " + e.getMessage(), e);
            }
        }
        String what =
                kjv ? "The King James Version is not installed (" + data + ", " + reader + ")" : data + " is missing";
        out.println(what + notInstalled + ": training on the Book of Genesis embedded in the examples; for the"
                + " whole Bible: " + KJV_INSTALL + ", or --data FILE for any text");
        return new Corpus(sample(), "the embedded Book of Genesis (KJV)", true);
    }

    /** The embedded Genesis, one verse a line. */
    static String sample() {
        try (InputStream in = CharGptData.class.getResourceAsStream(SAMPLE)) {
            if (in == null) throw new IllegalStateException("the examples jar lacks its resource " + SAMPLE);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the embedded " + SAMPLE + " failed", e);
        }
    }

    /** Every verse, one a line without its reference, as the package's reader prints them. */
    static String readKjv(Path data, Path reader) {
        // -f: one verse a line, each after its reference; -p, -d: exactly this data file
        List<String> command = List.of(
                reader.toString(),
                "-f",
                "-p",
                data.toAbsolutePath().getParent().toString(),
                "-d",
                data.getFileName().toString(),
                WHOLE_BIBLE);
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            p.getInputStream().transferTo(text);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new DataFileException(data, reader + " did not finish printing the text in 60 s");
            }
            String s = text.toString(StandardCharsets.ISO_8859_1);
            if (p.exitValue() != 0 || !REFERENCE.matcher(s).lookingAt()) {
                throw new DataFileException(
                        data, String.join(" ", command) + " exited with " + p.exitValue() + " and printed no verses");
            }
            return REFERENCE.matcher(s).replaceAll("");
        } catch (IOException e) {
            throw new DataFileException(data, "running " + reader + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataFileException(data, "interrupted while " + reader + " printed the text", e);
        }
    }
}
