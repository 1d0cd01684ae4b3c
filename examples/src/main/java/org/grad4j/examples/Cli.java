package org.grad4j.examples;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The examples' command lines, parsed by picocli: each example's {@code Options} record has an annotated
 * {@link Args} class whose fields picocli sets, checks and turns into the record.
 */
final class Cli {
    private Cli() {}

    /** A picocli command: its annotated fields, once set, make the options record (or an IllegalArgumentException naming the option). */
    interface Args<T> {
        T toOptions();
    }

    /** The options of {@code args}; an IllegalArgumentException naming the option for a bad one, or for -h/--help. */
    static <T> T parse(Args<T> command, String... args) {
        return parse(commandLine(command), command, args);
    }

    /** The options of {@code args}, or the usage printed and the JVM ended: 0 for -h/--help, 1 (after the message) for a bad option. */
    static <T> T parseOrExit(Args<T> command, String... args) {
        CommandLine cl = commandLine(command);
        try {
            return parse(cl, command, args);
        } catch (IllegalArgumentException e) {
            if (cl.isUsageHelpRequested()) {
                System.out.print(cl.getUsageMessage());
                System.exit(0);
            }
            System.err.println(e.getMessage());
            System.err.print(cl.getUsageMessage());
            System.exit(1);
            throw e; // not reached
        }
    }

    /** What -h/--help prints: every option with its default and what it does. */
    static String usage(Args<?> command) {
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

    private static <T> T parse(CommandLine cl, Args<T> command, String... args) {
        try {
            cl.parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (cl.isUsageHelpRequested()) throw new IllegalArgumentException("-h/--help asks for the usage, not a run");
        return command.toOptions();
    }
}
