package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.List;

import org.a2q.engine.EngineException;

/**
 * Running per-channel overflow statistics, fed by {@link MatVecEngine#compute(int[][], long[][], OverflowTally)}
 * one batch at a time (e.g. one image's patches per call) and read with {@link #channels()}.
 * Mutable and not thread-safe: give each thread its own tally and {@link #merge} them.
 */
public final class OverflowTally {
    private final int accBits;
    private final long regMin;
    private final long regMax;
    private final long[] dotProducts;
    private final long[] mismatches;
    private final long[] excursions;
    private final long[] minPartial;
    private final long[] maxPartial;

    public OverflowTally(int channels, int accBits) {
        if (channels < 1) {
            throw new EngineException("a tally needs at least one channel, got " + channels);
        }
        this.accBits = PBitArithmetic.checkWidth(accBits);
        this.regMin = PBitArithmetic.minValue(accBits);
        this.regMax = PBitArithmetic.maxValue(accBits);
        this.dotProducts = new long[channels];
        this.mismatches = new long[channels];
        this.excursions = new long[channels];
        this.minPartial = new long[channels];
        this.maxPartial = new long[channels];
    }

    public int channelCount() {
        return dotProducts.length;
    }

    public int accBits() {
        return accBits;
    }

    /**
     * Records one dot product: its exact sum, the register's final value, and the extremes of its
     * exact partial sums (both including the initial 0).
     */
    void record(int c, long exact, long result, long minPartialSum, long maxPartialSum) {
        dotProducts[c]++;
        if (result != exact) {
            mismatches[c]++;
        }
        if (minPartialSum < regMin || maxPartialSum > regMax) {
            excursions[c]++;
        }
        if (minPartialSum < minPartial[c]) {
            minPartial[c] = minPartialSum;
        }
        if (maxPartialSum > maxPartial[c]) {
            maxPartial[c] = maxPartialSum;
        }
    }

    /** Adds another tally of the same shape (e.g. from another thread) into this one. */
    public void merge(OverflowTally other) {
        if (other.channelCount() != channelCount() || other.accBits != accBits) {
            throw new EngineException("cannot merge a tally of " + other.channelCount() + " channels at P="
                    + other.accBits + " into one of " + channelCount() + " channels at P=" + accBits
                    + "; merge only tallies of the same layer and width");
        }
        for (int c = 0; c < dotProducts.length; c++) {
            dotProducts[c] += other.dotProducts[c];
            mismatches[c] += other.mismatches[c];
            excursions[c] += other.excursions[c];
            minPartial[c] = Math.min(minPartial[c], other.minPartial[c]);
            maxPartial[c] = Math.max(maxPartial[c], other.maxPartial[c]);
        }
    }

    public ChannelOverflow channel(int c) {
        if (c < 0 || c >= dotProducts.length) {
            throw new EngineException("channel " + c + " does not exist; this tally has 0.." + (dotProducts.length - 1));
        }
        // |min| cannot overflow: the engine keeps every partial sum within ±2^62.
        long maxAbs = Math.max(maxPartial[c], -minPartial[c]);
        int bits = Math.max(PBitArithmetic.bitsNeeded(minPartial[c]), PBitArithmetic.bitsNeeded(maxPartial[c]));
        return new ChannelOverflow(c, accBits, dotProducts[c], mismatches[c], excursions[c], minPartial[c],
                maxPartial[c], maxAbs, bits);
    }

    /** An immutable snapshot, one entry per channel. */
    public List<ChannelOverflow> channels() {
        List<ChannelOverflow> out = new ArrayList<>(dotProducts.length);
        for (int c = 0; c < dotProducts.length; c++) {
            out.add(channel(c));
        }
        return List.copyOf(out);
    }

    public long totalMismatches() {
        long s = 0;
        for (long m : mismatches) {
            s += m;
        }
        return s;
    }

    public long totalExcursions() {
        long s = 0;
        for (long e : excursions) {
            s += e;
        }
        return s;
    }

    /** Largest bitsNeeded over channels: the width this data would have needed for the whole layer. */
    public int bitsNeeded() {
        int b = 1;
        for (int c = 0; c < dotProducts.length; c++) {
            b = Math.max(b, channel(c).bitsNeeded());
        }
        return b;
    }
}
