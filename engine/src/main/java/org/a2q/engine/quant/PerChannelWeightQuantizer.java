package org.a2q.engine.quant;

import java.util.List;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.WeightTransform;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Baseline per-output-channel weight quantizer of ordinary QAT (no accumulator constraint):
 * ŵ = s·q with q = round(clamp(v/s, ±(2^(M−1) − 1))), round-half-to-even, narrow signed range
 * (a2q-math.md §1), s learned per channel as log₂s (default) or s (§3.2), initialised from the
 * per-channel abs-max (§4.1). Its accumulator must be sized by the data-type bound (§2.1).
 *
 * <p>Gradients are the straight-through/LSQ ones of §3.3: ∂L/∂v = c inside the range and 0 where
 * clamped; ∂L/∂s = Σ_inside c(q − v/s) + Σ_clamped c·q.
 */
public final class PerChannelWeightQuantizer implements WeightTransform {
    private final String name;
    private final int channels;
    private final int weightBits;
    private final long maxLevel;
    private final LearnedChannelScale scale;
    private final double[] rawScale;
    private final double[] gradScale;
    // Java copies of the per-row ND4J vectors (read and written in bulk, see Buffers.readVector)
    private final double[] scaleValues;
    private final double[] invScaleValues;
    private final double[] dotQValues;
    private final double[] dotXValues;
    private boolean forwardDone;

    private int k = -1;
    private DataType dtype;
    private INDArray rowInvScale;
    private INDArray rowScale;
    private INDArray rowDotQ;
    private INDArray rowDotX;
    private INDArray xRows;
    private INDArray qRows;
    private INDArray scratchRows;   // the clip mask, then the row-dot products
    private INDArray gradScratchRows;
    private INDArray rowInvScaleCol;
    private INDArray rowScaleCol;
    private final ChannelRows.Ops ops = new ChannelRows.Ops();
    private final ChannelRows.RowsView vView = new ChannelRows.RowsView();
    // native memory of the rows for the SIMD loops (NativeFloatSpan.SIMD)
    private final NativeFloatSpan vSpan = new NativeFloatSpan();
    private final NativeFloatSpan xSpan = new NativeFloatSpan();
    private final NativeFloatSpan qSpan = new NativeFloatSpan();
    private final NativeFloatSpan wSpan = new NativeFloatSpan();
    private final NativeFloatSpan cSpan = new NativeFloatSpan();
    private final NativeFloatSpan gSpan = new NativeFloatSpan();
    private final double[] rowDots = new double[2];   // {Σ c·q, Σ_inside c·x} of one row, SIMD backward
    private boolean simd = NativeFloatSpan.SIMD;
    private final ChannelRows.RowsView gradWView = new ChannelRows.RowsView();
    private final ChannelRows.RowsView gradVView = new ChannelRows.RowsView();
    private INDArray out;
    private INDArray outRows;

    public PerChannelWeightQuantizer(String name, int outChannels, int weightBits, ScaleDomain scaleDomain) {
        if (outChannels < 1) {
            throw new EngineException("a weight quantizer needs at least one output channel, got " + outChannels);
        }
        AccumulatorBound.checkWeightBits(weightBits);
        this.name = name;
        this.channels = outChannels;
        this.weightBits = weightBits;
        this.maxLevel = (1L << (weightBits - 1)) - 1;
        this.scale = new LearnedChannelScale(
                name + (scaleDomain == ScaleDomain.LOG2 ? ".log2_scale" : ".scale"), scaleDomain, outChannels);
        this.rawScale = new double[outChannels];
        this.gradScale = new double[outChannels];
        this.scaleValues = new double[outChannels];
        this.invScaleValues = new double[outChannels];
        this.dotQValues = new double[outChannels];
        this.dotXValues = new double[outChannels];
        double[] ones = new double[outChannels];
        java.util.Arrays.fill(ones, 1.0);
        scale.set(ones);
    }

    /** s_c = max_i |w_c,i| / (2^(M−1) − 1), clamped to at least 1e-10 (§4.1). Returns s. */
    public double[] initialize(INDArray weight) {
        int kk = ChannelRows.dotLength(weight, channels);
        double[][] w = ChannelRows.rows(weight, channels, kk).toDoubleMatrix();
        double[] s = new double[channels];
        for (int c = 0; c < channels; c++) {
            double maxAbs = 0;
            for (double x : w[c]) {
                maxAbs = Math.max(maxAbs, Math.abs(x));
            }
            s[c] = LearnedChannelScale.clampMin(maxAbs / maxLevel);
        }
        scale.set(s);
        forwardDone = false;
        return s;
    }

