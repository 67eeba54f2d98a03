package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bound and width tables of a2q-math.md §7.1–§7.3, plus exactness at the edges. */
class AccumulatorBoundTest {

    /** §7.1: N, signed, P, T_A2Q as numerator/denominator, ⌊T_A2Q⌋, T_+ as num/den, ⌊T_+⌋, ratio. */
    @ParameterizedTest
    @CsvSource({
        "4, false, 12, 2047, 16, 127, 4094, 15, 272, 2.1333",
        "4, true, 12, 2047, 8, 255, 4094, 15, 272, 1.0667",
        "8, true, 16, 32767, 128, 255, 65534, 255, 256, 1.0039",
        "8, false, 16, 32767, 256, 127, 65534, 255, 256, 2.0078",
        "4, false, 8, 127, 16, 7, 254, 15, 16, 2.1333",
        "4, false, 6, 31, 16, 1, 62, 15, 4, 2.1333",
        "8, false, 8, 127, 256, 0, 254, 255, 0, 2.0078",
        "8, true, 8, 127, 128, 0, 254, 255, 0, 1.0039",
        "3, false, 10, 511, 8, 63, 1022, 7, 146, 2.2857",
        "1, false, 4, 7, 2, 3, 14, 1, 14, 4.0",
        "8, false, 32, 2147483647, 256, 8388607, 4294967294, 255, 16843008, 2.0078",
    })
    void boundsMatchTable71(
            int n, boolean signed, int p, long aNum, long aDen, long aFloor, long pNum, long pDen, long pFloor,
            double ratio) {
        double tA2q = AccumulatorBound.tA2q(p, n, signed);
        double tPlus = AccumulatorBound.tPlus(p, n);
        assertEquals((double) aNum / aDen, tA2q, 1e-12 * tA2q);
        assertEquals((double) pNum / pDen, tPlus, 1e-12 * tPlus);
        assertEquals(aFloor, AccumulatorBound.floorA2q(p, n, signed));
        assertEquals(pFloor, AccumulatorBound.floorPlus(p, n));
        assertEquals(ratio, tPlus / tA2q, 5e-5);
    }

    @Test
    void plusBoundIgnoresInputSign() {
        assertEquals(AccumulatorBound.budget(A2qVariant.A2Q_PLUS, 12, 4, true),
                AccumulatorBound.budget(A2qVariant.A2Q_PLUS, 12, 4, false));
    }

    /** The exact checks sit exactly at the integer budgets of §7.1. */
    @Test
    void fitChecksAreExactAtTheBudget() {
        assertTrue(AccumulatorBound.fitsA2q(127, 12, 4, false));
        assertFalse(AccumulatorBound.fitsA2q(128, 12, 4, false));
        assertTrue(AccumulatorBound.fitsA2q(255, 12, 4, true));
        assertFalse(AccumulatorBound.fitsA2q(256, 12, 4, true));
        assertTrue(AccumulatorBound.fitsA2q(0, 8, 8, false)); // T < 1: only the zero vector fits
        assertFalse(AccumulatorBound.fitsA2q(1, 8, 8, false));
        // A2Q+: max(Pos, Neg) ≤ ⌊(2^(P−1)−1)/(2^N−1)⌋ = ⌊2047/15⌋ = 136
        assertTrue(AccumulatorBound.fitsA2qPlus(136, 136, 12, 4));
        assertFalse(AccumulatorBound.fitsA2qPlus(137, 0, 12, 4));
        assertEquals(136, AccumulatorBound.floorPlusOneSided(12, 4));
        // P = 64 does not overflow
        assertTrue(AccumulatorBound.fitsA2q(Long.MAX_VALUE >>> 8, 64, 8, false));
        assertFalse(AccumulatorBound.fitsA2q((Long.MAX_VALUE >>> 8) + 1, 64, 8, false));
        assertEquals(Long.MAX_VALUE, AccumulatorBound.floorPlus(64, 1));
    }

