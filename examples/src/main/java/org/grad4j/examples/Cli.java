package org.grad4j.examples;

import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The examples' command lines, parsed by picocli: each example's {@code Options} record has an annotated
 * {@code Args} class, an {@link OptionsSource}, whose fields picocli sets and which checks them and turns
 * them into the record. Options that several examples share word for word are mixins ({@link Help},
 * {@link NoProgress}, {@link FashionMnistArgs}).
 */
final class Cli {
    private Cli() {}

    /** A picocli command whose annotated fields, once set, make the options record (or an IllegalArgumentException naming the option). */
    interface OptionsSource<T> {
        T toOptions();
    }

    /** -h/--help, in every example. */
    static final class Help {
        @Option(
                names = {"-h", "--help"},
                usageHelp = true,
                description = "print this usage and exit")
        boolean help;
    }

    /** --no-progress, where the alternative is no progress output at all. */
    static final class NoProgress {
        @Option(names = "--no-progress", description = "no progress bar")
        boolean noProgress;
    }

    /**
     * What {@code main} does with a command line: run with {@code options}, or (when they are null) end
     * the process with {@code exitStatus}.
     */
    record Parsed<T>(T options, int exitStatus) {
        static <T> Parsed<T> run(T options) {
            return new Parsed<>(options, 0);
        }

        static <T> Parsed<T> exit(int status) {
            return new Parsed<>(null, status);
        }

        boolean exits() {
            return options == null;
        }
    }

    /** The options of {@code args}; an IllegalArgumentException naming the option for a bad one, or for -h/--help. */
    static <T> T parse(OptionsSource<T> command, String... args) {
        return parse(commandLine(command), command, args);
    }

    /**
     * The options of {@code args}, or the exit status after the usage is printed: 0 with the usage on
     * {@code out} for -h/--help, 1 with the message and then the usage on {@code err} for a bad option.
     */
    static <T> Parsed<T> parseForMain(OptionsSource<T> command, PrintStream out, PrintStream err, String... args) {
        CommandLine cl = commandLine(command);
        try {
            return Parsed.run(parse(cl, command, args));
        } catch (IllegalArgumentException e) {
            if (cl.isUsageHelpRequested()) {
                out.print(cl.getUsageMessage());
                out.flush();
                return Parsed.exit(0);
            }
            err.println(e.getMessage());
            err.print(cl.getUsageMessage());
            err.flush();
            return Parsed.exit(1);
        }
    }

    /** {@link #parseForMain} on System.out and System.err, the JVM ended with its status where there is no run. */
    static <T> T parseOrExit(OptionsSource<T> command, String... args) {
        Parsed<T> parsed = parseForMain(command, System.out, System.err, args);
        if (parsed.exits()) System.exit(parsed.exitStatus());
        return parsed.options();
    }

    /** What -h/--help prints: every option with its default and what it does. */
    static String usage(OptionsSource<?> command) {
        return commandLine(command).getUsageMessage();
    }

    private static CommandLine commandLine(Object command) {
        return new CommandLine(command)
                // as a shell user expects: the last of a repeated option counts, any word may follow an
                // option as its value (--prompt -h), and a word starting with @ is itself, not a file to read
                .setOverwrittenOptionsAllowed(true)
                .setAllowOptionsAsOptionParameters(true)
                .setExpandAtFiles(false)
                .setUsageHelpWidth(100);
    }

    private static <T> T parse(CommandLine cl, OptionsSource<T> command, String... args) {
        try {
            cl.parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (cl.isUsageHelpRequested()) throw new IllegalArgumentException("-h/--help asks for the usage, not a run");
        return command.toOptions();
    }
}
