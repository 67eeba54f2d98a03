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
 * of its exact partial sums; without one, the shortcuts above are used.
 *
 * <p>Two loop orders give the same numbers: {@link #compute(int[][], long[][], OverflowTally)} runs
 * one dot product at a time along K (the plain definition), {@link #computeColumns} runs many at
 * once with the inner loop across them (the fast path of {@link IntegerModel}); tests hold each
 * against a BigInteger reference.
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
    /** Per row, the positions and values of its nonzero weights (A2Q/A2Q+ rows are sparse). */
    private final int[][] nzIndex;
    private final int[][] nzValue;

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
        this.nzIndex = new int[cout][];
        this.nzValue = new int[cout][];
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
            int nz = 0;
            for (int v : rows[c]) {
                nz += v != 0 ? 1 : 0;
            }
            nzIndex[c] = new int[nz];
            nzValue[c] = new int[nz];
            for (int i = 0, t = 0; i < k; i++) {
                if (rows[c][i] != 0) {
                    nzIndex[c][t] = i;
                    nzValue[c][t++] = rows[c][i];
                }
            }
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
     * This is the straightforward path, one dot product at a time along K; {@link #computeColumns}
     * gives the same numbers for many vectors at once.
     */
    public void compute(int[][] batch, long[][] out, OverflowTally tally) {
        if (batch == null || out == null) {
            throw new EngineException("input batch and output array are both required");
        }
        if (out.length < batch.length) {
            throw new EngineException("the output array has " + out.length + " rows for " + batch.length
                    + " input vectors; allocate long[" + batch.length + "][" + cout + "]");
        }
        checkTally(tally);
        long[] r = new long[4];
        for (int b = 0; b < batch.length; b++) {
            int[] x = batch[b];
            if (x == null || x.length != k || !format.contains(x, 0, x.length)) {
                // Only now build the message (naming the vector): the check runs once per dot-product vector.
                format.check(x, k, "input vector " + b);
            }
            long[] o = out[b];
            if (o == null || o.length < cout) {
                throw new EngineException("output row " + b + " needs " + cout + " elements");
            }
            for (int c = 0; c < cout; c++) {
                o[c] = rowResult(c, x, r, tally != null);
                if (tally != null) {
                    tally.record(c, r[0], o[c], r[1], r[2]);
                }
            }
        }
    }

    private void checkTally(OverflowTally tally) {
        if (tally != null && (tally.channelCount() != cout || tally.accBits() != accBits)) {
            throw new EngineException("the tally has " + tally.channelCount() + " channels at P=" + tally.accBits()
                    + " but this layer has " + cout + " channels at P=" + accBits + "; use newTally()");
        }
    }

    /**
     * The register of channel c after the dot product with x. With {@code stats} (or whenever the
     * saturating register can clip) r = {exact sum, min partial sum, max partial sum} is filled from
     * a cycle-by-cycle scan; otherwise only the plain sum is taken and r[0] holds it.
     */
    private long rowResult(int c, int[] x, long[] r, boolean stats) {
        int[] w = rows[c];
        boolean clips = mode == AccumulatorMode.SATURATE && !fitsP[c];
        if (!stats && !clips) {
            // EXACT and WRAP need only Σ q·x: wrap(Σ, P) equals wrapping after every update, since
            // (a + b) mod 2^P = ((a mod 2^P) + b) mod 2^P. A saturating register that cannot clip is Σ too.
            r[0] = intSafe[c] ? dotInt(w, x, k) : dotLong(w, x, k);
            return mode == AccumulatorMode.WRAP ? wrap(r[0]) : r[0];
        }
        if (intSafe[c] && (!clips || satInt[c])) {
            scanInt(w, x, k, simd, clips, (int) regMin, (int) regMax, r);
        } else {
            scanLong(w, x, k, simd, clips, regMin, regMax, r);
        }
        return switch (mode) {
            case EXACT -> r[0];
            case WRAP -> wrap(r[0]);
            case SATURATE -> clips ? r[3] : r[0];
        };
    }

    /** wrap(v, P) = v mod 2^P read as signed (PBitArithmetic#wrap), with the shift precomputed. */
    private long wrap(long v) {
        return (v << wrapShift) >> wrapShift;
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

    /**
     * One dot product cycle by cycle in int: r = {exact sum, min partial sum, max partial sum,
     * saturating register}; partial sums are taken once per cycle (after SIMD lane products), and the
     * register reg ← clamp(reg + laneSum, lo, hi) is kept only when {@code clamp}. Called only when
     * the row's worst case [lo_w, hi_w] fits an int (every lane and partial sum is a subset sum, so
     * within it) and, with {@code clamp}, needs at most 31 bits: then |reg| ≤ 2^29 (P is below the
     * row's width) and |laneSum| ≤ 2^30, so reg + laneSum fits an int too. int min/max compile to
     * conditional moves, so a register sitting on a rail causes no branch mispredictions.
     */
    static void scanInt(int[] w, int[] x, int k, int simd, boolean clamp, int lo, int hi, long[] r) {
        int s = 0;
        int mn = 0;
        int mx = 0;
        int reg = 0;
        for (int i = 0; i < k; i += simd) {
            int lane = 0;
            for (int j = i; j < i + simd; j++) {
                lane += w[j] * x[j];
            }
            s += lane;
            mn = Math.min(mn, s);
            mx = Math.max(mx, s);
            if (clamp) {
                reg = Math.min(Math.max(reg + lane, lo), hi);
            }
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
        r[3] = reg;
    }

    /**
     * {@link #scanInt} in long. reg + laneSum cannot overflow: |reg| ≤ 2^62 for P ≤ 63 and
     * |laneSum| ≤ 2^62 (a subset sum within the checked worst case); with P = 64 every row fits and
     * nothing clamps.
     */
    static void scanLong(int[] w, int[] x, int k, int simd, boolean clamp, long lo, long hi, long[] r) {
        long s = 0;
        long mn = 0;
        long mx = 0;
        long reg = 0;
        for (int i = 0; i < k; i += simd) {
            long lane = 0;
            for (int j = i; j < i + simd; j++) {
                lane += (long) w[j] * x[j];
            }
            s += lane;
            mn = Math.min(mn, s);
            mx = Math.max(mx, s);
            if (clamp) {
                reg = Math.min(Math.max(reg + lane, lo), hi);
            }
        }
        r[0] = s;
        r[1] = mn;
        r[2] = mx;
        r[3] = reg;
    }

    // ---------------------------------------------------------------------------------------------
    // Many dot products at once

    /**
     * Outputs for n input vectors stored as columns: x[i][j] is element i of vector j (K rows, each
     * holding at least n values: the im2col "columns" layout), out[c][j] receives channel c's
     * register for vector j, and {@code tally} (may be null) gets the same statistics as
     * {@link #compute(int[][], long[][], OverflowTally)} on the vectors one by one.
     *
     * <p>Same numbers, different loop order: every dot product still visits its elements in the
     * MAC-array order i = 0, 1, ..., K−1 (SIMD lane products summed per cycle), but the inner loop
     * runs across the n independent dot products, so it vectorises in every mode. For SATURATE that
     * is what makes the order-dependent register fast: reg[j] ← clamp(reg[j] + laneSum[j]) for all j
     * at one cycle. A zero weight is skipped: it adds 0 to every sum, and clamp(reg + 0) = reg since
     * a register is always in range, so skipping changes no register, partial sum or extreme.
     *
     * <p>Rows whose worst case does not fit an int (or, when scanned, needs more than 31 bits) run
     * the row path vector by vector. Thread-safe: each call allocates its own scratch.
     */
    public void computeColumns(int[][] x, int n, long[][] out, OverflowTally tally) {
        if (x == null || out == null || n < 1 || x.length < k || out.length < cout) {
            throw new EngineException("for n ≥ 1 vectors give " + k + " input rows (columns layout) and " + cout
                    + " output rows");
        }
        for (int i = 0; i < k; i++) {
            if (x[i] == null || x[i].length < n) {
                throw new EngineException("input row " + i + " needs at least " + n + " values (one per vector)");
            }
            if (!format.contains(x[i], 0, n)) {
                for (int j = 0; j < n; j++) {
                    if (x[i][j] < format.min() || x[i][j] > format.max()) {
                        throw new EngineException("input vector " + j + ": element " + i + " is " + x[i][j]
                                + ", outside the " + format.finnName() + " range [" + format.min() + ", "
                                + format.max() + "]; quantize the inputs to " + format.finnName()
                                + " or declare a format wide enough for them");
                    }
                }
            }
        }
        for (int c = 0; c < cout; c++) {
            if (out[c] == null || out[c].length < n) {
                throw new EngineException("output row " + c + " needs at least " + n + " values (one per vector)");
            }
        }
        checkTally(tally);
        columns(x, n, out, tally);
    }

    /** {@link #computeColumns} without the checks, for callers that built x from checked codes. */
    void columns(int[][] x, int n, long[][] out, OverflowTally tally) {
        int[] acc = new int[n];
        int[] mn = new int[n];
        int[] mx = new int[n];
        int[] reg = new int[n];
        int[] lane = simd > 1 ? new int[n] : null;
        for (int c = 0; c < cout; c++) {
            boolean clips = mode == AccumulatorMode.SATURATE && !fitsP[c];
            long[] o = out[c];
            if (!clips && tally == null && intSafe[c]) {
                sumColumns(nzIndex[c], nzValue[c], x, n, acc);
                if (mode == AccumulatorMode.WRAP) {
                    for (int j = 0; j < n; j++) {
                        o[j] = wrap(acc[j]);
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        o[j] = acc[j];
                    }
                }
            } else if (satInt[c]) {
                scanColumns(rows[c], x, n, simd, clips, (int) regMin, (int) regMax, acc, mn, mx, reg, lane);
                for (int j = 0; j < n; j++) {
                    long result = clips ? reg[j] : (mode == AccumulatorMode.WRAP ? wrap(acc[j]) : acc[j]);
                    o[j] = result;
                    if (tally != null) {
                        tally.record(c, acc[j], result, mn[j], mx[j]);
                    }
                }
            } else {
                columnsByRows(c, x, n, o, tally);
            }
        }
    }

    /**
     * acc[j] = Σ_i w_i·x[idx_i][j] over the nonzero weights (positions idx, values w), in int: exact,
     * as the row's worst case fits an int and every partial sum, four terms at a time included, is
     * a subset sum within it. Four input rows per pass load and store each accumulator once per
     * four products; each row is its own array indexed by j alone, which is what the JIT vectorises.
     */
    static void sumColumns(int[] idx, int[] w, int[][] x, int n, int[] acc) {
        java.util.Arrays.fill(acc, 0, n, 0);
        int m = idx.length;
        int t = 0;
        for (; t + 4 <= m; t += 4) {
            int w0 = w[t];
            int w1 = w[t + 1];
            int w2 = w[t + 2];
            int w3 = w[t + 3];
            int[] x0 = x[idx[t]];
            int[] x1 = x[idx[t + 1]];
            int[] x2 = x[idx[t + 2]];
            int[] x3 = x[idx[t + 3]];
            for (int j = 0; j < n; j++) {
                acc[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j];
            }
        }
        for (; t < m; t++) {
            int wt = w[t];
            int[] xt = x[idx[t]];
            for (int j = 0; j < n; j++) {
                acc[j] += wt * xt[j];
            }
        }
    }

    /**
     * {@link #scanInt} for n vectors at once: exact sums, the min/max of their partial sums per cycle
     * and, with {@code clamp}, the saturating registers. Only for rows whose worst case needs at most
     * 31 bits, so every sum, lane sum and extreme lies in [−2^30, 2^30) and differences of two of
     * them fit an int; with {@code clamp}, P ≤ 30 (the row does not fit P), so |reg| ≤ 2^29 and
     * reg + laneSum and its distances to the rails fit too. That makes the branch-free forms exact:
     * min(a, b) = a + (d &amp; (d &gt;&gt; 31)) with d = b − a (d &gt;&gt; 31 is −1 when b &lt; a, else 0),
     * max(a, b) = a + (d &amp; ~(d &gt;&gt; 31)), and they vectorise where Math.min/max on int do not.
     */
    static void scanColumns(int[] w, int[][] x, int n, int simd, boolean clamp, int lo, int hi, int[] acc,
                            int[] mn, int[] mx, int[] reg, int[] lane) {
        int k = w.length;
        java.util.Arrays.fill(acc, 0, n, 0);
        java.util.Arrays.fill(mn, 0, n, 0);
        java.util.Arrays.fill(mx, 0, n, 0);
        java.util.Arrays.fill(reg, 0, n, 0);
        for (int i = 0; i < k; i += simd) {
            int[] add;   // this cycle's lane sums: the product row itself when SIMD = 1
            int scale;
            if (simd == 1) {
                scale = w[i];
                add = x[i];
                if (scale == 0) {
                    continue;
                }
            } else {
                boolean any = false;
                for (int e = i; e < i + simd; e++) {
                    int we = w[e];
                    if (we == 0) {
                        continue;
                    }
                    int[] xe = x[e];
                    if (!any) {
                        for (int j = 0; j < n; j++) {
                            lane[j] = we * xe[j];
                        }
                        any = true;
                    } else {
                        for (int j = 0; j < n; j++) {
                            lane[j] += we * xe[j];
                        }
                    }
                }
                if (!any) {
                    continue;   // an all-zero cycle adds 0: nothing changes
                }
                scale = 1;
                add = lane;
            }
            // Two loops rather than one: each vectorises, the fused one does not.
            for (int j = 0; j < n; j++) {
                int sum = acc[j] + scale * add[j];
                acc[j] = sum;
                int dn = sum - mn[j];
                mn[j] += dn & (dn >> 31);
                int dx = sum - mx[j];
                mx[j] += dx & ~(dx >> 31);
            }
            if (clamp) {
                for (int j = 0; j < n; j++) {
                    int v = reg[j] + scale * add[j];
                    int dl = lo - v;
                    v += dl & ~(dl >> 31);              // max(v, lo)
                    int dh = hi - v;
                    reg[j] = v + (dh & (dh >> 31));     // min(v, hi)
                }
            }
        }
    }

    /** Channel c of n column vectors through the row path, one vector at a time (rows beyond int). */
    private void columnsByRows(int c, int[][] x, int n, long[] out, OverflowTally tally) {
        int[] v = new int[k];
        long[] r = new long[4];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) {
                v[i] = x[i][j];
            }
            long result = rowResult(c, v, r, tally != null);
            out[j] = result;
            if (tally != null) {
                tally.record(c, r[0], result, r[1], r[2]);
            }
        }
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
