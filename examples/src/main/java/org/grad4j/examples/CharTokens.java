package org.grad4j.examples;

import java.util.Arrays;
import java.util.TreeSet;
import org.grad4j.core.Generator;
import org.grad4j.core.Tensor;
import org.grad4j.training.data.Batch;

/**
 * A text as character ids: the vocabulary is the text's distinct characters in code-point order (as
 * nanoGPT's shakespeare_char), the first 90% of the ids train and the last 10% validate. Batches are
 * windows of {@code blockSize + 1} characters: the inputs, and the same shifted by one as targets.
 */
final class CharTokens {
    /** The vocabulary: id i is {@code chars.charAt(i)}. */
    final String chars;

    final int[] train, val;
    private final int[] ids = new int[Character.MAX_VALUE + 1];

    CharTokens(String text) {
        this(text, vocabulary(text));
    }

    /** With a given vocabulary (a checkpoint's): every character of {@code text} must be in it. */
    CharTokens(String text, String chars) {
        this.chars = chars;
        Arrays.fill(ids, -1);
        for (int i = 0; i < chars.length(); i++) ids[chars.charAt(i)] = i;
        int[] all = encode(text);
        int n = (int) (0.9 * all.length);
        train = Arrays.copyOfRange(all, 0, n);
        val = Arrays.copyOfRange(all, n, all.length);
    }

    /** The distinct characters of {@code text}, sorted. */
    static String vocabulary(String text) {
        TreeSet<Character> set = new TreeSet<>();
        for (int i = 0; i < text.length(); i++) set.add(text.charAt(i));
        StringBuilder sb = new StringBuilder(set.size());
        for (char c : set) sb.append(c);
        return sb.toString();
    }

    int vocabSize() {
        return chars.length();
    }

    int[] encode(String s) {
        int[] out = new int[s.length()];
        for (int i = 0; i < s.length(); i++) {
            int id = ids[s.charAt(i)];
            if (id < 0) {
                throw new IllegalArgumentException("CharTokens.encode: character '" + s.charAt(i) + "' (U+"
                        + String.format("%04X", (int) s.charAt(i)) + ") at offset " + i + " is not in the vocabulary");
            }
            out[i] = id;
        }
        return out;
    }

    String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length);
        for (int t : tokens) sb.append(chars.charAt(t));
        return sb.toString();
    }

    /** {@code batchSize} windows of {@code split} starting at offsets drawn uniformly from {@code gen}. */
    static Batch randomBatch(int[] split, int batchSize, int blockSize, Generator gen) {
        int[] starts = new int[batchSize];
        for (int b = 0; b < batchSize; b++) starts[b] = gen.nextInt(windows(split, blockSize));
        return batch(split, starts, blockSize);
    }

    /**
     * The {@code count} windows of {@code split} at evenly spaced offsets, first to last, in batches
     * of {@code batchSize}: the same windows at every evaluation (and in the PyTorch reference).
     */
    static Batch[] evenBatches(int[] split, int count, int batchSize, int blockSize) {
        int windows = windows(split, blockSize);
        int[] starts = new int[count];
        for (int i = 0; i < count; i++) starts[i] = count == 1 ? 0 : (int) ((long) i * (windows - 1) / (count - 1));
        Batch[] out = new Batch[(count + batchSize - 1) / batchSize];
        for (int b = 0; b < out.length; b++) {
            int from = b * batchSize, to = Math.min(count, from + batchSize);
            out[b] = batch(split, Arrays.copyOfRange(starts, from, to), blockSize);
        }
        return out;
    }

    /** How many windows of {@code blockSize + 1} characters {@code split} holds. */
    static int windows(int[] split, int blockSize) {
        int n = split.length - blockSize;
        if (n <= 0) {
            throw new IllegalArgumentException("CharTokens: a split of " + split.length
                    + " characters is too short for blocks of " + blockSize + " (and one target)");
        }
        return n;
    }

    /** Inputs {@code split[s .. s+T)} and targets {@code split[s+1 .. s+T]}, each [B, T] INT64. */
    static Batch batch(int[] split, int[] starts, int blockSize) {
        int[] x = new int[starts.length * blockSize], y = new int[x.length];
        for (int b = 0; b < starts.length; b++) {
            System.arraycopy(split, starts[b], x, b * blockSize, blockSize);
            System.arraycopy(split, starts[b] + 1, y, b * blockSize, blockSize);
        }
        return Batch.of(
                Tensor.indices(x).view(starts.length, blockSize),
                Tensor.indices(y).view(starts.length, blockSize));
    }
}