    /** §7.2: K, N, M, signed, P_dt. */
    @ParameterizedTest
    @CsvSource({"576, 8, 8, false, 26", "576, 4, 4, false, 18", "4608, 8, 8, true, 28", "64, 8, 8, false, 23"})
    void dataTypeWidthMatchesTable72(long k, int n, int m, boolean signed, int expected) {
        assertEquals(expected, AccumulatorBound.dataTypeWidth(k, n, m, signed));
    }

    /** §7.3: q, N, signed, ‖q‖₁, Pos, Neg, P_A2Q, P_+ naive, P_+safe, P_exact, hi, lo. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "3,-5,7,0,-2,1; 4; false; 18; 11; 7; 10; 9; 9; 9; 165; -105",
        "3,-5,7,0,-2,1; 4; true; 18; 11; 7; 9; 9; 9; 9; 133; -137",
        "3,-5,7,0,-2,1; 8; false; 18; 11; 7; 14; 13; 13; 13; 2805; -1785",
        "3,-5,4,0,-2; 4; false; 14; 7; 7; 9; 8; 8; 8; 105; -105",
        "3,-5,4,0,-2; 4; true; 14; 7; 7; 8; 8; 8; 8; 105; -105",
        "3,-5,4,0,-2; 8; false; 14; 7; 7; 13; 12; 12; 12; 1785; -1785",
        "1,-1; 4; false; 2; 1; 1; 7; 5; 5; 5; 15; -15",
        "7,-7,7,-7; 8; false; 28; 14; 14; 14; 13; 13; 13; 3570; -3570",
        "1; 4; true; 1; 1; 0; 5; 5; 5; 4; 7; -8",
        "0,0,0; 4; false; 0; 0; 0; 1; 1; 1; 1; 0; 0",
        "0,0,0; 8; true; 0; 0; 0; 1; 1; 1; 1; 0; 0",
        "0,0,0; 1; false; 0; 0; 0; 1; 1; 1; 1; 0; 0",
    })
    void widthsMatchTable73(
            String qText, int n, boolean signed, long l1, long pos, long neg, int pA2q, int pNaive, int pSafe,
            int pExact, long hi, long lo) {
        long[] q = Arrays.stream(qText.split(",")).mapToLong(Long::parseLong).toArray();
        checkWidths(q, n, signed, l1, pos, neg, pA2q, pNaive, pSafe, pExact, hi, lo);
    }

    /** §7.3: [127]×64 — the paper's A2Q+ formula says 17 bits, the true worst case needs 18. */
    @Test
    void naivePlusWidthIsWrongForOneSidedWeights() {
        long[] q = new long[64];
        Arrays.fill(q, 127);
        checkWidths(q, 4, false, 8128, 8128, 0, 18, 17, 18, 18, 121920, 0);
        checkWidths(q, 4, true, 8128, 8128, 0, 17, 17, 18, 17, 56896, -65024);
    }

    private static void checkWidths(
            long[] q, int n, boolean signed, long l1, long pos, long neg, int pA2q, int pNaive, int pSafe,
            int pExact, long hi, long lo) {
        long[] sides = AccumulatorBound.oneSidedSums(q);
        assertEquals(pos, sides[0]);
        assertEquals(neg, sides[1]);
        assertEquals(l1, sides[0] + sides[1]);
        assertEquals(pA2q, AccumulatorBound.a2qWidth(l1, n, signed));
        assertEquals(pNaive, AccumulatorBound.a2qPlusNaiveWidth(l1, n));
        assertEquals(pSafe, AccumulatorBound.a2qPlusSafeWidth(pos, neg, n));
        assertEquals(pExact, AccumulatorBound.exactWidth(q, n, signed));
        AccumulatorBound.WorstCase w = AccumulatorBound.worstCase(pos, neg, n, signed);
        assertEquals(hi, w.hi());
        assertEquals(lo, w.lo());
        AccumulatorWidths all = AccumulatorWidths.of(q, n, signed, 8);
        assertEquals(new AccumulatorWidths(all.dataType(), pA2q, pNaive, pSafe, pExact), all);
    }

