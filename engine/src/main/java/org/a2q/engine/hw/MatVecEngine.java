package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.List;

import org.a2q.engine.EngineException;

/**
 * Integer matrix-vector products y_c = Σ_i q[c][i]·x[i] for a batch of input vectors, with the
 * accumulator of each output modelled as a P-bit register in one {@link AccumulatorMode}, updated in
 * the MAC-array schedule of a {@link Folding} (see {@link MacArray}: one update per cycle adding the
 * exact sum of SIMD lane products, elements in increasing order).
 *
 * <h2>How each mode is computed</h2>
 * <ul>
 *   <li>EXACT: the plain sum. When a row's §2.5 worst case [lo, hi] fits in an {@code int}, every
 *       product and every partial sum (each is a subset sum, so within [lo, hi]) fits too, and the
 *       loop runs in {@code int}, which the JIT vectorises; otherwise in {@code long}.</li>
 *   <li>WRAP: wrap(exact, P). Exact because (a + b) mod 2^P = ((a mod 2^P) + b) mod 2^P, so wrapping
 *       after every update and wrapping once at the end agree.</li>
 *   <li>SATURATE: sequential, reg ← clamp(reg + laneSum) per cycle. Shortcut: when the row's worst
 *       case fits in P bits, no partial sum can leave the range, the clamp never acts, and the result
 *       is the exact sum.</li>
 * </ul>
 * With an {@link OverflowTally}, every dot product is scanned cycle by cycle to record the extremes
 * of its exact partial sums; without one, the fast paths above are used.
 *
 * <p>Immutable and thread-safe; tallies are not, so use one per thread.
 */
public final class MatVecEngine {
    private final IntWeights weights;
    private final int[][] rows;
    private final int cout;
    private final int k;
    private final InputFormat format;
    private final int accBits;
    private final AccumulatorMode mode;
    private final Folding folding;
    private final MacArray array;
    private final int simd;
    private final long regMin;
    private final long regMax;
    private final int wrapShift;
    private final WorstCase[] worst;
    private final boolean[] intSafe;
    private final boolean[] fitsP;
    private final boolean[] satInt;

    public MatVecEngine(IntWeights weights, InputFormat format, int accBits, AccumulatorMode mode) {
        this(weights, format, accBits, mode, Folding.SEQUENTIAL);
    }

    public MatVecEngine(IntWeights weights, InputFormat format, int accBits, AccumulatorMode mode, Folding folding) {
        if (weights == null || format == null || mode == null || folding == null) {
            throw new EngineException("weights, input format, accumulator mode and folding are all required");
        }
        this.weights = weights;
        this.format = format;
        this.accBits = PBitArithmetic.checkWidth(accBits);
        this.mode = mode;
        this.folding = folding;
        this.array = MacArray.of(weights, 1, folding);
        this.cout = weights.outputs();
        this.k = weights.length();
        this.simd = folding.simd();
        this.regMin = PBitArithmetic.minValue(accBits);
        this.regMax = PBitArithmetic.maxValue(accBits);
        this.wrapShift = 64 - accBits;
        this.rows = new int[cout][];
        this.worst = new WorstCase[cout];
        this.intSafe = new boolean[cout];
        this.fitsP = new boolean[cout];
        this.satInt = new boolean[cout];
        for (int c = 0; c < cout; c++) {
            rows[c] = weights.rowRef(c);
            WorstCase w = WorstCase.of(rows[c], format);
            if (w.exactBits() > WorstCase.MAX_EXACT_BITS) {
                throw new EngineException("output channel " + c + " can reach " + (w.hi() > -w.lo() ? w.hi() : w.lo())
                        + " with " + format + " inputs, which needs " + w.exactBits() + " bits; the engine supports up to "
                        + WorstCase.MAX_EXACT_BITS + "-bit dot products, so use narrower inputs or smaller weights");
            }
            worst[c] = w;
            intSafe[c] = w.hi() <= Integer.MAX_VALUE && w.lo() >= Integer.MIN_VALUE;
            fitsP[c] = w.fitsIn(accBits);
            satInt[c] = w.exactBits() <= 31;
        }
    }

    public IntWeights weights() {
        return weights;
    }

    public InputFormat format() {
        return format;
    }

    public int accBits() {
        return accBits;
    }

    public AccumulatorMode mode() {
        return mode;
    }

    public Folding folding() {
        return folding;
    }

    /** §2.5 worst case of channel c for this engine's input format. */
    public WorstCase worstCase(int channel) {
        weights.checkChannel(channel);
        return worst[channel];
    }

    /** True when no input of the format can overflow channel c's P-bit register. */
    public boolean channelSafe(int channel) {
        weights.checkChannel(channel);
        return fitsP[channel];
    }

