package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class MatVecEngineTest {

    private static int[] randomVector(SplittableRandom rnd, int k, int lo, int hi) {
        int[] v = new int[k];
        for (int i = 0; i < k; i++) {
            v[i] = (int) (lo + rnd.nextLong((long) hi - lo + 1));
        }
        return v;
    }

    /** The batch [n][K] in the columns layout [K][n] of {@link MatVecEngine#computeColumns}. */
    static int[][] columnsOf(int[][] batch) {
        int[][] x = new int[batch[0].length][batch.length];
        for (int j = 0; j < batch.length; j++) {
            for (int i = 0; i < batch[j].length; i++) {
                x[i][j] = batch[j][i];
            }
        }
        return x;
    }

    /**
     * Runs engine and reference on one configuration; checks the outputs of both loop orders (one
     * vector at a time, and all vectors as columns, with and without statistics) and every tally field.
     */
    private static void checkAgainstReference(IntWeights w, InputFormat f, int p, AccumulatorMode mode, int simd,
                                              int[][] batch) {
        MatVecEngine e = new MatVecEngine(w, f, p, mode, new Folding(1, simd));
        OverflowTally tally = e.newTally();
        long[][] withStats = e.compute(batch, tally);
        long[][] fast = e.compute(batch, null);
        OverflowTally columnTally = e.newTally();
        long[][] colStats = new long[w.outputs()][batch.length];
        long[][] colFast = new long[w.outputs()][batch.length];
        e.computeColumns(columnsOf(batch), batch.length, colStats, columnTally);
        e.computeColumns(columnsOf(batch), batch.length, colFast, null);
        String where = "P=" + p + " " + mode + " SIMD=" + simd + " " + f;
        assertEquals(tally.channels(), columnTally.channels(), where + " columns tally");
        for (int c = 0; c < w.outputs(); c++) {
            for (int b = 0; b < batch.length; b++) {
                assertEquals(withStats[b][c], colStats[c][b], where + " columns+stats c=" + c + " b=" + b);
                assertEquals(withStats[b][c], colFast[c][b], where + " columns c=" + c + " b=" + b);
            }
        }
        for (int c = 0; c < w.outputs(); c++) {
            long mism = 0;
            long exc = 0;
            long mn = 0;
            long mx = 0;
            for (int b = 0; b < batch.length; b++) {
                long[] r = Reference.run(w.row(c), batch[b], p, mode, simd);
                assertEquals(r[0], withStats[b][c], where + " c=" + c + " b=" + b);
                assertEquals(r[0], fast[b][c], where + " fast c=" + c + " b=" + b);
                mism += r[0] != r[1] ? 1 : 0;
                exc += (!Reference.inRange(r[2], p) || !Reference.inRange(r[3], p)) ? 1 : 0;
                mn = Math.min(mn, r[2]);
                mx = Math.max(mx, r[3]);
            }
            ChannelOverflow s = tally.channel(c);
            assertEquals(batch.length, s.dotProducts(), where);
            assertEquals(mism, s.resultMismatches(), where + " c=" + c);
            assertEquals(exc, s.rangeExcursions(), where + " c=" + c);
            assertEquals(mn, s.minPartialSum(), where);
            assertEquals(mx, s.maxPartialSum(), where);
            assertEquals(Math.max(mx, -mn), s.maxAbsPartialSum(), where);
            assertEquals(Math.max(PBitArithmetic.bitsNeeded(mn), PBitArithmetic.bitsNeeded(mx)), s.bitsNeeded(), where);
        }
    }

    @Test
    void everyModeAndFoldingMatchesTheReferenceOnRandomLayers() {
        SplittableRandom rnd = new SplittableRandom(20240601L);
        int configs = 0;
        for (int layer = 0; layer < 60; layer++) {
            int[] ks = {1, 2, 6, 12, 25, 30, 48, 150};
            int k = ks[rnd.nextInt(ks.length)];
            int cout = 1 + rnd.nextInt(6);
            int m = 2 + rnd.nextInt(7);
            int wmax = (1 << (m - 1)) - 1;
            int[][] q = new int[cout][];
            for (int c = 0; c < cout; c++) {
                q[c] = randomVector(rnd, k, -wmax, wmax);
            }
            IntWeights w = new IntWeights(q);
            InputFormat f = new InputFormat(1 + rnd.nextInt(8), rnd.nextBoolean());
            int[][] batch = new int[12][];
            for (int b = 0; b < batch.length; b++) {
                batch[b] = randomVector(rnd, k, f.min(), f.max());
            }
            // Add the adversarial inputs of channel 0 so overflow is actually provoked.
            batch[0] = AdversarialInput.maximizing(q[0], f);
            batch[1] = AdversarialInput.minimizing(q[0], f);
            int p = 2 + rnd.nextInt(31);
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                for (int simd : MacArray.divisors(k)) {
                    checkAgainstReference(w, f, p, mode, simd, batch);
                    configs++;
                }
            }
        }
        assertTrue(configs > 300, "covered " + configs + " configurations");
    }

    @Test
    void longPathMatchesReferenceWhenSumsExceedInt() {
        SplittableRandom rnd = new SplittableRandom(99);
        int k = 64;
        int[][] q = new int[3][];
        for (int c = 0; c < 3; c++) {
            q[c] = randomVector(rnd, k, -(1 << 15), (1 << 15) - 1);
        }
        InputFormat f = InputFormat.signed(16);
        IntWeights w = new IntWeights(q);
        assertTrue(w.worstCase(0, f).exactBits() > 32, "this test needs the long path");
        int[][] batch = new int[8][];
        for (int b = 0; b < batch.length; b++) {
            batch[b] = randomVector(rnd, k, f.min(), f.max());
        }
        batch[0] = AdversarialInput.maximizing(q[1], f);
        for (int p : new int[] {16, 24, 32, 40, 64}) {
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                for (int simd : new int[] {1, 4, 64}) {
                    checkAgainstReference(w, f, p, mode, simd, batch);
                }
            }
        }
    }

    @Test
    void saturateAtTheIntPathBoundary() {
        // Rows whose worst case needs 30, 31, 32 and 33 bits straddle the int/long saturate loops.
        InputFormat s16 = InputFormat.signed(16);
        for (int bits = 30; bits <= 33; bits++) {
            // hi = 32767·(2w + 2) + 32768·w ≈ 3·2^15·w = 3·2^(bits−3), which needs exactly `bits` bits.
            int w = 1 << (bits - 18);
            int[][] q = {{w, w - 1, -w, 3}};
            IntWeights iw = new IntWeights(q);
            assertEquals(bits, iw.worstCase(0, s16).exactBits());
            int[][] batch = {AdversarialInput.maximizing(q[0], s16), AdversarialInput.minimizing(q[0], s16),
                {-32768, -32768, 32767, 5}, {32767, 32767, 0, 0}};
            for (int p : new int[] {8, 29, 30, 31, 32}) {
                checkAgainstReference(iw, s16, p, AccumulatorMode.SATURATE, 1, batch);
                checkAgainstReference(iw, s16, p, AccumulatorMode.WRAP, 1, batch);
            }
        }
    }

    @Test
    void mostNegativeValueIsHeldButItsNegationOverflows() {
        InputFormat s4 = InputFormat.signed(4);
        // 1·(−8) = −8 is exactly the 4-bit minimum: no overflow in any mode.
        for (AccumulatorMode mode : AccumulatorMode.values()) {
            MatVecEngine e = new MatVecEngine(IntWeights.ofRow(1), s4, 4, mode);
            OverflowTally t = e.newTally();
            assertArrayEquals(new long[] {-8}, e.compute(new int[][] {{-8}}, t)[0]);
            assertEquals(0, t.totalExcursions());
            assertEquals(4, t.bitsNeeded());
        }
        // (−1)·(−8) = +8 does not fit 4 bits: wrap gives −8, saturate gives 7.
        IntWeights neg = IntWeights.ofRow(-1);
        assertEquals(-8, new MatVecEngine(neg, s4, 4, AccumulatorMode.WRAP).compute(new int[] {-8})[0]);
        assertEquals(7, new MatVecEngine(neg, s4, 4, AccumulatorMode.SATURATE).compute(new int[] {-8})[0]);
        assertEquals(8, new MatVecEngine(neg, s4, 4, AccumulatorMode.EXACT).compute(new int[] {-8})[0]);
        // A 32-bit register reaching exactly Integer.MIN_VALUE and one beyond.
        InputFormat s32 = InputFormat.signed(32);
        MatVecEngine e32 = new MatVecEngine(IntWeights.ofRow(1, 1), s32, 32, AccumulatorMode.WRAP);
        assertEquals(Integer.MIN_VALUE, e32.compute(new int[] {Integer.MIN_VALUE, 0})[0]);
        assertEquals(Integer.MAX_VALUE, e32.compute(new int[] {Integer.MIN_VALUE, -1})[0]);
        MatVecEngine s32sat = new MatVecEngine(IntWeights.ofRow(1, 1), s32, 32, AccumulatorMode.SATURATE);
        assertEquals(Integer.MIN_VALUE, s32sat.compute(new int[] {Integer.MIN_VALUE, -1})[0]);
    }

    @Test
    void saturateDependsOnScheduleWhileWrapDoesNot() {
        // Products +7, +7, −7, −7 in a 4-bit register: sequentially the first two saturate at 7
        // (7 then 14→7), then 0, −7: final −7. With SIMD=2 the lane sums are 14 (clamped to 7) and
        // −14: 7 − 14 = −7. With SIMD=4 the single lane sum is 0. Wrap gives 0 every time.
        IntWeights w = IntWeights.ofRow(7, 7, -7, -7);
        InputFormat u1 = InputFormat.unsigned(1);
        int[] x = {1, 1, 1, 1};
        assertEquals(-7, new MatVecEngine(w, u1, 4, AccumulatorMode.SATURATE, new Folding(1, 1)).compute(x)[0]);
        assertEquals(-7, new MatVecEngine(w, u1, 4, AccumulatorMode.SATURATE, new Folding(1, 2)).compute(x)[0]);
        assertEquals(0, new MatVecEngine(w, u1, 4, AccumulatorMode.SATURATE, new Folding(1, 4)).compute(x)[0]);
        for (int simd : new int[] {1, 2, 4}) {
            MatVecEngine e = new MatVecEngine(w, u1, 4, AccumulatorMode.WRAP, new Folding(1, simd));
            OverflowTally t = e.newTally();
            assertEquals(0, e.compute(new int[][] {x}, t)[0][0]);
            assertEquals(0, t.totalMismatches());
            // A partial sum of 14 (or 7+7 lane sum) left the range unless the whole sum is one update.
            assertEquals(simd == 4 ? 0 : 1, t.totalExcursions(), "SIMD=" + simd);
        }
    }

    @Test
    void tallyAccumulatesAcrossCallsAndMerges() {
        IntWeights w = new IntWeights(new int[][] {{3, 3}, {-3, 1}});
        InputFormat u2 = InputFormat.unsigned(2);
        MatVecEngine e = new MatVecEngine(w, u2, 4, AccumulatorMode.WRAP);
        OverflowTally a = e.newTally();
        // c0: partials 9, 18 → register 18 − 16 = 2 (wrong); c1: partials −9, −6 → right, but −9 left the range.
        assertArrayEquals(new long[] {2, -6}, e.compute(new int[][] {{3, 3}}, a)[0]);
        // c0: 3; c1: −3, nothing leaves [−8, 7].
        assertArrayEquals(new long[] {3, -3}, e.compute(new int[][] {{1, 0}}, a)[0]);
        OverflowTally b = e.newTally();
        // c0: partials 0, 9 → register −7 (wrong); c1: 0, 3.
        assertArrayEquals(new long[] {-7, 3}, e.compute(new int[][] {{0, 3}}, b)[0]);
        a.merge(b);
        List<ChannelOverflow> ch = a.channels();
        assertEquals(new ChannelOverflow(0, 4, 3, 2, 2, 0, 18, 18, 6), ch.get(0));
        assertEquals(new ChannelOverflow(1, 4, 3, 0, 1, -9, 3, 9, 5), ch.get(1));
        assertEquals(2, a.totalMismatches());
        assertEquals(3, a.totalExcursions());
        assertEquals(6, a.bitsNeeded());
        assertThrows(EngineException.class, () -> a.merge(new OverflowTally(2, 5)));
    }

    /**
     * Every P from 2 to 32 (and 64) on one layer: rows of 1..31 bits of worst case, so each P has
     * rows that fit and rows that overflow, inputs at the most negative value and at the adversarial
     * corners, more vectors than one SIMD register holds so the vectorised loops and their tails
     * both run, and rows sparse enough that the zero-weight skip matters.
     */
    @Test
    void columnsMatchTheReferenceForEveryWidth() {
        SplittableRandom rnd = new SplittableRandom(77);
        InputFormat s8 = InputFormat.signed(8);
        int k = 24;
        int[][] q = new int[6][k];
        for (int c = 0; c < q.length; c++) {
            int wmax = new int[] {1, 3, 15, 127, 2047, 32767}[c];
            for (int i = 0; i < k; i++) {
                q[c][i] = rnd.nextInt(3) == 0 ? 0 : (int) (rnd.nextLong(2L * wmax + 1) - wmax);
            }
        }
        q[5][0] = -32768;   // the most negative 16-bit weight times the most negative input
        IntWeights w = new IntWeights(q);
        int[][] batch = new int[37][];
        for (int b = 0; b < batch.length; b++) {
            batch[b] = randomVector(rnd, k, s8.min(), s8.max());
        }
        java.util.Arrays.fill(batch[2], s8.min());
        for (int c = 0; c < 6; c++) {
            batch[3 + 2 * c] = AdversarialInput.maximizing(q[c], s8);
            batch[4 + 2 * c] = AdversarialInput.minimizing(q[c], s8);
        }
        int[] widths = new int[32];
        for (int p = 2; p <= 32; p++) {
            widths[p - 2] = p;
        }
        widths[31] = 64;
        for (int p : widths) {
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                for (int simd : new int[] {1, 3, 24}) {
                    checkAgainstReference(w, s8, p, mode, simd, batch);
                }
            }
        }
    }

    @Test
    void inputsAreValidatedWithActionableMessages() {
        MatVecEngine e = new MatVecEngine(IntWeights.ofRow(1, 2, 3), InputFormat.unsigned(4), 8, AccumulatorMode.WRAP);
        EngineException range = assertThrows(EngineException.class, () -> e.compute(new int[][] {{0, 1, 2}, {0, 16, 0}}, null));
        assertTrue(range.getMessage().contains("input vector 1") && range.getMessage().contains("element 1")
                && range.getMessage().contains("[0, 15]"), range.getMessage());
        EngineException neg = assertThrows(EngineException.class, () -> e.compute(new int[] {0, -1, 0}));
        assertTrue(neg.getMessage().contains("UINT4"), neg.getMessage());
        EngineException len = assertThrows(EngineException.class, () -> e.compute(new int[] {0, 1}));
        assertTrue(len.getMessage().contains("3"), len.getMessage());
        EngineException col = assertThrows(EngineException.class, () -> e.computeColumns(
                new int[][] {{0, 1}, {2, 3}, {4, 17}}, 2, new long[1][2], null));
        assertTrue(col.getMessage().contains("input vector 1") && col.getMessage().contains("element 2")
                && col.getMessage().contains("[0, 15]"), col.getMessage());
        assertThrows(EngineException.class, () -> e.computeColumns(new int[][] {{0, 1}, {2, 3}}, 2, new long[1][2], null));
        assertThrows(EngineException.class, () -> e.computeColumns(new int[][] {{0}, {2}, {3}}, 2, new long[1][2], null));
        assertThrows(EngineException.class, () -> e.compute(new int[][] {{1, 1, 1}}, new OverflowTally(1, 9)));
        EngineException fold = assertThrows(EngineException.class, () -> new MatVecEngine(IntWeights.ofRow(1, 2, 3),
                InputFormat.unsigned(4), 8, AccumulatorMode.WRAP, new Folding(1, 2)));
        assertTrue(fold.getMessage().contains("legal SIMD: 1, 3"), fold.getMessage());
        assertThrows(EngineException.class, () -> new IntWeights(new int[][] {{1, 2}, {3}}));
        assertThrows(EngineException.class, () -> new InputFormat(32, false));
        assertThrows(EngineException.class, () -> new InputFormat(0, true));
    }

    @Test
    void dotProductsBeyond63BitsAreRejected() {
        int[] q = new int[4];
        java.util.Arrays.fill(q, Integer.MIN_VALUE);
        // Each product can be 2^62; four of them need 65 bits.
        EngineException ex = assertThrows(EngineException.class,
                () -> new MatVecEngine(IntWeights.ofRow(q), InputFormat.signed(32), 32, AccumulatorMode.EXACT));
        assertTrue(ex.getMessage().contains("narrower inputs"), ex.getMessage());
        // Two of them need exactly 64 bits, still beyond the 63-bit limit.
        assertThrows(EngineException.class, () -> new MatVecEngine(IntWeights.ofRow(Integer.MIN_VALUE, Integer.MIN_VALUE),
                InputFormat.signed(32), 64, AccumulatorMode.EXACT));
        // (2^31−1)·x over signed 32-bit x spans [−2^62 + 2^31, 2^62 − 2^32 + 1]: 63 bits, accepted.
        MatVecEngine ok = new MatVecEngine(IntWeights.ofRow(Integer.MAX_VALUE), InputFormat.signed(32), 64,
                AccumulatorMode.EXACT);
        assertEquals((long) Integer.MAX_VALUE * Integer.MIN_VALUE, ok.compute(new int[] {Integer.MIN_VALUE})[0]);
    }

    @Test
    void p64IsExactInEveryMode() {
        SplittableRandom rnd = new SplittableRandom(5);
        int[][] q = {randomVector(rnd, 16, -30000, 30000)};
        InputFormat f = InputFormat.signed(20);
        int[] x = AdversarialInput.maximizing(q[0], f);
        long exact = new MatVecEngine(new IntWeights(q), f, 64, AccumulatorMode.EXACT).compute(x)[0];
        assertEquals(Reference.hiLo(q[0], f)[0], exact);
        for (AccumulatorMode mode : AccumulatorMode.values()) {
            MatVecEngine e = new MatVecEngine(new IntWeights(q), f, 64, mode);
            assertTrue(e.channelSafe(0));
            assertEquals(exact, e.compute(x)[0]);
        }
        assertFalse(new MatVecEngine(new IntWeights(q), f, 32, AccumulatorMode.WRAP).channelSafe(0));
    }
}
