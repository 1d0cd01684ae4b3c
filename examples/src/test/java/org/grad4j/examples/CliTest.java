package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What {@code main} does with a command line: the exit status and where the usage and the message go. */
class CliTest {
    private static final String NL = System.lineSeparator();

    /** One call of {@link Cli#parseForMain} with what it printed on out and on err. */
    private record Outcome<T>(Cli.Parsed<T> parsed, String out, String err) {}

    private static <T> Outcome<T> parseForMain(Cli.OptionsSource<T> command, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        Cli.Parsed<T> parsed = Cli.parseForMain(
                command,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                args);
        return new Outcome<>(parsed, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static final List<Supplier<Cli.OptionsSource<?>>> EXAMPLES = List.of(
            FashionMnist.Options.Args::new, CharGpt.Options.Args::new, DistributedFashionMnist.Options.Args::new);

    @Test
    void helpPrintsTheUsageOnStdoutAndExitsZero() {
        for (var example : EXAMPLES) {
            for (String help : List.of("-h", "--help")) {
                Outcome<?> o = parseForMain(example.get(), "--seed", "7", help);
                String usage = Cli.usage(example.get());
                assertTrue(o.parsed().exits(), help);
                assertNull(o.parsed().options(), help);
                assertEquals(0, o.parsed().exitStatus(), help);
                assertEquals(usage, o.out(), help);
                assertTrue(usage.startsWith("Usage: "), usage);
                assertEquals("", o.err(), help);
            }
        }
    }

    @Test
    void badOptionPrintsTheMessageThenTheUsageOnStderrAndExitsOne() {
        // a value picocli cannot convert, an unknown option, a missing value, and a check of toOptions
        List<List<String>> bad = List.of(
                List.of("--epochs", "x"), List.of("--epoch", "3"), List.of("--lr"), List.of("--model", "resnet"));
        List<String> messages = List.of(
                "Invalid value for option '--epochs': 'x' is not an int",
                "Unknown options: '--epoch', '3'",
                "Missing required parameter for option '--lr' (X)",
                "--model resnet: expected mlp or cnn");
        String usage = Cli.usage(new FashionMnist.Options.Args());
        for (int i = 0; i < bad.size(); i++) {
            String[] args = bad.get(i).toArray(String[]::new);
            Outcome<FashionMnist.Options> o = parseForMain(new FashionMnist.Options.Args(), args);
            assertTrue(o.parsed().exits(), bad.get(i).toString());
            assertEquals(1, o.parsed().exitStatus(), bad.get(i).toString());
            assertEquals("", o.out(), bad.get(i).toString());
            assertEquals(messages.get(i) + NL + usage, o.err());
            // the same message as the exception of Options.parse
            assertEquals(
                    messages.get(i),
                    assertThrows(IllegalArgumentException.class, () -> FashionMnist.Options.parse(args))
                            .getMessage());
        }
        Outcome<CharGpt.Options> gpt = parseForMain(new CharGpt.Options.Args(), "--embd", "100", "--heads", "3");
        assertEquals(1, gpt.parsed().exitStatus());
        assertEquals("", gpt.out());
        assertEquals(
                "--embd 100 is not divisible by --heads 3 (each head gets embd/heads)" + NL
                        + Cli.usage(new CharGpt.Options.Args()),
                gpt.err());
    }

    @Test
    void goodCommandLineRunsWithItsOptionsAndPrintsNothing() {
        Outcome<FashionMnist.Options> fm = parseForMain(
                new FashionMnist.Options.Args(),
                "--epochs",
                "3",
                "--lr",
                "0.01",
                "--no-install",
                "--no-progress",
                "--model",
                "cnn");
        assertFalse(fm.parsed().exits());
        assertEquals(3, fm.parsed().options().epochs());
        assertEquals(0.01, fm.parsed().options().lr());
        assertFalse(fm.parsed().options().install());
        assertFalse(fm.parsed().options().progress());
        assertEquals("cnn", fm.parsed().options().model());
        assertEquals("", fm.out());
        assertEquals("", fm.err());

        Outcome<DistributedFashionMnist.Options> dist = parseForMain(
                new DistributedFashionMnist.Options.Args(), "--epochs", "2", "--lr", "0.5", "--no-install");
        assertFalse(dist.parsed().exits());
        assertEquals(2, dist.parsed().options().epochs());
        assertEquals(0.5, dist.parsed().options().lr());
        assertFalse(dist.parsed().options().install());
        assertTrue(dist.parsed().options().progress());
        assertEquals("", dist.out() + dist.err());

        Outcome<CharGpt.Options> gpt = parseForMain(new CharGpt.Options.Args(), "--no-progress");
        assertFalse(gpt.parsed().exits());
        assertFalse(gpt.parsed().options().progress());
        assertTrue(gpt.parsed().options().install());
        assertEquals("", gpt.out() + gpt.err());
    }

    @Test
    void sharedOptionsKeepTheirPlaceInTheUsage() {
        assertEquals(
                List.of(
                        "--epochs",
                        "--batch-size",
                        "--lr",
                        "--seed",
                        "--workers",
                        "--train-limit",
                        "--test-limit",
                        "--data",
                        "--no-install",
                        "--out",
                        "--model",
                        "--no-normalize",
                        "--device",
                        "--no-progress",
                        "-h"),
                optionsInUsage(new FashionMnist.Options.Args()));
        assertEquals(
                List.of(
                        "--steps",
                        "--layers",
                        "--heads",
                        "--embd",
                        "--block",
                        "--batch",
                        "--lr",
                        "--warmup",
                        "--dropout",
                        "--weight-decay",
                        "--eval-interval",
                        "--eval-windows",
                        "--seed",
                        "--prompt",
                        "--sample-length",
                        "--temperature",
                        "--data",
                        "--no-install",
                        "--out",
                        "--no-progress",
                        "-h"),
                optionsInUsage(new CharGpt.Options.Args()));
        assertEquals(
                List.of(
                        "--workers",
                        "--master",
                        "--executor-memory",
                        "--epochs",
                        "--batch-size",
                        "--lr",
                        "--seed",
                        "--train-limit",
                        "--test-limit",
                        "--data",
                        "--no-install",
                        "--out",
                        "--checkpoint-dir",
                        "--checkpoint-every",
                        "--resume",
                        "--timeout",
                        "--no-progress",
                        "-h"),
                optionsInUsage(new DistributedFashionMnist.Options.Args()));
    }

    /** The first name of each option, in the order the usage lists them. */
    private static List<String> optionsInUsage(Cli.OptionsSource<?> command) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^ {2}(?:-h|    (--[a-z-]+))").matcher(Cli.usage(command));
        while (m.find()) names.add(m.group(1) == null ? "-h" : m.group(1));
        return names;
    }
}
