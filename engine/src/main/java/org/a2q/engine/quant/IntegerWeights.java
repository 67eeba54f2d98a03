package org.a2q.engine.quant;

/**
 * The integer weights of a layer, one row per output channel, with the per-channel sums that the
 * accumulator bounds are about (a2q-math.md §1): Pos, Neg and ‖q‖₁ = Pos + Neg.
 */
public record IntegerWeights(long[][] q, long[] pos, long[] neg, long[] l1) {

    /** Builds the record from rows of exact integers (as produced by a quantizer forward pass). */
    public static IntegerWeights of(long[][] q) {
        int channels = q.length;
        long[] pos = new long[channels];
        long[] neg = new long[channels];
        long[] l1 = new long[channels];
        for (int c = 0; c < channels; c++) {
            long[] sides = AccumulatorBound.oneSidedSums(q[c]);
            pos[c] = sides[0];
            neg[c] = sides[1];
            l1[c] = sides[0] + sides[1];
        }
        return new IntegerWeights(q, pos, neg, l1);
    }

    public int channels() {
        return q.length;
    }

    /** The width rules of §2 for channel c. */
    public AccumulatorWidths widths(int channel, int inputBits, boolean inputSigned, int weightBits) {
        return AccumulatorWidths.of(q[channel].length, pos[channel], neg[channel], inputBits, inputSigned, weightBits);
    }

    /** The width rules of §2 for the whole layer: the maximum over channels. */
    public AccumulatorWidths layerWidths(int inputBits, boolean inputSigned, int weightBits) {
        AccumulatorWidths w = widths(0, inputBits, inputSigned, weightBits);
        for (int c = 1; c < channels(); c++) {
            w = w.max(widths(c, inputBits, inputSigned, weightBits));
        }
        return w;
    }
}
