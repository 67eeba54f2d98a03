package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class TracePixelsTest {
    // q = (3, −2): pixel 0 sums 3·1 − 2·7 → partial sums 3, −11; pixel 1 sums 3·4 − 2·0 → 12, 12;
    // pixel 2 sums 3·7 − 2·7 → 21, 7. Reach |−11| = 11, 12 and 21.
    private static final MatVecEngine ENGINE = new MatVecEngine(IntWeights.ofRow(3, -2), InputFormat.unsigned(3), 8,
            AccumulatorMode.WRAP);

    @Test
    void maxAbsPartialSumSeesNegativeExcursions() {
        assertEquals(11, TracePixels.maxAbsPartialSum(ENGINE.trace(0, new int[] {1, 7})));
    }

    @Test
    void furthestPixelIsTheOneWhosePartialSumsReachFarthest() {
        assertEquals(2, TracePixels.furthest(ENGINE, 0, new int[][] {{1, 7}, {4, 0}, {7, 7}}));
    }

    @Test
    void tiesKeepTheFirstPixel() {
        assertEquals(0, TracePixels.furthest(ENGINE, 0, new int[][] {{4, 0}, {4, 0}}));
    }

    @Test
    void noPatchesIsAnError() {
        assertThrows(EngineException.class, () -> TracePixels.furthest(ENGINE, 0, new int[0][]));
    }
}
