package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.a2q.app.vm.AccumulatorBounds.Fraction;
import org.a2q.app.vm.AccumulatorBounds.WorstCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The worked examples of a2q-math.md §7.1–7.3, which were checked independently. */
class AccumulatorBoundsTest {

    @ParameterizedTest(name = "N={0} signed={1} P={2}")
    @CsvSource({
            // N, signed, P, T_A2Q num, den, floor, T+ value, floor(T+), ratio
            "4, false, 12, 2047, 16, 127, 272.93333333, 272, 2.1333",
            "4, true, 12, 2047, 8, 255, 272.93333333, 272, 1.0667",
            "8, true, 16, 32767, 128, 255, 256.99607843, 256, 1.0039",
            "8, false, 16, 32767, 256, 127, 256.99607843, 256, 2.0078",
            "4, false, 8, 127, 16, 7, 16.93333333, 16, 2.1333",
            "4, false, 6, 31, 16, 1, 4.13333333, 4, 2.1333",
            "8, false, 8, 127, 256, 0, 0.99607843, 0, 2.0078",
            "8, true, 8, 127, 128, 0, 0.99607843, 0, 1.0039",
            "3, false, 10, 511, 8, 63, 146, 146, 2.2857",
            "1, false, 4, 7, 2, 3, 14, 14, 4.0",
            "8, false, 32, 2147483647, 256, 8388607, 16843008.99607843, 16843008, 2.0078",
    })
    void boundsTable(int n, boolean signed, int p, long num, long den, long floor, double tPlus, long tPlusFloor,
                     double ratio) {
        Fraction a = AccumulatorBounds.tA2q(p, n, signed);
        assertEquals(num, a.numerator());
        assertEquals(den, a.denominator());
        assertEquals(floor, a.floor());
        Fraction plus = AccumulatorBounds.tPlus(p, n);
        assertEquals(tPlus, plus.value(), 1e-7);
        assertEquals(tPlusFloor, plus.floor());
        assertEquals(ratio, plus.value() / a.value(), 1e-4);
    }

    @Test
    void exactFormsAreReduced() {
        assertEquals("2047/16", AccumulatorBounds.tA2q(12, 4, false).exact());
        assertEquals("4094/15", AccumulatorBounds.tPlus(12, 4).exact());
        assertEquals("146", AccumulatorBounds.tPlus(10, 3).exact());
    }

    @ParameterizedTest(name = "K={0} N={1} M={2} signed={3}")
    @CsvSource({"576, 8, 8, false, 26", "576, 4, 4, false, 18", "4608, 8, 8, true, 28", "64, 8, 8, false, 23"})
    void dataTypeBound(long k, int n, int m, boolean signed, int expected) {
        assertEquals(expected, AccumulatorBounds.dataTypeBits(k, n, m, signed));
    }

    @ParameterizedTest(name = "{0} N={1} signed={2}")
    @CsvSource(delimiter = ';', value = {
            // q; N; signed; l1; pos; neg; P_A2Q; P+ naive; P+ safe; P_exact; hi; lo
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
    })
    void worstCaseTable(String q, int n, boolean signed, long l1, long pos, long neg, int pA2q, int pNaive, int pSafe,
                        int pExact, long hi, long lo) {
        WorstCase w = AccumulatorBounds.worstCase(BoundExplorerViewModel.parseVector(q), n, signed);
        assertEquals(l1, w.l1());
        assertEquals(pos, w.pos());
        assertEquals(neg, w.neg());
        assertEquals(pA2q, w.a2qBits());
        assertEquals(pNaive, w.plusBitsNaive());
        assertEquals(pSafe, w.plusBitsSafe());
        assertEquals(pExact, w.exactBits());
        assertEquals(hi, w.hi());
        assertEquals(lo, w.lo());
    }

    /** §2.3's counter-example: the published A2Q+ width is one bit short for a one-sided vector. */
    @Test
    void naivePlusFormulaFailsForOneSidedVector() {
        long[] q = new long[64];
        java.util.Arrays.fill(q, 127);
        WorstCase u = AccumulatorBounds.worstCase(q, 4, false);
        assertEquals(8128, u.l1());
        assertEquals(17, u.plusBitsNaive());
        assertEquals(18, u.plusBitsSafe());
        assertEquals(18, u.exactBits());
        assertEquals(121920, u.hi());
        assertFalse(AccumulatorBounds.fits(u.hi(), u.lo(), u.plusBitsNaive()));
        WorstCase s = AccumulatorBounds.worstCase(q, 4, true);
        assertEquals(17, s.a2qBits());
        assertEquals(18, s.plusBitsSafe());
        assertEquals(17, s.exactBits());
        assertEquals(56896, s.hi());
        assertEquals(-65024, s.lo());
    }

    /**
     * P_exact is never above either formula; for unsigned inputs the safe A2Q+ width is also never
     * above A2Q's. (For signed inputs it can be: [127]×64 above needs 18 bits by A2Q+ but 17 by A2Q.)
     */
    @Test
    void exactIsTheSmallestSafeWidth() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (int t = 0; t < 2000; t++) {
            long[] q = new long[1 + rng.nextInt(40)];
            for (int i = 0; i < q.length; i++) {
                q[i] = rng.nextInt(-127, 128);
            }
            int n = 1 + rng.nextInt(8);
            boolean signed = rng.nextBoolean();
            WorstCase w = AccumulatorBounds.worstCase(q, n, signed);
            assertTrue(w.exactBits() <= w.plusBitsSafe(), () -> java.util.Arrays.toString(q));
            assertTrue(w.exactBits() <= w.a2qBits(), () -> java.util.Arrays.toString(q));
            if (!signed) {
                assertTrue(w.plusBitsSafe() <= w.a2qBits(), () -> java.util.Arrays.toString(q));
            }
            assertTrue(AccumulatorBounds.fits(w.hi(), w.lo(), w.exactBits()));
            assertFalse(w.exactBits() > 1 && AccumulatorBounds.fits(w.hi(), w.lo(), w.exactBits() - 1));
        }
    }

    @Test
    void formatKeepsFourDecimalsWithoutTrailingZeros() {
        assertEquals("127.9375", AccumulatorBounds.format(127.9375));
        assertEquals("272.9333", AccumulatorBounds.format(4094.0 / 15));
        assertEquals("146", AccumulatorBounds.format(146));
        assertEquals("0.4961", AccumulatorBounds.format(0.49609375));
    }
}
