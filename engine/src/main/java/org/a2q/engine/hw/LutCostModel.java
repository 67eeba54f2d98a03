package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.List;

import org.a2q.engine.EngineException;

/**
 * FINN-R's analytical LUT model of an HLS MVAU (peers.md §3.2), written as a function of the
 * accumulator width P so that the saving of an A2Q/A2Q+-narrowed accumulator is a number:
 * <pre>
 *   LUT = c0 + c1·PE·(mult + addertree + acc + thr + comp) + c2,   c0 = 300, c1 = 1.1
 *   mult      = SIMD·(2⌈(W+A)/6⌉ − 1)·(W+A)        (0 when multipliers are in DSPs)
 *   addertree = (W+A)·(2·SIMD − 1)
 *   acc       = accBits = min(P, P_dt)
 *   thr       = (2^B − 1)·accBits·⌈TMEM/64⌉       (thresholds in LUTRAM, else 0)
 *   comp      = (2^B − 1)·accBits                 (thresholds in LUTRAM, else 0)
 *   c2        = PE·SIMD·W·⌈WMEM/64⌉                (weights in LUTRAM, else 0)
 * </pre>
 * P_dt is the data-type bound ⌈α + log2(1 + 2^−α) + 1⌉ with α = log2(MW) + W + A − 1 − 1_s: a
 * register wider than that is never built, so the model charges min(P, P_dt). c1 = 1.1 is applied in
 * integers as ⌊11·X/10⌋, matching the truncation of the model's integer result.
 */
public final class LutCostModel {
    public static final long C0 = 300;

    private LutCostModel() {
    }

    /**
     * The data-type bound P_dt = ⌈1 + log2(MW·2^(W+A−1−1_s) + 1)⌉ in integers: for v ≥ 1,
     * ⌈log2(v + 1)⌉ is the bit length of v, so P_dt = 1 + bitLength(MW·2^(W+A−1−1_s)).
     */
    public static int dataTypeBoundBits(int mw, int weightBits, int inputBits, boolean inputSigned) {
        if (mw < 1) {
            throw new EngineException("MW must be at least 1, got " + mw);
        }
        int shift = weightBits + inputBits - 1 - (inputSigned ? 1 : 0);
        int bitLength = 64 - Long.numberOfLeadingZeros(mw);
        int bits = 1 + bitLength + shift;
        return bits;
    }

    /** The estimate at accumulator width {@code accBits} (2..64). */
    public static LutEstimate estimate(MacArray array, LutCostParams p, int accBits) {
        PBitArithmetic.checkWidth(accBits);
        int pe = array.folding().pe();
        int simd = array.folding().simd();
        long wa = (long) p.weightBits() + p.inputBits();
        int acc = Math.min(accBits, dataTypeBoundBits(array.mw(), p.weightBits(), p.inputBits(), p.inputSigned()));
        long mult = p.multipliersInDsp() ? 0 : simd * (2 * ceilDiv(wa, 6) - 1) * wa;
        long adder = wa * (2L * simd - 1);
        long thresholds = p.outputBits() == 0 ? 0 : (1L << p.outputBits()) - 1;
        long thr = p.thresholdsInLutram() ? thresholds * acc * ceilDiv(array.thresholdMemoryDepth(), 64) : 0;
        long comp = p.thresholdsInLutram() ? thresholds * acc : 0;
        long c2 = p.weightsInLutram()
                ? (long) pe * simd * p.weightBits() * ceilDiv(array.weightMemoryDepth(), 64) : 0;
        long perPe = mult + adder + acc + thr + comp;
        long total = C0 + Math.multiplyExact(11L * pe, perPe) / 10 + c2;
        return new LutEstimate(accBits, acc, mult, adder, acc, thr, comp, c2, total);
    }

    /** Estimates for every width from {@code fromBits} to {@code toBits} inclusive, e.g. for a P slider. */
    public static List<LutEstimate> sweep(MacArray array, LutCostParams p, int fromBits, int toBits) {
        if (fromBits > toBits) {
            throw new EngineException("sweep range " + fromBits + ".." + toBits + " is empty; give from ≤ to");
        }
        List<LutEstimate> out = new ArrayList<>();
        for (int b = fromBits; b <= toBits; b++) {
            out.add(estimate(array, p, b));
        }
        return List.copyOf(out);
    }

    /** LUTs saved by a P-bit accumulator against the data-type-bound accumulator FINN would otherwise build. */
    public static long savingVersusDataTypeBound(MacArray array, LutCostParams p, int accBits) {
        int dt = dataTypeBoundBits(array.mw(), p.weightBits(), p.inputBits(), p.inputSigned());
        return estimate(array, p, Math.min(dt, 64)).total() - estimate(array, p, accBits).total();
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