    /** A fresh tally matching this engine's channels and width. */
    public OverflowTally newTally() {
        return new OverflowTally(cout, accBits);
    }

    /** Outputs for one vector. */
    public long[] compute(int[] x) {
        long[][] out = new long[1][cout];
        compute(new int[][] {x}, out, null);
        return out[0];
    }

    /** Outputs for a batch, [batch][Cout]; {@code tally} may be null. */
    public long[][] compute(int[][] batch, OverflowTally tally) {
        if (batch == null) {
            throw new EngineException("no input batch given; pass int[batch][" + k + "]");
        }
        long[][] out = new long[batch.length][cout];
        compute(batch, out, tally);
        return out;
    }

    /**
     * Writes the outputs of batch[b] into out[b][0..Cout−1] and, when {@code tally} is non-null,
     * adds every dot product's statistics to it. Reusing {@code out} across calls avoids allocation.
     */
    public void compute(int[][] batch, long[][] out, OverflowTally tally) {
        if (batch == null || out == null) {
            throw new EngineException("input batch and output array are both required");
        }
        if (out.length < batch.length) {
            throw new EngineException("the output array has " + out.length + " rows for " + batch.length
                    + " input vectors; allocate long[" + batch.length + "][" + cout + "]");
        }
        if (tally != null && (tally.channelCount() != cout || tally.accBits() != accBits)) {
            throw new EngineException("the tally has " + tally.channelCount() + " channels at P=" + tally.accBits()
                    + " but this layer has " + cout + " channels at P=" + accBits + "; use newTally()");
        }
        long[] scratch = new long[4];
        for (int b = 0; b < batch.length; b++) {
            int[] x = batch[b];
            format.check(x, k, "input vector " + b);
            long[] o = out[b];
            if (o == null || o.length < cout) {
                throw new EngineException("output row " + b + " needs " + cout + " elements");
            }
            if (tally == null) {
                computeFast(x, o, scratch);
            } else {
                computeWithStats(x, o, tally, scratch);
            }
        }
    }

    private void computeFast(int[] x, long[] o, long[] r) {
        for (int c = 0; c < cout; c++) {
            int[] w = rows[c];
            switch (mode) {
                case EXACT -> o[c] = intSafe[c] ? dotInt(w, x, k) : dotLong(w, x, k);
                case WRAP -> {
                    long e = intSafe[c] ? dotInt(w, x, k) : dotLong(w, x, k);
                    o[c] = (e << wrapShift) >> wrapShift;
                }
                case SATURATE -> {
                    if (fitsP[c]) {
                        o[c] = intSafe[c] ? dotInt(w, x, k) : dotLong(w, x, k);
                    } else {
                        saturateScan(w, x, r, c);
                        o[c] = r[3];
                    }
                }
                default -> throw new IllegalStateException(mode.name());
            }
        }
    }

    private void computeWithStats(int[] x, long[] o, OverflowTally tally, long[] r) {
        for (int c = 0; c < cout; c++) {
            int[] w = rows[c];
            long result;
            if (mode == AccumulatorMode.SATURATE && !fitsP[c]) {
                saturateScan(w, x, r, c);
                result = r[3];
            } else {
                if (intSafe[c]) {
                    scanInt(w, x, k, simd, r);
                } else {
                    scanLong(w, x, k, simd, r);
                }
                result = mode == AccumulatorMode.WRAP ? (r[0] << wrapShift) >> wrapShift : r[0];
            }
            o[c] = result;
            tally.record(c, r[0], result, r[1], r[2]);
        }
    }

    /** Σ w_i·x_i in int; only called when the row's worst case fits an int, so it is exact. */
    static int dotInt(int[] w, int[] x, int k) {
        int s = 0;
        for (int i = 0; i < k; i++) {
            s += w[i] * x[i];
        }
        return s;
    }

    static long dotLong(int[] w, int[] x, int k) {
        long s = 0;
        for (int i = 0; i < k; i++) {
            s += (long) w[i] * x[i];
        }
        return s;
    }

