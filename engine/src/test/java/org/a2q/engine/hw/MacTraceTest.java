package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class MacTraceTest {
    // q·x = 21, −14, 35, 0; partial sums 21, 7, 42, 42; a 6-bit register holds [−32, 31].
    private static final int[] Q = {3, -2, 5, 1};
    private static final int[] X = {7, 7, 7, 0};
    private static final InputFormat U3 = InputFormat.unsigned(3);

    @Test
    void wrapTraceStepByStep() {
        MacTrace t = new MatVecEngine(IntWeights.ofRow(Q), U3, 6, AccumulatorMode.WRAP).trace(0, X);
        assertEquals(4, t.steps().size());
        TraceStep s0 = t.steps().get(0);
        assertEquals(List.of(new LaneOp(0, 0, 3, 7, 21)), s0.lanes());
        assertEquals(new TraceStep(0, 0, s0.lanes(), 21, 21, 0, 21, 21, "010101", 6, 6, false), s0);
        TraceStep s1 = t.steps().get(1);
        assertEquals(new TraceStep(1, 1, List.of(new LaneOp(0, 1, -2, 7, -14)), -14, 7, 21, 7, 7, "000111", 4, 4, false), s1);
        // 7 + 35 = 42 leaves [−32, 31]: the register keeps 42 − 64 = −22 = 101010.
        TraceStep s2 = t.steps().get(2);
        assertEquals(new TraceStep(2, 2, List.of(new LaneOp(0, 2, 5, 7, 35)), 35, 42, 7, 42, -22, "101010", 6, 7, true), s2);
        TraceStep s3 = t.steps().get(3);
        assertEquals(new TraceStep(3, 3, List.of(new LaneOp(0, 3, 1, 0, 0)), 0, 42, -22, -22, -22, "101010", 6, 7, false), s3);
        assertEquals(42, t.exactResult());
        assertEquals(-22, t.result());
        assertEquals(2, t.firstOverflowStep());
        assertEquals(7, t.exactBitsNeeded());
        assertTrue(t.overflowed());
        assertTrue(t.resultWrong());
    }

    @Test
    void saturateAndExactTraces() {
        MacTrace sat = new MatVecEngine(IntWeights.ofRow(Q), U3, 6, AccumulatorMode.SATURATE).trace(0, X);
        assertEquals(31, sat.steps().get(2).register());
        assertEquals("011111", sat.steps().get(2).registerBits());
        assertEquals(31, sat.result());
        MacTrace ex = new MatVecEngine(IntWeights.ofRow(Q), U3, 6, AccumulatorMode.EXACT).trace(0, X);
        assertEquals(42, ex.result());
        // EXACT keeps the value in a 64-bit register but still flags that 6 bits would not hold it.
        assertTrue(ex.steps().get(2).overflow());
        assertEquals("0".repeat(58) + "101010", ex.steps().get(2).registerBits());
        assertFalse(ex.resultWrong());
    }

    @Test
    void simdLanesAreSummedBeforeTheRegisterUpdate() {
        MacTrace t = new MatVecEngine(IntWeights.ofRow(Q), U3, 6, AccumulatorMode.WRAP, new Folding(1, 2)).trace(0, X);
        assertEquals(2, t.steps().size());
        TraceStep s0 = t.steps().get(0);
        assertEquals(List.of(new LaneOp(0, 0, 3, 7, 21), new LaneOp(1, 1, -2, 7, -14)), s0.lanes());
        assertEquals(7, s0.laneSum());
        assertEquals(7, s0.register());
        assertFalse(s0.overflow());
        TraceStep s1 = t.steps().get(1);
        assertEquals(35, s1.laneSum());
        assertEquals(42, s1.registerIncoming());
        assertEquals(-22, s1.register());
        assertTrue(s1.overflow());
    }

    @Test
    void cycleNumbersFollowTheFolding() {
        int[][] q = {Q, Q, Q, Q};
        MatVecEngine e = new MatVecEngine(new IntWeights(q), U3, 8, AccumulatorMode.WRAP, new Folding(2, 2));
        MacTrace t = e.trace(3, X, 1);
        // NF = 2, SF = 2: channel 3 is neuron fold 1 on PE 1; pixel 1 starts at (1·2 + 1)·2 = 6.
        assertEquals(1, t.pe());
        assertEquals(6, t.steps().get(0).cycle());
        assertEquals(7, t.steps().get(1).cycle());
        assertThrows(org.a2q.engine.EngineException.class, () -> e.trace(4, X));
        assertThrows(org.a2q.engine.EngineException.class, () -> e.trace(0, new int[] {8, 0, 0, 0}));
    }

    @Test
    void traceAgreesWithTheBatchEngine() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int n = 0; n < 300; n++) {
            int k = new int[] {4, 6, 12, 20}[rnd.nextInt(4)];
            int[] q = new int[k];
            for (int i = 0; i < k; i++) {
                q[i] = rnd.nextInt(31) - 15;
            }
            InputFormat f = new InputFormat(1 + rnd.nextInt(6), rnd.nextBoolean());
            int[] x = new int[k];
            for (int i = 0; i < k; i++) {
                x[i] = f.min() + rnd.nextInt(f.max() - f.min() + 1);
            }
            int p = 2 + rnd.nextInt(12);
            List<Integer> simds = MacArray.divisors(k);
            int simd = simds.get(rnd.nextInt(simds.size()));
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                MatVecEngine e = new MatVecEngine(IntWeights.ofRow(q), f, p, mode, new Folding(1, simd));
                OverflowTally tally = e.newTally();
                long y = e.compute(new int[][] {x}, tally)[0][0];
                MacTrace t = e.trace(0, x);
                assertEquals(y, t.result());
                assertEquals(t.overflowed(), tally.totalExcursions() == 1);
                assertEquals(tally.bitsNeeded(), t.exactBitsNeeded());
                long[] ref = Reference.run(q, x, p, mode, simd);
                assertEquals(ref[1], t.exactResult());
                for (TraceStep s : t.steps()) {
                    assertEquals(PBitArithmetic.bitsNeeded(s.register()), s.bitsInUse());
                    assertEquals(s.registerBefore() + s.laneSum(), s.registerIncoming());
                }
            }
        }
    }

    @Test
    void traceIsImmutable() {
        MacTrace t = new MatVecEngine(IntWeights.ofRow(Q), U3, 6, AccumulatorMode.WRAP).trace(0, X);
        assertThrows(UnsupportedOperationException.class, () -> t.steps().clear());
        assertThrows(UnsupportedOperationException.class, () -> t.steps().get(0).lanes().clear());
    }
}
