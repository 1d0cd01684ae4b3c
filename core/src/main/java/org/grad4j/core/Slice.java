package org.grad4j.core;

/**
 * A Python slice {@code start:end:step} for {@link Tensor#get(Object...)} and
 * {@link Tensor#set(Tensor, Object...)}; a null bound means "from the start" / "to the end".
 */
public record Slice(Integer start, Integer end, int step) {
    public static Slice all() {
        return new Slice(null, null, 1);
    }

    public static Slice of(int start, int end) {
        return new Slice(start, end, 1);
    }

    public static Slice of(int start, int end, int step) {
        return new Slice(start, end, step);
    }

    public static Slice from(int start) {
        return new Slice(start, null, 1);
    }

    public static Slice to(int end) {
        return new Slice(null, end, 1);
    }

    @Override
    public String toString() {
        return (start == null ? "" : start) + ":" + (end == null ? "" : end) + (step == 1 ? "" : ":" + step);
    }
}
