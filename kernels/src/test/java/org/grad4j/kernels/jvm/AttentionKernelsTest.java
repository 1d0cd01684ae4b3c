package org.grad4j.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.grad4j.kernels.Attention;
import org.grad4j.kernels.AttentionMask;
import org.grad4j.kernels.AttentionReference;
import org.grad4j.kernels.Buffer;
import org.grad4j.kernels.Layout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blocked attention kernels against the naive reference: sizes below, at and across the block
 * sizes (so partial tiles, several key blocks and the online rescaling all run), E ≠ Ev, causal,
 * BOOL and float masks broadcast over heads, rows with every key masked, and dropout.
 */
class AttentionKernelsTest {
    private final JvmBackend be = JvmBackend.INSTANCE;

    /** batch, L, S, E, Ev, causal, mask kind (0 none, 1 BOOL over L×S, 2 float per head row), dropout. */
    record Case(int batch, int L, int S, int E, int Ev, boolean causal, int mask, float dropout) {}

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, false, 0, 0f),
                new Case(2, 7, 9, 3, 5, false, 0, 0f),
                new Case(3, 70, 130, 16, 8, false, 0, 0f),
                new Case(2, 130, 70, 8, 16, true, 0, 0f),
                new Case(2, 70, 67, 16, 8, true, 0, 0f),
                new Case(2, 65, 65, 64, 64, true, 0, 0f),
                new Case(2, 33, 150, 12, 7, false, 1, 0f),
                new Case(3, 66, 67, 5, 6, false, 2, 0f),
                new Case(2, 20, 140, 6, 4, false, 0, 0.3f),
                new Case(2, 70, 70, 6, 4, true, 1, 0.5f),
                new Case(1, 5, 4, 3, 2, false, 0, 1f),
                new Case(2, 4, 0, 3, 2, false, 0, 0f));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void blockedKernelsMatchTheNaiveReference(Case t) {
        Random rnd = new Random(7);
        int B = t.batch, L = t.L, S = t.S;
        float[] q = random(rnd, B * L * t.E), k = random(rnd, B * S * t.E), v = random(rnd, B * S * t.Ev);
        float[] gout = random(rnd, B * L * t.Ev);
        Attention a =
                new Attention(B, L, S, t.E, t.Ev, 1f / (float) Math.sqrt(Math.max(1, t.E)), t.causal, t.dropout, 99L);
        AttentionMask mask = null;
        float[] mv = null;
        int[] offsets = null;
        int rs = 0, cs = 0;
        if (t.mask == 1) { // one L×S BOOL mask for every head; query row 3 sees no key
            mv = new float[L * S];
            for (int i = 0; i < mv.length; i++) mv[i] = rnd.nextFloat() < 0.7f && i / S != 3 ? 1f : 0f;
            mask = new AttentionMask(
                    JvmBackend.wrap(mv), new Layout(new int[] {B, L, S}, new int[] {0, S, 1}, 0), false);
        } else if (t.mask == 2) { // a float mask per head, the same for every query (key padding), some -inf
            mv = new float[B * S];
            for (int i = 0; i < mv.length; i++)
                mv[i] = rnd.nextFloat() < 0.2f ? Float.NEGATIVE_INFINITY : rnd.nextFloat();
            mask = new AttentionMask(
                    JvmBackend.wrap(mv), new Layout(new int[] {B, L, S}, new int[] {S, 0, 1}, 0), true);
        }
        if (mask != null) {
            offsets = mask.batchOffsets();
            rs = mask.rowStride();
            cs = mask.colStride();
        }
        AttentionReference.Result want = AttentionReference.run(a, q, k, v, mv, offsets, rs, cs, t.mask == 2, gout);
        Buffer out = be.allocate(B * L * t.Ev), lse = be.allocate(B * L);
        Buffer qb = JvmBackend.wrap(q), kb = JvmBackend.wrap(k), vb = JvmBackend.wrap(v);
        be.attention(a, qb, kb, vb, mask, out, lse);
        assertClose(want.out(), arr(out), "out " + t);
        assertClose(want.lse(), arr(lse), "lse " + t);
        Buffer gq = be.allocate(q.length), gk = be.allocate(k.length), gv = be.allocate(v.length);
        java.util.Arrays.fill(arr(gq), Float.NaN); // every output is written
        java.util.Arrays.fill(arr(gk), Float.NaN);
        java.util.Arrays.fill(arr(gv), Float.NaN);
        be.attentionBackward(a, qb, kb, vb, mask, out, lse, JvmBackend.wrap(gout), gq, gk, gv);
        assertClose(want.gq(), arr(gq), "grad q " + t);
        assertClose(want.gk(), arr(gk), "grad k " + t);
        assertClose(want.gv(), arr(gv), "grad v " + t);
    }

    private static float[] random(Random rnd, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) rnd.nextGaussian();
        return d;
    }

    private static float[] arr(Buffer b) {
        return ((HeapBuffer) b).array();
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.isInfinite(want[i])) {
                assertEquals(want[i], got[i], what + " [" + i + "]");
                continue;
            }
            assertTrue(
                    Math.abs(want[i] - got[i]) <= 2e-5f + 2e-4f * Math.abs(want[i]),
                    what + " [" + i + "]: want " + want[i] + ", got " + got[i]);
        }
    }
}
