package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Property tests of the papers' guarantees on this engine: a row that satisfies the A2Q condition
 * ‖q‖₁·2^(N−1_s) ≤ 2^(P−1)−1 or the A2Q+ condition max(Pos, Neg)·(2^N−1) ≤ 2^(P−1)−1 never
 * overflows a P-bit register, in any mode, folding or input; a row that violates its exact width does.
 */
class A2QGuaranteeTest {

    /** K non-negative magnitudes summing to exactly {@code total}, by random cut points. */
    private static long[] split(SplittableRandom rnd, int k, long total) {
        long[] cuts = new long[k + 1];
        for (int i = 1; i < k; i++) {
            cuts[i] = rnd.nextLong(total + 1);
        }
        cuts[k] = total;
        Arrays.sort(cuts, 1, k);
        long[] parts = new long[k];
        for (int i = 0; i < k; i++) {
            parts[i] = cuts[i + 1] - cuts[i];
        }
        return parts;
    }

    /** Row with ‖q‖₁ = l1 and random signs. */
    private static int[] a2qRow(SplittableRandom rnd, int k, long l1) {
        long[] mag = split(rnd, k, l1);
        int[] q = new int[k];
        for (int i = 0; i < k; i++) {
            q[i] = Math.toIntExact(rnd.nextBoolean() ? mag[i] : -mag[i]);
        }
        return q;
    }

    /** Row (K ≥ 2) with Pos = pos and Neg = neg on randomly chosen disjoint positions. */
    private static int[] a2qPlusRow(SplittableRandom rnd, int k, long pos, long neg) {
        int kPos = 1 + rnd.nextInt(k - 1);
        int kNeg = k - kPos;
        long[] p = split(rnd, kPos, pos);
        long[] n = split(rnd, kNeg, neg);
        int[] q = new int[k];
        for (int i = 0; i < kPos; i++) {
            q[i] = Math.toIntExact(p[i]);
        }
        for (int i = 0; i < kNeg; i++) {
            q[kPos + i] = Math.toIntExact(-n[i]);
        }
        return shuffle(rnd, q);
    }

    private static int[] shuffle(SplittableRandom rnd, int[] q) {
        for (int i = q.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = q[i];
            q[i] = q[j];
            q[j] = t;
        }
        return q;
    }

    private static long pos(int[] q) {
        long s = 0;
        for (int v : q) {
            s += Math.max(v, 0);
        }
        return s;
    }

    private static long neg(int[] q) {
        long s = 0;
        for (int v : q) {
            s += Math.max(-v, 0);
        }
        return s;
    }

    private static int[] randomInput(SplittableRandom rnd, int k, InputFormat f) {
        int[] x = new int[k];
        for (int i = 0; i < k; i++) {
            x[i] = (int) (f.min() + rnd.nextLong((long) f.max() - f.min() + 1));
        }
        return x;
    }

