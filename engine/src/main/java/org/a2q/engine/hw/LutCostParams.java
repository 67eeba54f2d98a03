package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * What the FINN-R LUT model needs besides the folding and the accumulator width.
 *
 * @param weightBits         W, weight bit width
 * @param inputBits          A, input (activation) bit width
 * @param inputSigned        whether inputs are signed (enters the data-type bound)
 * @param outputBits         B, bits of the fused threshold activation; 0 when the MVAU has none
 *                           (noActivation), which removes threshold memory and comparators
 * @param multipliersInDsp   multipliers mapped to DSPs cost no LUTs
 * @param weightsInLutram    weights in distributed RAM add PE·SIMD·W·⌈WMEM/64⌉ LUTs
 * @param thresholdsInLutram thresholds in distributed RAM cost LUTs for storage and comparators
 */
public record LutCostParams(int weightBits, int inputBits, boolean inputSigned, int outputBits,
                            boolean multipliersInDsp, boolean weightsInLutram, boolean thresholdsInLutram) {
    public LutCostParams {
        if (weightBits < 1 || weightBits > 32 || inputBits < 1 || inputBits > 32) {
            throw new EngineException("weight and input widths must be 1..32 bits, got W=" + weightBits + ", A="
                    + inputBits);
        }
        if (outputBits < 0 || outputBits > 16) {
            throw new EngineException("threshold output width B must be 0 (no activation) .. 16 bits, got "
                    + outputBits + "; 2^B−1 thresholds per channel beyond that is not a realistic MVAU");
        }
    }

    /** LUT-only MVAU: multipliers, weights and thresholds all in LUTs. */
    public static LutCostParams allLut(int weightBits, int inputBits, boolean inputSigned, int outputBits) {
        return new LutCostParams(weightBits, inputBits, inputSigned, outputBits, false, true, true);
    }
}