    /** r = {exact sum, min partial sum, max partial sum}, partial sums taken once per cycle. */
    static void scanInt(int[] w, int[] x, int k, int simd, long[] r) {
        int s = 0;
        int mn = 0;
        int mx = 0;
        if (simd == 1) {
            for (int i = 0; i < k; i++) {
                s += w[i] * x[i];
                mn = Math.min(mn, s);
                mx = Math.max(mx, s);
            }
        } else {
            for (int i = 0; i < k; i += simd) {
                int lane = 0;
                int end = i + simd;
                for (int j = i; j < end; j++) {
                    lane += w[j] * x[j];
                }
                s += lane;
                mn = Math.min(mn, s);
                mx = Math.max(mx, s);
            }
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
    }

    static void scanLong(int[] w, int[] x, int k, int simd, long[] r) {
        long s = 0;
        long mn = 0;
        long mx = 0;
        for (int i = 0; i < k; i += simd) {
            long lane = 0;
            int end = i + simd;
            for (int j = i; j < end; j++) {
                lane += (long) w[j] * x[j];
            }
            s += lane;
            mn = Math.min(mn, s);
            mx = Math.max(mx, s);
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
    }

    /**
     * Sequential saturating accumulation: reg ← clamp(reg + laneSum, −2^(P−1), 2^(P−1)−1) once per
     * cycle. r = {exact sum, min partial, max partial, final register}. In the long path reg + laneSum
     * cannot overflow: |reg| ≤ 2^62 for P ≤ 63 and |laneSum| ≤ 2^62 (every subset sum is within the
     * checked worst case); P = 64 never gets here because then every row fits.
     */
    private void saturateScan(int[] w, int[] x, long[] r, int c) {
        if (satInt[c] && simd == 1) {
            saturateInt1(w, x, k, (int) regMin, (int) regMax, r);
            return;
        }
        long lo = regMin;
        long hi = regMax;
        long reg = 0;
        long s = 0;
        long mn = 0;
        long mx = 0;
        for (int i = 0; i < k; i += simd) {
            long lane = 0;
            int end = i + simd;
            for (int j = i; j < end; j++) {
                lane += (long) w[j] * x[j];
            }
            s += lane;
            mn = Math.min(mn, s);
            mx = Math.max(mx, s);
            reg = clamp(reg + lane, lo, hi);
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
        r[3] = reg;
    }

    /**
     * The SIMD = 1 saturating loop in int, for rows whose worst case needs at most 31 bits (so P ≤ 30
     * here, since the row does not fit P): register values and products are then within ±2^30, so
     * reg + p fits an int. int min/max compile to conditional moves, so a register sitting on a rail
     * causes no branch mispredictions. (Composing blocks of clamp-add maps to shorten the dependency
     * chain was tried and measured no faster.)
     */
    static void saturateInt1(int[] w, int[] x, int k, int lo, int hi, long[] r) {
        int reg = 0;
        int s = 0;
        int mn = 0;
        int mx = 0;
        for (int i = 0; i < k; i++) {
            int p = w[i] * x[i];
            s += p;
            mn = Math.min(mn, s);
            mx = Math.max(mx, s);
            reg = Math.min(Math.max(reg + p, lo), hi);
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
        r[3] = reg;
    }

    private static long clamp(long v, long lo, long hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    /** {@link #trace(int, int[], long)} at pixel 0. */
    public MacTrace trace(int channel, int[] x) {
        return trace(channel, x, 0);
    }

    /**
     * The cycle-by-cycle history of channel c's register for input x, computed independently of the
     * batch loops (straight from the definitions) so the two can check each other. {@code pixel} only
     * sets the global cycle numbers.
     */
    public MacTrace trace(int channel, int[] x, long pixel) {
        weights.checkChannel(channel);
        format.check(x, k, "traced input vector");
        if (pixel < 0) {
            throw new EngineException("pixel must be 0 or more, got " + pixel);
        }
        MacArray geometry = new MacArray(cout, k, pixel + 1, folding);
        int[] w = rows[channel];
        int regWidth = mode == AccumulatorMode.EXACT ? 64 : accBits;
        List<TraceStep> steps = new ArrayList<>(geometry.synapseFolds());
        long reg = 0;
        long exact = 0;
        int first = -1;
        int exactBits = 1;
        for (int sf = 0; sf < geometry.synapseFolds(); sf++) {
            List<LaneOp> lanes = new ArrayList<>(simd);
            long laneSum = 0;
            for (int l = 0; l < simd; l++) {
                int i = sf * simd + l;
                long product = (long) w[i] * x[i];
                lanes.add(new LaneOp(l, i, w[i], x[i], product));
                laneSum += product;
            }
            exact += laneSum;
            long before = reg;
            long incoming = before + laneSum;
            boolean overflow = incoming < regMin || incoming > regMax;
            reg = PBitArithmetic.apply(mode, incoming, accBits);
            if (overflow && first < 0) {
                first = sf;
            }
            exactBits = Math.max(exactBits, PBitArithmetic.bitsNeeded(exact));
            steps.add(new TraceStep(sf, geometry.cycleOf(channel, sf, pixel), lanes, laneSum, exact, before, incoming,
                    reg, PBitArithmetic.bitPattern(reg, regWidth), PBitArithmetic.bitsNeeded(reg),
                    PBitArithmetic.bitsNeeded(exact), overflow));
        }
        return new MacTrace(channel, pixel, geometry.peOf(channel), format, accBits, mode, folding, steps, exact, reg,
                first, exactBits);
    }
}
