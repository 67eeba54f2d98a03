package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class MacArrayTest {

    @Test
    void divisorsAreCompleteAndSorted() {
        assertEquals(List.of(1, 2, 3, 5, 6, 10, 15, 25, 30, 50, 75, 150), MacArray.divisors(150));
        assertEquals(List.of(1, 2, 4, 8, 16), MacArray.divisors(16));
        assertEquals(List.of(1), MacArray.divisors(1));
        assertEquals(List.of(1, 7, 49), MacArray.divisors(49));
        assertThrows(EngineException.class, () -> MacArray.divisors(0));
    }

    @Test
    void lenetConv2Geometry() {
        // LeNet conv2: 16 outputs, 6·5·5 = 150 inputs, 10×10 output pixels.
        MacArray a = new MacArray(16, 150, 100, new Folding(4, 25));
        assertEquals(4, a.neuronFolds());
        assertEquals(6, a.synapseFolds());
        assertEquals(4L * 6 * 100, a.cycles());
        assertEquals(16L * 150 * 100, a.macs());
        assertEquals(150L * 16 / (4 * 25), a.weightMemoryDepth());
        assertEquals(4, a.thresholdMemoryDepth());
        assertEquals(3, a.peOf(7));
        // Channel 7 is in neuron fold 1; at pixel 2 its updates are cycles (2·4 + 1)·6 + sf.
        assertEquals(54, a.cycleOf(7, 0, 2));
        assertEquals(59, a.cycleOf(7, 5, 2));
        assertEquals(0, a.cycleOf(0, 0, 0));
        assertEquals(a.cycles() - 1, a.cycleOf(15, 5, 99));
        // Fully sequential and fully parallel extremes.
        assertEquals(16L * 150 * 100, new MacArray(16, 150, 100, Folding.SEQUENTIAL).cycles());
        assertEquals(100, new MacArray(16, 150, 100, new Folding(16, 150)).cycles());
    }

    @Test
    void illegalFoldingListsLegalValues() {
        EngineException e = assertThrows(EngineException.class, () -> new MacArray(16, 150, 1, new Folding(5, 7)));
        String m = e.getMessage();
        assertTrue(m.contains("PE=5 does not divide MH=16"), m);
        assertTrue(m.contains("legal PE: 1, 2, 4, 8, 16"), m);
        assertTrue(m.contains("SIMD=7 does not divide MW=150"), m);
        assertTrue(m.contains("legal SIMD: 1, 2, 3, 5, 6, 10, 15, 25, 30, 50, 75, 150"), m);
        EngineException onlySimd = assertThrows(EngineException.class, () -> new MacArray(16, 150, 1, new Folding(4, 4)));
        assertFalse(onlySimd.getMessage().contains("legal PE"), onlySimd.getMessage());
        assertThrows(EngineException.class, () -> new Folding(0, 1));
        assertThrows(EngineException.class, () -> new MacArray(16, 150, 0, Folding.SEQUENTIAL));
        assertTrue(MacArray.isLegal(16, 150, new Folding(8, 75)));
        assertFalse(MacArray.isLegal(16, 150, new Folding(3, 75)));
        assertEquals(5 * 12, MacArray.legalFoldings(16, 150).size());
    }

    @Test
    void suggestionsMeetTheCycleTargetCheapestFirst() {
        List<Folding> s = MacArray.suggest(16, 150, 100, 2400);
        assertFalse(s.isEmpty());
        for (Folding f : s) {
            assertTrue(new MacArray(16, 150, 100, f).cycles() <= 2400, f.toString());
        }
        // 240 000 MACs in ≤ 2400 cycles needs ≥ 100 multipliers; the fewest legal is PE·SIMD = 100
        // (PE=2·SIMD=50 or PE=4·SIMD=25), exactly 2400 cycles; ties go to fewer PEs.
        assertEquals(new Folding(2, 50), s.get(0));
        assertEquals(new Folding(4, 25), s.get(1));
        assertTrue(MacArray.suggest(16, 150, 100, 99).isEmpty());
        assertEquals(List.of(new Folding(16, 150)), MacArray.suggest(16, 150, 100, 100));
    }
}