    /** Runs the row through every mode and legal SIMD on random and adversarial inputs; asserts no overflow. */
    private static int assertNeverOverflows(SplittableRandom rnd, int[] q, InputFormat f, int p, String what) {
        int k = q.length;
        int[][] batch = new int[10][];
        batch[0] = AdversarialInput.maximizing(q, f);
        batch[1] = AdversarialInput.minimizing(q, f);
        for (int b = 2; b < batch.length; b++) {
            batch[b] = randomInput(rnd, k, f);
        }
        long lo = -(1L << (p - 1));
        long hi = (1L << (p - 1)) - 1;
        int checks = 0;
        for (int simd : MacArray.divisors(k)) {
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                MatVecEngine e = new MatVecEngine(IntWeights.ofRow(q), f, p, mode, new Folding(1, simd));
                OverflowTally t = e.newTally();
                long[][] out = e.compute(batch, t);
                String ctx = what + " P=" + p + " " + f + " SIMD=" + simd + " " + mode + " q=" + Arrays.toString(q);
                assertEquals(0, t.totalExcursions(), ctx);
                assertEquals(0, t.totalMismatches(), ctx);
                for (int b = 0; b < batch.length; b++) {
                    // Independent long check of every partial sum in schedule order.
                    long s = 0;
                    for (int i = 0; i < k; i += simd) {
                        for (int j = i; j < i + simd; j++) {
                            s += (long) q[j] * batch[b][j];
                        }
                        assertTrue(s >= lo && s <= hi, ctx + " partial " + s);
                    }
                    assertEquals(s, out[b][0], ctx);
                }
                assertFalse(e.trace(0, batch[0]).overflowed(), ctx);
                assertFalse(e.trace(0, batch[1]).overflowed(), ctx);
                checks++;
            }
        }
        return checks;
    }

    @Test
    void rowsWithinTheA2QBudgetNeverOverflow() {
        SplittableRandom rnd = new SplittableRandom(2023);
        int checks = 0;
        for (int n = 0; n < 150; n++) {
            int p = 4 + rnd.nextInt(29);
            InputFormat f = new InputFormat(1 + rnd.nextInt(8), rnd.nextBoolean());
            // T = ⌊(2^(P−1)−1) / 2^(N−1_s)⌋, the integer l1 budget.
            long t = ((1L << (p - 1)) - 1) >> (f.bits() - (f.signed() ? 1 : 0));
            if (t < 1) {
                continue;
            }
            int k = new int[] {1, 4, 12, 30, 64}[rnd.nextInt(5)];
            // Mostly at the budget, sometimes below.
            long l1 = rnd.nextInt(4) == 0 ? rnd.nextLong(t + 1) : t;
            int[] q = a2qRow(rnd, k, l1);
            long norm = pos(q) + neg(q);
            assertTrue(norm << (f.bits() - (f.signed() ? 1 : 0)) <= (1L << (p - 1)) - 1, "generator broke A2Q");
            checks += assertNeverOverflows(rnd, q, f, p, "A2Q");
        }
        assertTrue(checks > 1000, "ran " + checks + " mode/folding checks");
    }

    @Test
    void rowsWithinTheA2QPlusBudgetNeverOverflow() {
        SplittableRandom rnd = new SplittableRandom(2024);
        int checks = 0;
        int beyondA2Q = 0;
        for (int n = 0; n < 150; n++) {
            int p = 4 + rnd.nextInt(29);
            InputFormat f = new InputFormat(1 + rnd.nextInt(8), rnd.nextBoolean());
            long range = (1L << f.bits()) - 1;
            // Budget per side: ⌊(2^(P−1)−1) / (2^N−1)⌋.
            long side = ((1L << (p - 1)) - 1) / range;
            if (side < 1) {
                continue;
            }
            int k = new int[] {2, 4, 12, 30, 64}[rnd.nextInt(5)];
            long ps = side;
            long ng = rnd.nextInt(3) == 0 ? rnd.nextLong(side + 1) : side;
            if (rnd.nextBoolean()) {
                long tmp = ps;
                ps = ng;
                ng = tmp;
            }
            int[] q = a2qPlusRow(rnd, k, ps, ng);
            assertEquals(ps, pos(q));
            assertEquals(ng, neg(q));
            assertTrue(Math.max(pos(q), neg(q)) * range <= (1L << (p - 1)) - 1, "generator broke A2Q+");
            if ((pos(q) + neg(q)) << (f.bits() - (f.signed() ? 1 : 0)) > (1L << (p - 1)) - 1) {
                beyondA2Q++;
            }
            checks += assertNeverOverflows(rnd, q, f, p, "A2Q+");
        }
        assertTrue(checks > 1000, "ran " + checks + " mode/folding checks");
        // The A2Q+ rows should often be ones plain A2Q would have rejected, or the test proves little.
        assertTrue(beyondA2Q > 30, "only " + beyondA2Q + " rows exceeded the A2Q budget");
    }

    @Test
    void unconstrainedRowOverflowsOnItsAdversarialInput() {
        SplittableRandom rnd = new SplittableRandom(77);
        int cases = 0;
        for (int n = 0; n < 200; n++) {
            int k = 1 + rnd.nextInt(100);
            int[] q = new int[k];
            for (int i = 0; i < k; i++) {
                q[i] = rnd.nextInt(255) - 127;
            }
            InputFormat f = new InputFormat(1 + rnd.nextInt(8), rnd.nextBoolean());
            WorstCase wc = WorstCase.of(q, f);
            int p = wc.exactBits() - 1 - rnd.nextInt(3);
            if (p < 2) {
                continue;
            }
            long regMax = (1L << (p - 1)) - 1;
            long regMin = -(1L << (p - 1));
            // The side that exceeds P: hi above the top, or lo below the bottom.
            boolean high = wc.hi() > regMax;
            int[] x = high ? AdversarialInput.maximizing(q, f) : AdversarialInput.minimizing(q, f);
            long exact = high ? wc.hi() : wc.lo();
            for (int simd : MacArray.divisors(k)) {
                Folding fold = new Folding(1, simd);
                MatVecEngine wrap = new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.WRAP, fold);
                OverflowTally t = wrap.newTally();
                long w = wrap.compute(new int[][] {x}, t)[0][0];
                assertNotEquals(exact, w, "WRAP must lose the value");
                assertEquals(Math.floorMod(exact - regMin, 1L << p) + regMin, w, "WRAP is exact mod 2^P");
                assertEquals(1, t.totalExcursions());
                long s = new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.SATURATE, fold).compute(x)[0];
                assertEquals(high ? regMax : regMin, s, "SATURATE pins to the rail");
                assertTrue(new MatVecEngine(IntWeights.ofRow(q), f, p, AccumulatorMode.EXACT, fold).trace(0, x).overflowed());
            }
            cases++;
        }
        assertTrue(cases > 150, "only " + cases + " cases");
    }
}
