package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

class LutCostModelTest {
    // LeNet conv2 on PE=4, SIMD=25: TMEM = 4, WMEM = 24. W4 weights, UINT4 inputs, 4-bit thresholds.
    private static final MacArray LENET = new MacArray(16, 150, 100, new Folding(4, 25));
    private static final LutCostParams ALL_LUT = LutCostParams.allLut(4, 4, false, 4);

    @Test
    void dataTypeBound() {
        // α = log2(150) + 4 + 4 − 1 − 0 = 14.23; ⌈α + log2(1 + 2^−α) + 1⌉ = 16.
        assertEquals(16, LutCostModel.dataTypeBoundBits(150, 4, 4, false));
        // a2q-math §2.4 example layer K = 576, W4A4 unsigned: ⌈16.17 + 1⌉ = 18.
        assertEquals(18, LutCostModel.dataTypeBoundBits(576, 4, 4, false));
        // Signed inputs lose one bit: 576·2^6 = 36864 → 1 + 16 = 17.
        assertEquals(17, LutCostModel.dataTypeBoundBits(576, 4, 4, true));
        // Power-of-two K: 64·2^7 = 8192, log2(8193) = 13.0002 → ⌈14.0002⌉ = 15.
        assertEquals(15, LutCostModel.dataTypeBoundBits(64, 4, 4, false));
    }

    @Test
    void handComputedEstimateAtTheDataTypeBound() {
        // mult = 25·(2·⌈8/6⌉ − 1)·8 = 600; addertree = 8·49 = 392; acc = 16;
        // thr = 15·16·⌈4/64⌉ = 240; comp = 15·16 = 240; per PE = 1488;
        // 1.1·4·1488 = 6547.2 → 6547; c2 = 4·25·4·⌈24/64⌉ = 400; total = 300 + 6547 + 400 = 7247.
        LutEstimate e = LutCostModel.estimate(LENET, ALL_LUT, 16);
        assertEquals(new LutEstimate(16, 16, 600, 392, 16, 240, 240, 400, 7247), e);
    }

    @Test
    void narrowerAccumulatorSavesLuts() {
        // P = 12: per PE = 600 + 392 + 12 + 180 + 180 = 1364; 1.1·4·1364 = 6001.6 → 6001; total 6701.
        assertEquals(6701, LutCostModel.estimate(LENET, ALL_LUT, 12).total());
        assertEquals(7247 - 6701, LutCostModel.savingVersusDataTypeBound(LENET, ALL_LUT, 12));
        // Wider than the data-type bound is charged at the bound: FINN never builds it wider.
        LutEstimate wide = LutCostModel.estimate(LENET, ALL_LUT, 24);
        assertEquals(16, wide.accBits());
        assertEquals(24, wide.accBitsRequested());
        assertEquals(7247, wide.total());
        List<LutEstimate> sweep = LutCostModel.sweep(LENET, ALL_LUT, 10, 17);
        assertEquals(8, sweep.size());
        for (int i = 1; i < sweep.size(); i++) {
            // Each accumulator bit costs 1.1·4·(1 + 15 + 15) = 136.4 LUTs below the bound.
            long step = sweep.get(i).total() - sweep.get(i - 1).total();
            if (i + 10 <= 16) {
                assertEquals(136.4, step, 1.0);
            } else {
                assertEquals(0, step);
            }
        }
    }

    @Test
    void dspAndBlockRamRemoveTheirTerms() {
        // Only adder tree and accumulator: per PE = 392 + 12 = 404; 1.1·4·404 = 1777.6 → 1777; + 300 = 2077.
        LutCostParams dsp = new LutCostParams(4, 4, false, 4, true, false, false);
        assertEquals(new LutEstimate(12, 12, 0, 392, 12, 0, 0, 0, 2077), LutCostModel.estimate(LENET, dsp, 12));
        // No activation (B = 0): no thresholds even in LUTRAM. per PE = 600 + 392 + 12 = 1004 → 4417.6 → 4417.
        LutCostParams noAct = LutCostParams.allLut(4, 4, false, 0);
        assertEquals(300 + 4417 + 400, LutCostModel.estimate(LENET, noAct, 12).total());
        assertThrows(EngineException.class, () -> LutCostModel.estimate(LENET, ALL_LUT, 1));
        assertThrows(EngineException.class, () -> LutCostParams.allLut(0, 4, false, 4));
        assertThrows(EngineException.class, () -> LutCostModel.sweep(LENET, ALL_LUT, 12, 10));
    }
}