    /**
     * The widths are minimal by an independent check and ordered exact ≤ safe, exact ≤ A2Q ≤ dt;
     * safe ≤ A2Q only for unsigned inputs (§7.3's signed [127]×64 row has A2Q 17 < safe 18).
     */
    @Test
    void widthsAreMinimalAndOrderedOnRandomVectors() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + rnd.nextInt(8);
            int m = 2 + rnd.nextInt(7);
            boolean signed = rnd.nextBoolean();
            int k = 1 + rnd.nextInt(40);
            long maxLevel = (1L << (m - 1)) - 1;
            long[] q = new long[k];
            for (int i = 0; i < k; i++) {
                q[i] = rnd.nextInt((int) (2 * maxLevel + 1)) - maxLevel;
            }
            long pos = 0;
            long neg = 0;
            for (long x : q) {
                if (x > 0) pos += x; else neg -= x;
            }
            long xMin = signed ? -(1L << (n - 1)) : 0;
            long xMax = signed ? (1L << (n - 1)) - 1 : (1L << n) - 1;
            long hi = xMax * pos - xMin * neg;
            long lo = xMin * pos - xMax * neg;
            int exact = AccumulatorBound.exactWidth(q, n, signed);
            // minimal: it holds [lo, hi] and one bit less does not
            assertTrue(hi <= (1L << (exact - 1)) - 1 && lo >= -(1L << (exact - 1)));
            if (exact > 1) {
                assertFalse(hi <= (1L << (exact - 2)) - 1 && lo >= -(1L << (exact - 2)));
            }
            int a2q = AccumulatorBound.a2qWidth(pos + neg, n, signed);
            long maxAbsX = 1L << (n - (signed ? 1 : 0));
            assertTrue((pos + neg) * maxAbsX <= (1L << (a2q - 1)) - 1);
            if (a2q > 1) {
                assertFalse((pos + neg) * maxAbsX <= (1L << (a2q - 2)) - 1);
            }
            int safe = AccumulatorBound.a2qPlusSafeWidth(pos, neg, n);
            int dt = AccumulatorBound.dataTypeWidth(k, n, m, signed);
            assertTrue(exact <= safe && exact <= a2q && a2q <= dt,
                    "exact " + exact + " safe " + safe + " a2q " + a2q + " dt " + dt);
            if (!signed) {
                assertTrue(safe <= a2q, "unsigned: safe " + safe + " a2q " + a2q);
            }
        }
    }

    @Test
    void impossibleArgumentsNameTheValidRange() {
        EngineException e = assertThrows(EngineException.class, () -> AccumulatorBound.tA2q(1, 4, false));
        assertTrue(e.getMessage().contains("2..64"), e.getMessage());
        e = assertThrows(EngineException.class, () -> AccumulatorBound.tPlus(65, 4));
        assertTrue(e.getMessage().contains("2..64"), e.getMessage());
        e = assertThrows(EngineException.class, () -> AccumulatorBound.tPlus(16, 0));
        assertTrue(e.getMessage().contains("1..16"), e.getMessage());
        e = assertThrows(EngineException.class, () -> AccumulatorBound.tPlus(16, 17));
        assertTrue(e.getMessage().contains("1..16"), e.getMessage());
        e = assertThrows(EngineException.class, () -> AccumulatorBound.dataTypeWidth(10, 4, 1, false));
        assertTrue(e.getMessage().contains("2..16"), e.getMessage());
        assertThrows(EngineException.class, () -> AccumulatorBound.a2qWidth(-1, 4, false));
        assertThrows(EngineException.class, () -> AccumulatorBound.a2qWidth(Long.MAX_VALUE, 16, false));
        assertThrows(EngineException.class, () -> AccumulatorBound.worstCase(Long.MAX_VALUE / 2, 0, 16, false));
    }
}
