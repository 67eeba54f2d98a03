package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.SplittableRandom;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class PBitArithmeticTest {

    /** Reference wrap through BigInteger: v mod 2^P in [0, 2^P), then subtract 2^P if ≥ 2^(P−1). */
    private static long refWrap(long v, int p) {
        BigInteger m = BigInteger.ONE.shiftLeft(p);
        BigInteger r = BigInteger.valueOf(v).mod(m);
        if (r.compareTo(BigInteger.ONE.shiftLeft(p - 1)) >= 0) {
            r = r.subtract(m);
        }
        return r.longValueExact();
    }

    /** Reference width: smallest b with −2^(b−1) ≤ v ≤ 2^(b−1)−1, by search. */
    private static int refBits(long v) {
        BigInteger x = BigInteger.valueOf(v);
        for (int b = 1; b <= 64; b++) {
            BigInteger lo = BigInteger.ONE.shiftLeft(b - 1).negate();
            BigInteger hi = BigInteger.ONE.shiftLeft(b - 1).subtract(BigInteger.ONE);
            if (x.compareTo(lo) >= 0 && x.compareTo(hi) <= 0) {
                return b;
            }
        }
        throw new AssertionError();
    }

    @Test
    void rangeEndsForEveryNarrowWidth() {
        for (int p = 2; p <= 32; p++) {
            assertEquals(-(1L << (p - 1)), PBitArithmetic.minValue(p), "P=" + p);
            assertEquals((1L << (p - 1)) - 1, PBitArithmetic.maxValue(p), "P=" + p);
        }
        assertEquals(-2, PBitArithmetic.minValue(2));
        assertEquals(1, PBitArithmetic.maxValue(2));
        assertEquals(Integer.MIN_VALUE, PBitArithmetic.minValue(32));
        assertEquals(Integer.MAX_VALUE, PBitArithmetic.maxValue(32));
        assertEquals(Long.MIN_VALUE, PBitArithmetic.minValue(64));
        assertEquals(Long.MAX_VALUE, PBitArithmetic.maxValue(64));
    }

    @Test
    void wrapMatchesModularReferenceAtEdges() {
        for (int p = 2; p <= 32; p++) {
            long min = PBitArithmetic.minValue(p);
            long max = PBitArithmetic.maxValue(p);
            long[] probes = {0, 1, -1, min, max, min - 1, max + 1, 2 * max + 1, 2 * min, 3 * min - 7,
                Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Integer.MIN_VALUE, Integer.MAX_VALUE};
            for (long v : probes) {
                assertEquals(refWrap(v, p), PBitArithmetic.wrap(v, p), "wrap(" + v + ", " + p + ")");
            }
            // One past the top wraps to the most negative value and vice versa.
            assertEquals(min, PBitArithmetic.wrap(max + 1, p));
            assertEquals(max, PBitArithmetic.wrap(min - 1, p));
        }
        assertEquals(Long.MIN_VALUE, PBitArithmetic.wrap(Long.MIN_VALUE, 64));
        assertEquals(-5, PBitArithmetic.wrap(-5, 64));
        // 2^31 in a 32-bit register is the most negative int.
        assertEquals(Integer.MIN_VALUE, PBitArithmetic.wrap(1L << 31, 32));
    }

    @Test
    void wrapMatchesReferenceOnRandomValues() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n = 0; n < 20000; n++) {
            long v = rnd.nextLong();
            int p = 2 + rnd.nextInt(63);
            assertEquals(refWrap(v, p), PBitArithmetic.wrap(v, p), "wrap(" + v + ", " + p + ")");
        }
    }

    @Test
    void saturateClampsAndKeepsInRangeValues() {
        for (int p = 2; p <= 32; p++) {
            long min = PBitArithmetic.minValue(p);
            long max = PBitArithmetic.maxValue(p);
            assertEquals(max, PBitArithmetic.saturate(max + 1, p));
            assertEquals(min, PBitArithmetic.saturate(min - 1, p));
            assertEquals(min, PBitArithmetic.saturate(Long.MIN_VALUE, p));
            assertEquals(max, PBitArithmetic.saturate(Long.MAX_VALUE, p));
            assertEquals(min, PBitArithmetic.saturate(min, p));
            assertEquals(-1, PBitArithmetic.saturate(-1, p));
            assertTrue(PBitArithmetic.inRange(min, p));
            assertTrue(PBitArithmetic.inRange(max, p));
            assertFalse(PBitArithmetic.inRange(min - 1, p));
            assertFalse(PBitArithmetic.inRange(max + 1, p));
        }
        assertEquals(Long.MIN_VALUE, PBitArithmetic.saturate(Long.MIN_VALUE, 64));
        assertTrue(PBitArithmetic.inRange(Long.MIN_VALUE, 64));
    }

    @Test
    void applyDispatchesOnMode() {
        assertEquals(9, PBitArithmetic.apply(AccumulatorMode.EXACT, 9, 4));
        assertEquals(-7, PBitArithmetic.apply(AccumulatorMode.WRAP, 9, 4));
        assertEquals(7, PBitArithmetic.apply(AccumulatorMode.SATURATE, 9, 4));
        assertEquals(-8, PBitArithmetic.apply(AccumulatorMode.SATURATE, -100, 4));
    }

    @Test
    void bitsNeededIsTheNarrowestTwosComplementWidth() {
        assertEquals(1, PBitArithmetic.bitsNeeded(0));
        assertEquals(1, PBitArithmetic.bitsNeeded(-1));
        assertEquals(2, PBitArithmetic.bitsNeeded(1));
        assertEquals(2, PBitArithmetic.bitsNeeded(-2));
        assertEquals(4, PBitArithmetic.bitsNeeded(7));
        assertEquals(4, PBitArithmetic.bitsNeeded(-8));
        assertEquals(5, PBitArithmetic.bitsNeeded(8));
        assertEquals(5, PBitArithmetic.bitsNeeded(-9));
        assertEquals(32, PBitArithmetic.bitsNeeded(Integer.MIN_VALUE));
        assertEquals(33, PBitArithmetic.bitsNeeded(1L << 31));
        assertEquals(64, PBitArithmetic.bitsNeeded(Long.MIN_VALUE));
        assertEquals(64, PBitArithmetic.bitsNeeded(Long.MAX_VALUE));
        for (int p = 2; p <= 32; p++) {
            assertEquals(p, PBitArithmetic.bitsNeeded(PBitArithmetic.minValue(p)));
            assertEquals(p, PBitArithmetic.bitsNeeded(PBitArithmetic.maxValue(p)));
            assertEquals(p + 1, PBitArithmetic.bitsNeeded(PBitArithmetic.minValue(p) - 1));
        }
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n = 0; n < 5000; n++) {
            long v = rnd.nextLong() >> rnd.nextInt(64);
            assertEquals(refBits(v), PBitArithmetic.bitsNeeded(v), "v=" + v);
        }
    }

    @Test
    void bitPatternShowsTheLowPBits() {
        assertEquals("1101", PBitArithmetic.bitPattern(-3, 4));
        assertEquals("0111", PBitArithmetic.bitPattern(7, 4));
        assertEquals("1000", PBitArithmetic.bitPattern(-8, 4));
        assertEquals("10", PBitArithmetic.bitPattern(-2, 2));
        assertEquals("1" + "0".repeat(31), PBitArithmetic.bitPattern(Integer.MIN_VALUE, 32));
        assertEquals("1" + "0".repeat(63), PBitArithmetic.bitPattern(Long.MIN_VALUE, 64));
        assertEquals("1".repeat(64), PBitArithmetic.bitPattern(-1, 64));
        // Out of range: the pattern is what a wrapping register would keep (9 → 1001 = −7).
        assertEquals("1001", PBitArithmetic.bitPattern(9, 4));
        assertEquals(PBitArithmetic.bitPattern(PBitArithmetic.wrap(9, 4), 4), PBitArithmetic.bitPattern(9, 4));
    }

    @Test
    void unsupportedWidthsAreRejectedWithTheLegalRange() {
        for (int p : new int[] {-1, 0, 1, 65, 128}) {
            EngineException e = assertThrows(EngineException.class, () -> PBitArithmetic.wrap(0, p));
            assertTrue(e.getMessage().contains("2..64"), e.getMessage());
        }
        assertThrows(EngineException.class, () -> PBitArithmetic.bitPattern(0, 1));
        assertThrows(EngineException.class, () -> PBitArithmetic.saturate(0, 65));
    }
}
