package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AdversarialInputTest {

    private static long dot(int[] q, int[] x) {
        long s = 0;
        for (int i = 0; i < q.length; i++) {
            s += (long) q[i] * x[i];
        }
        return s;
    }

    @Test
    void choosesExtremesBySignOfWeight() {
        int[] q = {3, -2, 0, 5, -1};
        assertArrayEquals(new int[] {15, 0, 0, 15, 0}, AdversarialInput.maximizing(q, InputFormat.unsigned(4)));
        assertArrayEquals(new int[] {0, 15, 0, 0, 15}, AdversarialInput.minimizing(q, InputFormat.unsigned(4)));
        assertArrayEquals(new int[] {7, -8, 0, 7, -8}, AdversarialInput.maximizing(q, InputFormat.signed(4)));
        assertArrayEquals(new int[] {-8, 7, 0, -8, 7}, AdversarialInput.minimizing(q, InputFormat.signed(4)));
        // hi = 15·8 − 0·3 = 120; lo = 0·8 − 15·3 = −45
        assertEquals(120, dot(q, AdversarialInput.maximizing(q, InputFormat.unsigned(4))));
        assertEquals(-45, dot(q, AdversarialInput.minimizing(q, InputFormat.unsigned(4))));
        // signed: hi = 7·8 − (−8)·3 = 80; lo = −8·8 − 7·3 = −85
        assertEquals(80, dot(q, AdversarialInput.maximizing(q, InputFormat.signed(4))));
        assertEquals(-85, dot(q, AdversarialInput.minimizing(q, InputFormat.signed(4))));
    }

    @Test
    void reachesExactlyTheSection25HiAndLo() {
        SplittableRandom rnd = new SplittableRandom(31);
        for (int n = 0; n < 2000; n++) {
            int k = 1 + rnd.nextInt(200);
            int m = 2 + rnd.nextInt(15);
            int wmax = (1 << (m - 1)) - 1;
            int[] q = new int[k];
            for (int i = 0; i < k; i++) {
                q[i] = rnd.nextInt(2 * wmax + 1) - wmax;
            }
            InputFormat f = new InputFormat(1 + rnd.nextInt(16), rnd.nextBoolean());
            WorstCase wc = WorstCase.of(q, f);
            long[] ref = Reference.hiLo(q, f);
            assertEquals(ref[0], wc.hi());
            assertEquals(ref[1], wc.lo());
            assertEquals(wc.hi(), dot(q, AdversarialInput.maximizing(q, f)));
            assertEquals(wc.lo(), dot(q, AdversarialInput.minimizing(q, f)));
            assertEquals(Reference.exactBits(wc.hi(), wc.lo()), wc.exactBits());
        }
    }

    @Test
    void bruteForceConfirmsNoInputExceedsHiOrLo() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n = 0; n < 50; n++) {
            int[] q = {rnd.nextInt(15) - 7, rnd.nextInt(15) - 7, rnd.nextInt(15) - 7};
            InputFormat f = new InputFormat(1 + rnd.nextInt(3), rnd.nextBoolean());
            long best = Long.MIN_VALUE;
            long worst = Long.MAX_VALUE;
            for (int a = f.min(); a <= f.max(); a++) {
                for (int b = f.min(); b <= f.max(); b++) {
                    for (int c = f.min(); c <= f.max(); c++) {
                        long y = dot(q, new int[] {a, b, c});
                        best = Math.max(best, y);
                        worst = Math.min(worst, y);
                    }
                }
            }
            WorstCase wc = WorstCase.of(q, f);
            assertEquals(best, wc.hi(), "q=" + java.util.Arrays.toString(q) + " " + f);
            assertEquals(worst, wc.lo());
        }
    }

    @Test
    void documentedExamples() {
        // §2.5: q = [1], signed 4-bit inputs: hi = 7, lo = −8, P_exact = 4 (the closed forms say 5).
        WorstCase one = WorstCase.of(new int[] {1}, InputFormat.signed(4));
        assertEquals(7, one.hi());
        assertEquals(-8, one.lo());
        assertEquals(4, one.exactBits());
        assertTrue(one.fitsIn(4));
        assertFalse(one.fitsIn(3));
        // §2.3: q = [127]·64, unsigned 4-bit: hi = 15·127·64 = 121920 needs 18 bits (the naive A2Q+ formula says 17).
        int[] q = new int[64];
        java.util.Arrays.fill(q, 127);
        WorstCase big = WorstCase.of(q, InputFormat.unsigned(4));
        assertEquals(121920, big.hi());
        assertEquals(0, big.lo());
        assertEquals(18, big.exactBits());
        assertEquals(8128, big.l1Norm());
    }

    @Test
    void adversarialTraceOverflowsARegisterOneBitTooNarrow() {
        int[] q = {5, -3, 7, 2, -6, 1};
        InputFormat f = InputFormat.unsigned(3);
        WorstCase wc = WorstCase.of(q, f);
        // hi = 7·15 = 105 (8 bits), lo = −7·9 = −63 (7 bits)
        assertEquals(105, wc.hi());
        assertEquals(-63, wc.lo());
        int p = wc.exactBits() - 1;
        assertEquals(7, p);
        MacTrace wrap = AdversarialInput.maximizingTrace(new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.WRAP), 0);
        assertEquals(105, wrap.exactResult());
        assertEquals(105 - 128, wrap.result());
        assertTrue(wrap.overflowed());
        // Partial sums 35, 35, 84, 98, 98, 105: the first to pass 63 is step 2.
        assertEquals(2, wrap.firstOverflowStep());
        MacTrace sat = AdversarialInput.maximizingTrace(new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.SATURATE), 0);
        assertEquals(63, sat.result());
        // The minimising input reaches −63, which a 7-bit register holds.
        MacTrace low = AdversarialInput.minimizingTrace(new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.WRAP), 0);
        assertEquals(-63, low.result());
        assertFalse(low.overflowed());
    }
}
