package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.grad4j.core.DType;
import org.grad4j.core.Generator;
import org.grad4j.training.data.Batch;
import org.grad4j.training.data.DataFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where CharGpt's text comes from (Debian's KJV, a given file, the embedded Genesis) and how it becomes batches. */
class CharGptDataTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aMissingFileFallsBackToTheEmbeddedGenesisAndSaysHowToGetTheWholeBible() {
        Path missing = dir.resolve("missing.txt");
        CharGptData.Corpus c = CharGptData.load(missing, true, out);
        assertTrue(c.embedded());
        assertEquals(CharGptData.sample(), c.text());
        assertTrue(
                printed()
                        .contains(
                                missing + " is missing: training on the Book of Genesis embedded in the examples;"
                                        + " for the whole Bible: sudo apt-get install bible-kjv-text bible-kjv, or --data FILE"),
                printed());
        assertFalse(printed().contains("installing"), "only Debian's own file is installed: " + printed());
    }

    @Test
    void withoutTheKjvReaderAndWithoutInstallingTheEmbeddedGenesisIsUsed() {
        Path noReader = dir.resolve("bible");
        CharGptData.Corpus c = CharGptData.load(CharGptData.KJV_DATA, noReader, false, out);
        assertTrue(c.embedded());
        assertEquals("the embedded Book of Genesis (KJV)", c.source());
        assertTrue(
                printed()
                        .startsWith("The King James Version is not installed (/usr/lib/bible.data, " + noReader
                                + "): training on the Book of Genesis"),
                printed());
        assertFalse(printed().contains("installing"), printed());
    }

    @Test
    void aGivenTextFileIsTrainedOnAsItIs() throws IOException {
        Path f = Files.writeString(dir.resolve("t.txt"), "To be, or not to be\n");
        CharGptData.Corpus c = CharGptData.load(f, true, out);
        assertFalse(c.embedded());
        assertEquals("To be, or not to be\n", c.text());
        assertEquals(f.toString(), c.source());
        assertEquals("", printed());
    }

    @Test
    void theEmbeddedSampleIsTheBookOfGenesis() {
        String g = CharGptData.sample();
        String[] verses = g.split("\n");
        assertEquals(1533, verses.length);
        assertEquals("In the beginning God created the heaven and the earth.", verses[0]);
        assertEquals(
                "So Joseph died, being an hundred and ten years old: and they embalmed him, and he was put in a"
                        + " coffin in Egypt.",
                verses[1532]);
        // plain English prose: no verse references left, only printable ASCII and newlines
        for (String v : verses) assertFalse(v.matches("^[0-9A-Za-z]+[0-9]+:[0-9]+ .*"), v);
        assertTrue(g.chars().allMatch(ch -> ch == '\n' || (ch >= ' ' && ch < 127)));
        assertTrue(g.length() > 190_000 && g.length() < 200_000, "length " + g.length());
    }

    @Test
    void theInstalledKjvIsReadVerseByVerse() {
        assumeTrue(
                Files.exists(CharGptData.KJV_DATA) && Files.isExecutable(CharGptData.KJV_READER),
                "Debian's bible-kjv-text and bible-kjv are not installed here");
        CharGptData.Corpus c = CharGptData.load(CharGptData.KJV_DATA, false, out);
        assertFalse(c.embedded());
        String[] verses = c.text().split("\n");
        assertEquals(31102, verses.length);
        assertTrue(c.text().startsWith(CharGptData.sample()), "Genesis comes first, as embedded");
        assertEquals("The grace of our Lord Jesus Christ be with you all. Amen.", verses[31101]);
    }

    @Test
    void aReaderThatPrintsNoVersesIsAnErrorNamingTheFile() {
        DataFileException e = assertThrows(
                DataFileException.class, () -> CharGptData.readKjv(CharGptData.KJV_DATA, Path.of("/bin/true")));
        assertTrue(
                e.getMessage().startsWith("/usr/lib/bible.data: /bin/true -f -p /usr/lib -d bible.data"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("exited with 0 and printed no verses"), e.getMessage());
    }

    @Test
    void theVocabularyIsTheTextsCharactersSortedAndTheSplitIsNinetyTen() {
        String text = "abcabd\nba".repeat(10); // 90 characters
        CharTokens t = new CharTokens(text);
        assertEquals("\nabcd", t.chars);
        assertEquals(81, t.train.length);
        assertEquals(9, t.val.length);
        assertEquals(text, t.decode(t.encode(text)));
        assertArrayEquals(new int[] {1, 2, 3, 1, 2, 4, 0}, t.encode("abcabd\n"));
        // the split is the text's first 90% and last 10%, in order
        assertEquals(text.substring(0, 81), t.decode(t.train));
        assertEquals(text.substring(81), t.decode(t.val));
    }

    @Test
    void aCharacterOutsideTheVocabularyIsNamedWithItsOffset() {
        CharTokens t = new CharTokens("abc");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode("abz"));
        assertEquals("CharTokens.encode: character 'z' (U+007A) at offset 2 is not in the vocabulary", e.getMessage());
        assertEquals("abc", t.chars, "the vocabulary is unchanged");
    }

    @Test
    void batchTargetsAreTheInputsShiftedByOne() {
        CharTokens t = new CharTokens(CharGptData.sample());
        Batch b = CharTokens.randomBatch(t.train, 4, 16, new Generator(3));
        assertArrayEquals(new int[] {4, 16}, b.inputs().shape());
        assertEquals(DType.INT64, b.inputs().dtype());
        float[] x = b.inputs().toFloatArray(), y = b.targets().toFloatArray();
        for (int r = 0; r < 4; r++) for (int i = 0; i < 15; i++) assertEquals(x[r * 16 + i + 1], y[r * 16 + i]);
        // the same seed gives the same windows
        assertArrayEquals(
                x,
                CharTokens.randomBatch(t.train, 4, 16, new Generator(3))
                        .inputs()
                        .toFloatArray());
    }

    @Test
    void evaluationWindowsSpanTheSplitFromFirstToLast() {
        int[] split = new int[100];
        for (int i = 0; i < split.length; i++) split[i] = i;
        Batch[] b = CharTokens.evenBatches(split, 5, 2, 10);
        assertEquals(3, b.length);
        assertEquals(1, b[2].size());
        assertEquals(0f, b[0].inputs().toFloatArray()[0]);
        assertEquals(89f, b[2].inputs().toFloatArray()[0], "the last window ends at the split's last character");
        assertEquals(99f, b[2].targets().toFloatArray()[9]);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CharTokens.evenBatches(split, 5, 2, 100));
        assertEquals(
                "CharTokens: a split of 100 characters is too short for blocks of 100 (and one target)",
                e.getMessage());
    }
}