    @Override
    public INDArray forward(INDArray v) {
        prepare(v);
        scale.readRaw(rawScale);
        for (int c = 0; c < channels; c++) {
            double s = LearnedChannelScale.clampMin(rawScale[c]);
            scaleValues[c] = s;
            invScaleValues[c] = 1.0 / s;
        }
        INDArray vRows = vView.of(v, channels, k);
        if (simd && NativeFloatSpan.usable(vRows) && vSpan.bind(vRows) && xSpan.bind(xRows) && qSpan.bind(qRows)
                && wSpan.bind(outRows)) {
            // One SIMD loop per row; 1/s and s rounded to float as the passes' row vectors hold them.
            for (int c = 0; c < channels; c++) {
                int row = c * k;
                SimdChannelRows.quantize(vSpan.bytes, vSpan.offset + row, (float) invScaleValues[c], maxLevel,
                        (float) scaleValues[c], false, xSpan.bytes, xSpan.offset + row, qSpan.bytes, qSpan.offset + row,
                        wSpan.bytes, wSpan.offset + row, k);
            }
            forwardDone = true;
            return out;
        }
        Buffers.writeVector(scaleValues, rowScale);
        Buffers.writeVector(invScaleValues, rowInvScale);
        ops.mul(vRows, rowInvScaleCol, xRows); // x = v/s
        ops.clamp(xRows, maxLevel, qRows);
        ops.roundHalfEven(qRows, qRows); // half-to-even, like torch.round
        ops.mul(qRows, rowScaleCol, outRows); // ŵ = s·q
        forwardDone = true;
        return out;
    }

    @Override
    public void backward(INDArray gradW, INDArray gradV) {
        if (!forwardDone) {
            throw new IllegalStateException("call forward() first");
        }
        INDArray c = gradWView.of(gradW, channels, k);
        if (simd && NativeFloatSpan.usable(gradW, gradV) && cSpan.bind(c) && gSpan.bind(gradVView.of(gradV, channels, k))
                && qSpan.bind(qRows) && xSpan.bind(xRows)) {
            double[] dots = rowDots;
            for (int r = 0; r < channels; r++) {
                int row = r * k;
                SimdChannelRows.dots(cSpan.bytes, cSpan.offset + row, qSpan.bytes, qSpan.offset + row, xSpan.bytes,
                        xSpan.offset + row, maxLevel, gSpan.bytes, gSpan.offset + row, k, dots);
                gradScale[r] = dots[0] - dots[1];
            }
            scale.setGradient(gradScale, rawScale);
            return;
        }
        boolean inPlace = Buffers.reshapesInPlace(gradV);
        INDArray g = inPlace ? gradVView.of(gradV, channels, k) : gradScratchRows;
        ops.rowDot(c, qRows, scratchRows, rowDotQ); // Σ c·q, before g (maybe c itself) is written
        ops.passUnclipped(c, xRows, maxLevel, scratchRows, g); // ∂L/∂v = c where |v/s| ≤ 2^(M−1) − 1
        ops.rowDot(g, xRows, scratchRows, rowDotX); // Σ_inside c·x
        Buffers.readVector(rowDotQ, dotQValues);
        Buffers.readVector(rowDotX, dotXValues);
        for (int r = 0; r < channels; r++) {
            gradScale[r] = dotQValues[r] - dotXValues[r];
        }
        if (!inPlace) {
            gradV.assign(g.reshape(gradV.shape()));
        }
        scale.setGradient(gradScale, rawScale);
    }

    @Override
    public List<Param> params() {
        return List.of(scale.param());
    }

    /** Tests: false runs the libnd4j passes even where the SIMD loops could (true: where they can). */
    void useSimd(boolean on) {
        simd = on && NativeFloatSpan.SIMD;
    }

    public String name() {
        return name;
    }

    public int outChannels() {
        return channels;
    }

    public int weightBits() {
        return weightBits;
    }

    public ScaleDomain scaleDomain() {
        return scale.domain();
    }

    public Param scaleParam() {
        return scale.param();
    }

    /** Per-channel s = clamp-min(2^d or s), from the current parameters. */
    public double[] scales() {
        return scale.clampedValues();
    }

    /** Integer weights q of the last forward pass with Pos, Neg, ‖q‖₁ per channel. */
    public IntegerWeights integerWeights() {
        if (!forwardDone) {
            throw new IllegalStateException("call forward() first");
        }
        return IntegerWeights.of(ChannelRows.toLongRows(qRows));
    }

    private void prepare(INDArray v) {
        int kk = ChannelRows.dotLength(v, channels);
        DataType type = v.dataType();
        if (kk == k && type == dtype && out != null && java.util.Arrays.equals(out.shape(), v.shape())) {
            return;
        }
        ChannelRows.unitRoundoff(type);
        ops.clear();
        k = kk;
        dtype = type;
        rowInvScale = Nd4j.create(type, channels);
        rowScale = Nd4j.create(type, channels);
        rowDotQ = Nd4j.create(type, channels);
        rowDotX = Nd4j.create(type, channels);
        xRows = Nd4j.create(type, channels, k);
        qRows = Nd4j.create(type, channels, k);
        scratchRows = Nd4j.create(type, channels, k);
        gradScratchRows = Nd4j.create(type, channels, k);
        rowInvScaleCol = rowInvScale.reshape(channels, 1);
        rowScaleCol = rowScale.reshape(channels, 1);
        out = Nd4j.create(type, v.shape());
        outRows = out.reshape('c', channels, k);
    }
}
