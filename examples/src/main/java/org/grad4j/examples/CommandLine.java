package org.grad4j.examples;

import java.util.function.Function;

/**
 * The examples' command lines: an {@code Options.parse} signals a bad option with an
 * IllegalArgumentException carrying its message, and {@code --help} with an empty one.
 */
final class CommandLine {
    private CommandLine() {}

    /** The parsed options, or the message and usage printed and the JVM ended: 0 for --help, 1 for a bad option. */
    static <T> T parseOrExit(String[] args, Function<String[], T> parse, String usage) {
        try {
            return parse.apply(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) System.err.println(e.getMessage());
            System.err.println(usage);
            System.exit(e.getMessage().isEmpty() ? 0 : 1);
            throw e; // not reached
        }
    }
}
