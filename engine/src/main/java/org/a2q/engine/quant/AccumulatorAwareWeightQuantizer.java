package org.a2q.engine.quant;

import java.util.List;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.LargestMagnitude;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.WeightTransform;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Accumulator-aware weight quantizer, A2Q (ICCV 2023) or A2Q+ (ICML 2024), per output channel.
 *
 * <p>Forward (a2q-math.md §3.1), with v viewed as [Cout, K] rows:
 * <pre>
 *   u   = v                      (A2Q)   or  v − mean(v)   (A2Q+, per row)
 *   g′  = min(g/s, T)            T = T_A2Q(P, N, 1_s) or T_+(P, N)
 *   pre = max(‖u‖₁/g′, 1e-10)
 *   z   = u/pre                  so Σ|z| = g′ ≤ T
 *   q   = clamp(rtz(z), ±(2^(M−1) − 1)),   ŵ = s·q
 * </pre>
 * g is learned as t = log₂g, s as d = log₂s (default) or directly (§3.2). Backward follows the
 * straight-through rules of §3.3. The trainer adds {@link #penalty()} = λ·Σ relu(g − T·s), λ = 1e-3,
 * which only restores gradient flow to a g stuck above the clamp (§8 item 9).
 *
 * <p><b>Floating-point guard (deviation).</b> In exact arithmetic Σ|z| = g′ ≤ T. In float32 the row
 * sum ‖u‖₁ and the products u·(1/pre) carry rounding errors of relative size up to about K·2^−24,
 * and for A2Q+ the centred row does not sum to exactly zero, so one side could exceed g′/2. To keep
 * the guarantee rigorous in the training dtype, T is shrunk by a factor (1 − (2K+4)·u) with u the
 * unit roundoff of the dtype, and A2Q+ normalises by ‖u‖₁ + |Σu| = 2·max(Pos(u), Neg(u)) instead of
 * ‖u‖₁ (equal in exact arithmetic). Both change results by less than (2K+4)·u relatively, i.e.
 * ≈ 1e-13 in double; the gradient treats them as the exact quantities.
 *
 * <p><b>Degenerate rows.</b> A row with ‖u‖₁ = 0 (all-equal weights under A2Q+, K = 1, a zero row)
 * gets q = 0 through the clamp on pre (§8 item 6). Its v-gradient is set to 0 instead of the
 * 1/1e-10 blow-up the straight-through clamp would give.
 *
 * <p>Performance: float32 weights in a JVM with the Vector API go one output channel at a time
 * through SIMD loops ({@link SimdChannelRows}): 3 loops over the row forward (A2Q+; 2 for A2Q) and
 * 2–3 backward, the row staying in the L1 cache between them, with the row's scalars computed in
 * Java in between. In LeNet's training step that took 49–139 µs less per step than the libnd4j
 * passes below (alternated step by step in one process), which remain for double weights, a JVM
 * without the module and arrays the loops cannot view. Both share the per-row scalars (g, s, g′,
 * 1/pre and the gradient coefficients, {@code rowForward} and {@code rowBackward}), computed in
 * Java; the passes' [Cout, K] work is 6 native passes forward and 8 backward for A2Q
 * (A2Q+ adds 3 and 2; 2 and 4 more when some |z| reaches 2^(M−1), the only case in which the clamp
 * bites, checked with one BLAS pass whenever some g′ ≥ 2^(M−1)), on buffers allocated once per
 * shape and dtype, in the dtype of v, with one scratch buffer for every intermediate that is not
 * kept from forward to backward (fewer buffers, fewer cache misses in a training step, where the
 * halves' activations have evicted them). The ops are
 * libnd4j's elementwise loops and OpenBLAS's gemv (row sums) called directly, bound to these
 * buffers ({@link org.a2q.engine.nn.LegacyLoop}, {@link org.a2q.engine.nn.RowProduct}).
 */
public final class AccumulatorAwareWeightQuantizer implements WeightTransform {
    /** Weight of the regulariser in the reference examples (§3.3). */
    public static final double DEFAULT_PENALTY_WEIGHT = 1e-3;
    /** Clamp-min of pre = ‖u‖₁/g′ (§3.2). */
    static final double PRE_MIN = 1e-10;

    private final String name;
    private final A2qVariant variant;
    private final int channels;
    private final int weightBits;
    private final int accumulatorBits;
    private final long maxLevel; // 2^(M−1) − 1, narrow signed range (§1)
    private final LearnedChannelScale norm; // t = log₂ g
    private final LearnedChannelScale scale; // d = log₂ s, or s
    private double penaltyWeight = DEFAULT_PENALTY_WEIGHT;

    private int inputBits;
    private boolean inputSigned;
    private double budget; // T

    // per-row state of the last forward pass (Java side)
    private final double[] rawNorm;
    private final double[] rawScale;
    private final double[] normValue; // g after clamp-min
    private final double[] scaleValue; // s after clamp-min
    private final double[] budgetUsed; // g′
    private final double[] rowL1; // ‖u‖₁ (A2Q+: ‖u‖₁ + |Σu|)
    private final boolean[] normClamped; // g/s above the (guarded) T: no task gradient to g, s via g′
    private final boolean[] degenerate; // ‖u‖₁/g′ below PRE_MIN
    private final double[] gradNorm;
    private final double[] gradScale;
    // Java copies of the per-row ND4J vectors (read and written in bulk, see Buffers.readVector)
    private final double[] rowNormValues;
    private final double[] rowSumValues;
    private final double[] invPreValues;
    private final double[] dotQValues;
    private final double[] dotZValues;
    private final double[] alphaValues;
    private final double[] betaValues;
    private boolean clipPossible;
    private boolean forwardDone;

    // ND4J buffers, allocated for one (K, dtype)
    private int k = -1;
    private DataType dtype;
    private INDArray vRows;
    private INDArray centred; // A2Q+ only
    private INDArray rowMean;
    private INDArray rowSum;
    private INDArray rowNorm;
    private INDArray rowInvPre;
    private INDArray rowScale;
    private INDArray rowAlpha;
    private INDArray rowBeta;
    private INDArray rowDotQ;
    private INDArray rowDotZ;
    private INDArray zRows;
    private LargestMagnitude zMagnitude;   // max |z|, bound to zRows
    private INDArray qRows;
    private INDArray intRows;
    private INDArray productRows;   // scratch: |u|, the clip mask, the row-dot products, sign(u)·β
    private INDArray rowMeanCol;
    private INDArray rowInvPreCol;
    private INDArray rowScaleCol;
    private INDArray rowAlphaCol;
    private INDArray rowBetaCol;
    private final ChannelRows.Ops ops = new ChannelRows.Ops();
    // native memory of the rows for the SIMD loops (NativeFloatSpan.SIMD)
    private final NativeFloatSpan vSpan = new NativeFloatSpan();
    private final NativeFloatSpan uSpan = new NativeFloatSpan();
    private final NativeFloatSpan zSpan = new NativeFloatSpan();
    private final NativeFloatSpan qSpan = new NativeFloatSpan();
    private final NativeFloatSpan wSpan = new NativeFloatSpan();
    private final NativeFloatSpan cSpan = new NativeFloatSpan();
    private final NativeFloatSpan gSpan = new NativeFloatSpan();
    private final double[] rowSums = new double[2];
    private boolean simd = NativeFloatSpan.SIMD;
    private final ChannelRows.RowsView vView = new ChannelRows.RowsView();
    private final ChannelRows.RowsView gradWView = new ChannelRows.RowsView();
    private final ChannelRows.RowsView gradVView = new ChannelRows.RowsView();
    private INDArray maskedGradRows;
    private INDArray gradScratchRows;
    private INDArray out;
    private INDArray outRows;

    /**
     * @param name            prefix of the parameter names
     * @param variant         A2Q or A2Q+
     * @param outChannels     Cout, the number of rows
     * @param weightBits      M, 2..16
     * @param accumulatorBits P, 2..64
     * @param inputBits       N of the layer input, 1..16 (settable later: {@link #setInputFormat})
     * @param inputSigned     1_s of the layer input
     * @param scaleDomain     how s is learned; g is always learned as log₂g (§3.2)
     */
    public AccumulatorAwareWeightQuantizer(
            String name,
            A2qVariant variant,
            int outChannels,
            int weightBits,
            int accumulatorBits,
            int inputBits,
            boolean inputSigned,
            ScaleDomain scaleDomain) {
        if (outChannels < 1) {
            throw new EngineException("a weight quantizer needs at least one output channel, got " + outChannels);
        }
        AccumulatorBound.checkWeightBits(weightBits);
        AccumulatorBound.checkAccumulatorBits(accumulatorBits);
        this.name = name;
        this.variant = variant;
        this.channels = outChannels;
        this.weightBits = weightBits;
        this.accumulatorBits = accumulatorBits;
        this.maxLevel = (1L << (weightBits - 1)) - 1;
        this.norm = new LearnedChannelScale(name + ".log2_norm", ScaleDomain.LOG2, outChannels);
        this.scale = new LearnedChannelScale(
                name + (scaleDomain == ScaleDomain.LOG2 ? ".log2_scale" : ".scale"), scaleDomain, outChannels);
        this.rawNorm = new double[outChannels];
        this.rawScale = new double[outChannels];
        this.normValue = new double[outChannels];
        this.scaleValue = new double[outChannels];
        this.budgetUsed = new double[outChannels];
        this.rowL1 = new double[outChannels];
        this.normClamped = new boolean[outChannels];
        this.degenerate = new boolean[outChannels];
        this.gradNorm = new double[outChannels];
        this.gradScale = new double[outChannels];
        this.rowNormValues = new double[outChannels];
        this.rowSumValues = new double[outChannels];
        this.invPreValues = new double[outChannels];
        this.dotQValues = new double[outChannels];
        this.dotZValues = new double[outChannels];
        this.alphaValues = new double[outChannels];
        this.betaValues = new double[outChannels];
        double[] ones = new double[outChannels];
        java.util.Arrays.fill(ones, 1.0);
        norm.set(ones);
        scale.set(ones);
        setInputFormat(inputBits, inputSigned);
    }

    /** N and 1_s come from the layer's input quantizer (§1, §8 item 12); T is recomputed. */
    public void setInputFormat(int inputBits, boolean inputSigned) {
        this.budget = AccumulatorBound.budget(variant, accumulatorBits, inputBits, inputSigned);
        this.inputBits = inputBits;
        this.inputSigned = inputSigned;
    }

    public void setPenaltyWeight(double lambda) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new EngineException("penalty weight must be a finite value ≥ 0, got " + lambda);
        }
        this.penaltyWeight = lambda;
    }

    // ------------------------------------------------------------------ initialisation (§4)

    /**
     * Per-channel outcome of {@link #initialize}: s_c, g_c and, for EP, the radius r_c = s_c·T,
     * the projection's θ_c and ρ_c and whether channel c was projected at all.
     */
    public record InitSummary(
            double[] scale, double[] norm, double[] radius, double[] theta, int[] rho, boolean[] projected) {}

    /**
     * Initialises s and g from the float weights w (shape [Cout, …]; §4.1) and, for EP, overwrites
     * w in place with its projection onto the l1 ball of radius s·T (§4.3). The reference projects
     * the raw, un-centred w also for A2Q+ (§8 item 8); so does this.
     */
    public InitSummary initialize(INDArray weight, InitMode mode) {
        int kk = ChannelRows.dotLength(weight, channels);
        double[][] w = ChannelRows.rows(weight, channels, kk).toDoubleMatrix();
        double[] s = new double[channels];
        double[] g = new double[channels];
        double[] radius = new double[channels];
        double[] theta = new double[channels];
        int[] rho = new int[channels];
        boolean[] projected = new boolean[channels];
        for (int c = 0; c < channels; c++) {
            double maxAbs = 0;
            double l1 = 0;
            for (double x : w[c]) {
                maxAbs = Math.max(maxAbs, Math.abs(x));
                l1 += Math.abs(x);
            }
            s[c] = LearnedChannelScale.clampMin(maxAbs / maxLevel); // s = max|w|/(2^(M−1) − 1), §4.1
            g[c] = LearnedChannelScale.clampMin(l1); // g = ‖w‖₁ of the raw weights, §4.1
            radius[c] = s[c] * budget; // r = s·T, §4.3 step 2
            if (mode == InitMode.EP) {
                L1BallProjection.Result p = L1BallProjection.project(w[c], radius[c]);
                w[c] = p.values();
                theta[c] = p.theta();
                rho[c] = p.rho();
                projected[c] = p.projected();
                g[c] = Math.min(g[c], radius[c]); // g ← min(g, r), §4.3 step 5
            }
        }
        if (mode == InitMode.EP) {
            weight.assign(Nd4j.create(w).castTo(weight.dataType()).reshape(weight.shape()));
        }
        scale.set(s);
        norm.set(g);
        forwardDone = false;
        return new InitSummary(s, g, radius, theta, rho, projected);
    }

    // ------------------------------------------------------------------ forward (§3.1)

    @Override
    public INDArray forward(INDArray v) {
        prepare(v);
        vRows = vView.of(v, channels, k);
        if (simd && NativeFloatSpan.usable(vRows) && forwardRowByRow()) {
            forwardDone = true;
            return out;
        }
        INDArray u = vRows;
        if (variant == A2qVariant.A2Q_PLUS) {
            ops.rowMean(vRows, rowMean); // μ_v per row
            ops.sub(vRows, rowMeanCol, centred); // u = v − μ_v
            ops.rowSum(centred, rowSum); // Σu: ≈ 0, kept for the one-sided guard
            u = centred;
        }
        ops.rowNorm1(u, productRows, rowNorm); // ‖u‖₁ per row (|u| in the scratch)

        norm.readRaw(rawNorm);
        scale.readRaw(rawScale);
        double guardedBudget = guardedBudget();
        double maxBudgetUsed = 0;
        Buffers.readVector(rowNorm, rowNormValues);
        if (variant == A2qVariant.A2Q_PLUS) {
            Buffers.readVector(rowSum, rowSumValues);
        }
        for (int c = 0; c < channels; c++) {
            double l1 = rowNormValues[c];
            if (variant == A2qVariant.A2Q_PLUS) {
                l1 += Math.abs(rowSumValues[c]); // = 2·max(Pos(u), Neg(u))
            }
            invPreValues[c] = rowForward(c, guardedBudget, l1);
            maxBudgetUsed = Math.max(maxBudgetUsed, budgetUsed[c]);
        }
        Buffers.writeVector(invPreValues, rowInvPre);
        Buffers.writeVector(scaleValue, rowScale);
        Buffers.readVector(rowInvPre, invPreValues);   // as stored (rounded to the weights' type), for backward
        ops.mul(u, rowInvPreCol, zRows); // z = u/pre
        // |z_i| ≤ Σ|z| ≤ g′: if every g′ < 2^(M−1), rtz(z) is already in range and nothing clips.
        // Otherwise the largest |z| decides (one BLAS pass): below 2^(M−1) the clamp and its
        // straight-through mask change nothing and are skipped (6 passes; LeNet's fc1 has no
        // value that large after training, conv2 and fc2 have a few).
        clipPossible = maxBudgetUsed >= maxLevel + 1 && !(zMagnitude.value() < maxLevel + 1);
        INDArray src = zRows;
        if (clipPossible) {
            // clamp(rtz(z)) = rtz(clamp(z)) for an integer limit; clamping first keeps values small.
            ops.clamp(zRows, maxLevel, qRows);
            src = qRows;
        }
        ops.roundTowardZero(src, intRows, qRows);
        ops.mul(qRows, rowScaleCol, outRows); // ŵ = s·q
        forwardDone = true;
        return out;
    }

    /** Guarded budget, see the class comment: T·(1 − (2K+4)·u). */
    private double guardedBudget() {
        return budget * (1.0 - (2.0 * k + 4.0) * ChannelRows.unitRoundoff(dtype));
    }

    /**
     * The per-row scalars of the forward pass for row c from its l1 (A2Q+: ‖u‖₁ + |Σu|) and the
     * raw parameters read into rawNorm and rawScale: g, s, g′ = min(g/s, T), whether g/s is
     * clamped, whether the row is degenerate; returns 1/pre, pre = max(l1/g′, 1e-10).
     */
    private double rowForward(int c, double guardedBudget, double l1) {
        double g = LearnedChannelScale.clampMin(rawNorm[c]);
        double s = LearnedChannelScale.clampMin(rawScale[c]);
        double ratio = g / s;
        boolean clamped = ratio > guardedBudget;
        double gp = clamped ? guardedBudget : ratio; // g′ = min(g/s, T)
        double pre = l1 / gp;
        degenerate[c] = !(pre >= PRE_MIN);
        pre = Math.max(pre, PRE_MIN); // clamp-min with STE, §3.2
        normValue[c] = g;
        scaleValue[c] = s;
        budgetUsed[c] = gp;
        rowL1[c] = l1;
        normClamped[c] = clamped;
        return 1.0 / pre;
    }

    /**
     * The forward pass one row at a time in SIMD loops ({@link SimdChannelRows}): A2Q+ sums v, then
     * centres it into u summing u and |u|, and writes z, q and ŵ, each row read from memory once
     * and found in the cache by its other loops. False (nothing done) if a buffer cannot be viewed.
     */
    private boolean forwardRowByRow() {
        boolean plus = variant == A2qVariant.A2Q_PLUS;
        if (!(vSpan.bind(vRows) && uSpan.bind(plus ? centred : vRows) && zSpan.bind(zRows) && qSpan.bind(qRows)
                && wSpan.bind(outRows))) {
            return false;
        }
        norm.readRaw(rawNorm);
        scale.readRaw(rawScale);
        double guardedBudget = guardedBudget();
        float limit = maxLevel;
        double maxBudgetUsed = 0;
        double[] sums = rowSums;
        for (int c = 0; c < channels; c++) {
            int row = c * k;
            double l1;
            if (plus) {
                float mean = (float) (SimdChannelRows.sum(vSpan.bytes, vSpan.offset + row, k) / k); // μ_v
                SimdChannelRows.centre(vSpan.bytes, vSpan.offset + row, mean, uSpan.bytes, uSpan.offset + row, k, sums);
                l1 = sums[1] + Math.abs(sums[0]); // ‖u‖₁ + |Σu| = 2·max(Pos(u), Neg(u))
            } else {
                SimdChannelRows.centre(vSpan.bytes, vSpan.offset + row, 0f, null, 0, k, sums);
                l1 = sums[1];
            }
            float invPre = (float) rowForward(c, guardedBudget, l1);
            invPreValues[c] = invPre;   // as the passes keep it: rounded to the weights' type
            SimdChannelRows.quantize(uSpan.bytes, uSpan.offset + row, invPre, limit, (float) scaleValue[c], true,
                    zSpan.bytes, zSpan.offset + row, qSpan.bytes, qSpan.offset + row, wSpan.bytes, wSpan.offset + row, k);
            maxBudgetUsed = Math.max(maxBudgetUsed, budgetUsed[c]);
        }
        // For the libnd4j backward, should it run instead (the SIMD one always masks): |z| ≤ g′.
        clipPossible = maxBudgetUsed >= maxLevel + 1;
        return true;
    }

    // ------------------------------------------------------------------ backward (§3.3)

    @Override
    public void backward(INDArray gradW, INDArray gradV) {
        requireForward();
        if (simd && NativeFloatSpan.usable(gradW, gradV) && backwardRowByRow(gradWView.of(gradW, channels, k),
                gradVView.of(gradV, channels, k))) {
            return;
        }
        INDArray c = gradWView.of(gradW, channels, k);
        INDArray cm = c;
        if (clipPossible) {
            // TensorClamp after rtz: no gradient where |rtz(z)| > 2^(M−1) − 1, i.e. |z| ≥ 2^(M−1).
            double cut = dtype == DataType.DOUBLE
                    ? Math.nextDown((double) (maxLevel + 1))
                    : (double) Math.nextDown((float) (maxLevel + 1));
            ops.passUnclipped(c, zRows, cut, productRows, maskedGradRows);
            cm = maskedGradRows;
        }
        ops.rowDot(c, qRows, productRows, rowDotQ); // Σ c·q
        ops.rowDot(cm, zRows, productRows, rowDotZ); // Σ_unclipped c·z

        Buffers.readVector(rowDotQ, dotQValues);
        Buffers.readVector(rowDotZ, dotZValues);
        for (int r = 0; r < channels; r++) {
            rowBackward(r, dotQValues[r], dotZValues[r]);
        }
        Buffers.writeVector(alphaValues, rowAlpha);
        Buffers.writeVector(betaValues, rowBeta);
        INDArray u = variant == A2qVariant.A2Q_PLUS ? centred : vRows;
        boolean inPlace = Buffers.reshapesInPlace(gradV);
        INDArray g = inPlace ? gradVView.of(gradV, channels, k) : gradScratchRows;
        INDArray signTerm = productRows;   // the scratch is free again after the row dots
        ops.sign(u, signTerm);
        ops.mul(signTerm, rowBetaCol, signTerm);
        ops.mul(cm, rowAlphaCol, g);
        ops.sub(g, signTerm, g);
        if (variant == A2qVariant.A2Q_PLUS) {
            // u = v − mean(v): ∂u_i/∂v_j = δ_ij − 1/K, i.e. subtract the row mean of ∂L/∂u.
            ops.rowMean(g, rowMean);
            ops.sub(g, rowMeanCol, g);
        }
        if (!inPlace) {
            gradV.assign(g.reshape(gradV.shape()));
        }
        norm.setGradient(gradNorm, rawNorm); // ∂L/∂t = ∂L/∂g · g·ln2
        scale.setGradient(gradScale, rawScale); // ∂L/∂d = ∂L/∂s · s·ln2, or ∂L/∂s
    }

    /**
     * The per-row scalars of the backward pass from Σ c·q and Σ_unclipped c·z of row r: the
     * gradients of s and g and the coefficients α, β of ∂L/∂u = α·c_m − β·sign(u).
     */
    private void rowBackward(int r, double dotQ, double dotZ) {
        double s = scaleValue[r];
        double gp = budgetUsed[r];
        // ∂L/∂s = Σ c q − Σ_unclipped c z (unclamped: z ∝ 1/s); clamped: Σ c q only.
        gradScale[r] = normClamped[r] ? dotQ : dotQ - dotZ;
        // ∂L/∂g = Σ_unclipped c u/‖u‖₁ = Σ_unclipped c z/g′; 0 while g/s is clamped.
        gradNorm[r] = normClamped[r] ? 0.0 : dotZ / gp;
        if (degenerate[r]) {
            alphaValues[r] = 0.0;
            betaValues[r] = 0.0;
        } else {
            // ∂L/∂u = (s/pre)·c_m − sign(u)·s·Σ(c_m z)/‖u‖₁ (weight-norm Jacobian with l1).
            alphaValues[r] = s * invPreValues[r];
            betaValues[r] = s * dotZ / rowL1[r];
        }
    }

    /**
     * The backward pass one row at a time in SIMD loops: the two row dots, the row's scalars, the
     * weight-norm gradient into gradV (which may be gradW) and, for A2Q+, minus its row mean.
     * False (nothing done) if a buffer cannot be viewed.
     */
    private boolean backwardRowByRow(INDArray c, INDArray g) {
        boolean plus = variant == A2qVariant.A2Q_PLUS;
        if (!(cSpan.bind(c) && gSpan.bind(g) && uSpan.bind(plus ? centred : vRows) && zSpan.bind(zRows)
                && qSpan.bind(qRows))) {
            return false;
        }
        // no gradient past the clamp after rtz: |z| ≥ 2^(M−1) (cut: the float below it)
        float cut = Math.nextDown((float) (maxLevel + 1));
        double[] dots = rowSums;
        for (int r = 0; r < channels; r++) {
            int row = r * k;
            SimdChannelRows.dots(cSpan.bytes, cSpan.offset + row, qSpan.bytes, qSpan.offset + row, zSpan.bytes,
                    zSpan.offset + row, cut, null, 0, k, dots);
            rowBackward(r, dots[0], dots[1]);
            double sum = SimdChannelRows.gradient(cSpan.bytes, cSpan.offset + row, zSpan.bytes, zSpan.offset + row,
                    uSpan.bytes, uSpan.offset + row, cut, (float) alphaValues[r], (float) betaValues[r],
                    gSpan.bytes, gSpan.offset + row, k);
            if (plus) {
                // u = v − mean(v): ∂u_i/∂v_j = δ_ij − 1/K, i.e. subtract the row mean of ∂L/∂u.
                SimdChannelRows.subtract(gSpan.bytes, gSpan.offset + row, (float) (sum / k), k);
            }
        }
        norm.setGradient(gradNorm, rawNorm); // ∂L/∂t = ∂L/∂g · g·ln2
        scale.setGradient(gradScale, rawScale); // ∂L/∂d = ∂L/∂s · s·ln2, or ∂L/∂s
        return true;
    }

    @Override
    public List<Param> params() {
        return List.of(norm.param(), scale.param());
    }

    // ------------------------------------------------------------------ regulariser (§3.3)

    /** λ·Σ_c relu(g_c − T·s_c), from the current parameter values. */
    @Override
    public double penalty() {
        norm.readRaw(rawNorm);
        scale.readRaw(rawScale);
        double sum = 0;
        for (int c = 0; c < channels; c++) {
            double excess = LearnedChannelScale.clampMin(rawNorm[c]) - budget * LearnedChannelScale.clampMin(rawScale[c]);
            if (excess > 0) {
                sum += excess;
            }
        }
        return penaltyWeight * sum;
    }

    /** ∂R/∂g = λ, ∂R/∂s = −λT where g > T·s (§3.3), chained into the stored parameters. */
    @Override
    public void addPenaltyGradient() {
        norm.readRaw(rawNorm);
        scale.readRaw(rawScale);
        double[] dg = null;
        double[] ds = null;
        for (int c = 0; c < channels; c++) {
            if (LearnedChannelScale.clampMin(rawNorm[c]) > budget * LearnedChannelScale.clampMin(rawScale[c])) {
                if (dg == null) {
                    dg = new double[channels];
                    ds = new double[channels];
                }
                dg[c] = penaltyWeight;
                ds[c] = -penaltyWeight * budget;
            }
        }
        if (dg != null) {   // no channel above T·s (the usual case after EP-init): nothing to add, no native round trip
            norm.addGradient(dg, rawNorm);
            scale.addGradient(ds, rawScale);
        }
    }

    /** Tests: false runs the libnd4j passes even where the SIMD loops could (true: where they can). */
    void useSimd(boolean on) {
        simd = on && NativeFloatSpan.SIMD;
    }

    // ------------------------------------------------------------------ accessors

    public String name() {
        return name;
    }

    public A2qVariant variant() {
        return variant;
    }

    public ScaleDomain scaleDomain() {
        return scale.domain();
    }

    public int outChannels() {
        return channels;
    }

    public int weightBits() {
        return weightBits;
    }

    public int accumulatorBits() {
        return accumulatorBits;
    }

    public int inputBits() {
        return inputBits;
    }

    public boolean inputSigned() {
        return inputSigned;
    }

    /** T of this layer: T_A2Q(P, N, 1_s) or T_+(P, N). */
    public double bound() {
        return budget;
    }

    public double penaltyWeight() {
        return penaltyWeight;
    }

    /** The parameter t = log₂g. */
    public Param normParam() {
        return norm.param();
    }

    /** The parameter d = log₂s (LOG2 domain) or s (FLOAT domain). */
    public Param scaleParam() {
        return scale.param();
    }

    /** Per-channel s = clamp-min(2^d or s), from the current parameters. */
    public double[] scales() {
        return scale.clampedValues();
    }

    /** Per-channel g = clamp-min(2^t), from the current parameters. */
    public double[] norms() {
        return norm.clampedValues();
    }

    /** Whether g_c/s_c exceeded T in the last forward pass, so g′ = T (the constraint is active). */
    public boolean[] normClamped() {
        requireForward();
        return normClamped.clone();
    }

    /** g′_c = min(g_c/s_c, T) of the last forward pass: the integer-domain l1 budget used. */
    public double[] budgetsUsed() {
        requireForward();
        return budgetUsed.clone();
    }

    /** z = u/pre of the last forward pass, before rounding, as [Cout][K]. */
    public double[][] preRoundingValues() {
        requireForward();
        return zRows.toDoubleMatrix();
    }

    /** Integer weights q of the last forward pass with Pos, Neg, ‖q‖₁ per channel. */
    public IntegerWeights integerWeights() {
        requireForward();
        return IntegerWeights.of(ChannelRows.toLongRows(qRows));
    }

    // ------------------------------------------------------------------ internals

    private void requireForward() {
        if (!forwardDone) {
            throw new IllegalStateException("call forward() first");
        }
    }

    private void prepare(INDArray v) {
        int kk = ChannelRows.dotLength(v, channels);
        DataType type = v.dataType();
        if (kk == k && type == dtype && out != null && java.util.Arrays.equals(out.shape(), v.shape())) {
            return;
        }
        ChannelRows.unitRoundoff(type); // rejects non-floating weights
        ops.clear();
        k = kk;
        dtype = type;
        centred = variant == A2qVariant.A2Q_PLUS ? Nd4j.create(type, channels, k) : null;
        rowMean = Nd4j.create(type, channels);
        rowSum = Nd4j.create(type, channels);
        rowNorm = Nd4j.create(type, channels);
        rowInvPre = Nd4j.create(type, channels);
        rowScale = Nd4j.create(type, channels);
        rowAlpha = Nd4j.create(type, channels);
        rowBeta = Nd4j.create(type, channels);
        rowDotQ = Nd4j.create(type, channels);
        rowDotZ = Nd4j.create(type, channels);
        zRows = Nd4j.create(type, channels, k);
        zMagnitude = new LargestMagnitude(zRows);
        qRows = Nd4j.create(type, channels, k);
        // |codes| ≤ 2^(M−1) − 1 (clamped, or bounded by g′ < 2^(M−1)): 8 or 16 bits hold them, and
        // the rtz round trip moves a quarter or half of the bytes an int buffer would.
        intRows = Nd4j.create(weightBits <= 8 ? DataType.BYTE : DataType.SHORT, channels, k);
        productRows = Nd4j.create(type, channels, k);
        rowMeanCol = rowMean.reshape(channels, 1);
        rowInvPreCol = rowInvPre.reshape(channels, 1);
        rowScaleCol = rowScale.reshape(channels, 1);
        rowAlphaCol = rowAlpha.reshape(channels, 1);
        rowBetaCol = rowBeta.reshape(channels, 1);
        maskedGradRows = Nd4j.create(type, channels, k);
        gradScratchRows = Nd4j.create(type, channels, k);
        out = Nd4j.create(type, v.shape());
        outRows = out.reshape('c', channels, k);
    }
}
