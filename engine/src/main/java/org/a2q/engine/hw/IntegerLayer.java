package org.a2q.engine.hw;

import java.util.EnumMap;
import java.util.Map;

import org.a2q.engine.EngineException;
import org.a2q.engine.quant.AccumulatorWidths;
import org.a2q.engine.quant.QuantMethod;

/**
 * One conv/linear layer of an {@link IntegerModel}: integer weights q[Cout][K] in the layer's
 * row-major order (K index = (ci·kh + a)·kw + b for a conv), per-channel weight scales s_w, the
 * bias, the integer input format with its scale s_x, and the accumulator width P it runs at.
 * A linear layer is the 1×1-pixel case (kernel = input = 1×1, K = Cin).
 */
public final class IntegerLayer {
    /**
     * Dot products per {@link MatVecEngine#computeColumns} call in {@link #forwardSamples}: enough
     * for the vectorised inner loops, while K rows of them stay in cache.
     */
    private static final int COLUMN_TARGET = 512;

    private final String name;
    private final boolean conv;
    private final IntWeights weights;
    private final double[] weightScales;
    private final double[] bias;
    private final double[] outputScale;
    private final InputFormat format;
    private final double inputScale;
    private final String inputQuantizer;
    private final QuantMethod method;
    private final int weightBits;
    private final int trainedAccBits;
    private final int accBits;
    private final boolean firstOrLast;
    private final AccumulatorWidths widths;
    private final int outputBits;
    private final int inC;
    private final int inH;
    private final int inW;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int ph;
    private final int pw;
    private final int outH;
    private final int outW;
    private final Folding folding;
    private final Map<AccumulatorMode, MatVecEngine> engines = new EnumMap<>(AccumulatorMode.class);

    IntegerLayer(String name, boolean conv, IntWeights weights, double[] weightScales, double[] bias, InputFormat format,
                 double inputScale, String inputQuantizer, QuantMethod method, int weightBits, int trainedAccBits,
                 int accBits, boolean firstOrLast, AccumulatorWidths widths, int outputBits, int[] geometry,
                 Folding requested) {
        this.name = name;
        this.conv = conv;
        this.weights = weights;
        this.weightScales = weightScales.clone();
        this.bias = bias.clone();
        this.format = format;
        this.inputScale = inputScale;
        this.inputQuantizer = inputQuantizer;
        this.method = method;
        this.weightBits = weightBits;
        this.trainedAccBits = trainedAccBits;
        this.accBits = PBitArithmetic.checkWidth(accBits);
        this.firstOrLast = firstOrLast;
        this.widths = widths;
        this.outputBits = outputBits;
        this.inC = geometry[0];
        this.inH = geometry[1];
        this.inW = geometry[2];
        this.kh = geometry[3];
        this.kw = geometry[4];
        this.sh = geometry[5];
        this.sw = geometry[6];
        this.ph = geometry[7];
        this.pw = geometry[8];
        this.outH = (inH + 2 * ph - kh) / sh + 1;
        this.outW = (inW + 2 * pw - kw) / sw + 1;
        if (weightScales.length != weights.outputs() || bias.length != weights.outputs()) {
            throw new EngineException("layer '" + name + "' has " + weights.outputs() + " output channels but "
                    + weightScales.length + " scales and " + bias.length + " biases");
        }
        if ((long) inC * kh * kw != weights.length()) {
            throw new EngineException("layer '" + name + "': Cin·kh·kw = " + inC * kh * kw + " but the weight rows have "
                    + weights.length() + " elements");
        }
        // s_w[c]·s_x once per channel, so the requantisation is one multiply-add per output.
        this.outputScale = new double[weights.outputs()];
        for (int c = 0; c < outputScale.length; c++) {
            outputScale[c] = weightScales[c] * inputScale;
        }
        this.folding = fit(requested, weights.outputs(), weights.length());
    }

    /**
     * The legal folding closest to the requested one from below: FINN needs PE | MH and SIMD | MW, and one
     * PE/SIMD request is applied to every layer, so each layer takes the largest divisor not above it.
     */
    static Folding fit(Folding requested, int mh, int mw) {
        return new Folding(largestDivisorAtMost(mh, requested.pe()), largestDivisorAtMost(mw, requested.simd()));
    }

    private static int largestDivisorAtMost(int n, int limit) {
        int best = 1;
        for (int d : MacArray.divisors(n)) {
            if (d <= limit) {
                best = d;
            }
        }
        return best;
    }

    public String name() { return name; }
    public boolean isConv() { return conv; }
    public IntWeights weights() { return weights; }
    public double[] weightScales() { return weightScales.clone(); }
    public double[] bias() { return bias.clone(); }
    public InputFormat format() { return format; }
    public double inputScale() { return inputScale; }
    public String inputQuantizer() { return inputQuantizer; }
    public QuantMethod method() { return method; }
    public int weightBits() { return weightBits; }
    /** The quantizer's P for A2Q/A2Q+ layers, 0 for unconstrained ones. */
    public int trainedAccBits() { return trainedAccBits; }
    /** The P this model simulates the layer at. */
    public int accBits() { return accBits; }
    public boolean firstOrLast() { return firstOrLast; }
    /** Width rules of a2q-math §2, maximum over the layer's channels. */
    public AccumulatorWidths widths() { return widths; }
    /** Bits of the quantizer the output feeds (FINN's threshold output B), 0 when none does. */
    public int outputBits() { return outputBits; }
    public int outputChannels() { return weights.outputs(); }
    public int dotLength() { return weights.length(); }
    public int outH() { return outH; }
    public int outW() { return outW; }
    public Folding folding() { return folding; }

    /** Matrix-vector products per inference: OH·OW for a conv, 1 for a linear layer. */
    public int pixels() {
        return outH * outW;
    }

    /** Elements of one input sample (C·H·W). */
    public int inputSize() {
        return inC * inH * inW;
    }

    public MacArray macArray() {
        return new MacArray(weights.outputs(), weights.length(), pixels(), folding);
    }

    /** FINN-R LUT estimate of this layer's MVAU at its P, all in LUTs. */
    public LutEstimate lutEstimate() {
        return LutCostModel.estimate(macArray(), LutCostParams.allLut(weightBits, format.bits(), format.signed(),
                outputBits), accBits);
    }

    /** The layer's engine in a mode (built once; engines are immutable and thread-safe). */
    public synchronized MatVecEngine engine(AccumulatorMode mode) {
        return engines.computeIfAbsent(mode, m -> new MatVecEngine(weights, format, accBits, m, folding));
    }

    /** A patch buffer of the right shape for {@link #im2col}. */
    public int[][] newPatches() {
        return new int[pixels()][weights.length()];
    }

    /**
     * Unfolds one sample's input codes [C][H][W] into one row per output pixel, in the weight's K order.
     * Positions in the zero padding get code 0: the formats here have zero-point 0, so code 0 is the
     * real value 0 that the float convolution pads with, and the padding is exact.
     */
    public void im2col(int[] codes, int[][] patches) {
        if (codes.length != inputSize()) {
            throw new EngineException("layer '" + name + "' expects " + inputSize() + " input codes per sample, got "
                    + codes.length);
        }
        if (!conv) {
            System.arraycopy(codes, 0, patches[0], 0, codes.length);
            return;
        }
        int pix = 0;
        for (int oy = 0; oy < outH; oy++) {
            for (int ox = 0; ox < outW; ox++) {
                int[] row = patches[pix++];
                int i = 0;
                for (int ci = 0; ci < inC; ci++) {
                    int base = ci * inH * inW;
                    for (int a = 0; a < kh; a++) {
                        int y = oy * sh - ph + a;
                        boolean rowIn = y >= 0 && y < inH;
                        for (int b = 0; b < kw; b++) {
                            int x = ox * sw - pw + b;
                            row[i++] = rowIn && x >= 0 && x < inW ? codes[base + y * inW + x] : 0;
                        }
                    }
                }
            }
        }
    }

    /**
     * Unfolds one sample's codes into the columns layout of {@link MatVecEngine#computeColumns}:
     * cols[i][offset + p] = element i (weight K order) of output pixel p's patch, for the
     * {@link #pixels()} columns starting at {@code offset}. The same elements as {@link #im2col},
     * transposed; padding positions get code 0 (zero-point 0).
     */
    public void im2colColumns(int[] codes, int[][] cols, int offset) {
        if (codes.length != inputSize() || offset < 0 || cols.length < dotLength()
                || cols[0].length < offset + pixels()) {
            throw new EngineException("layer '" + name + "': " + codes.length + " codes (expected " + inputSize()
                    + ") into " + cols.length + " rows (expected " + dotLength() + ") at column " + offset);
        }
        if (!conv) {
            for (int i = 0; i < codes.length; i++) {
                cols[i][offset] = codes[i];
            }
            return;
        }
        int i = 0;
        for (int ci = 0; ci < inC; ci++) {
            int plane = ci * inH * inW;
            for (int a = 0; a < kh; a++) {
                for (int b = 0; b < kw; b++, i++) {
                    int[] row = cols[i];
                    int dst = offset;
                    for (int oy = 0; oy < outH; oy++, dst += outW) {
                        int y = oy * sh - ph + a;
                        if (y < 0 || y >= inH) {
                            java.util.Arrays.fill(row, dst, dst + outW, 0);
                            continue;
                        }
                        // Output columns first..last read input column ox·sw − pw + b inside [0, inW);
                        // the others are padding.
                        int first = Math.min(outW, Math.max(0, ceilDiv(pw - b, sw)));
                        int last = Math.max(first - 1, Math.min(outW - 1, Math.floorDiv(inW - 1 + pw - b, sw)));
                        int src = plane + y * inW - pw + b;
                        java.util.Arrays.fill(row, dst, dst + first, 0);
                        if (sw == 1 && last >= first) {
                            System.arraycopy(codes, src + first, row, dst + first, last - first + 1);
                        } else {
                            for (int ox = first; ox <= last; ox++) {
                                row[dst + ox] = codes[src + ox * sw];
                            }
                        }
                        java.util.Arrays.fill(row, dst + last + 1, dst + outW, 0);
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Samples [from, to) of a batch through this layer: their codes unfolded a few samples at a
     * time into columns, the engine's registers, and the requantisation into out (NCHW, the float
     * type of the next op). Writes only samples from..to−1 of {@code out} (and of {@code capture},
     * which receives each sample's registers [Cout·pixels] when non-null), so disjoint ranges can
     * run on different threads, each with its own tally.
     */
    void forwardSamples(int[][] codes, int from, int to, MatVecEngine engine, OverflowTally tally, float[] out,
                        long[][] capture) {
        int pix = pixels();
        int cout = outputChannels();
        int block = Math.max(1, COLUMN_TARGET / pix);
        int[][] cols = new int[dotLength()][block * pix];
        long[][] acc = new long[cout][block * pix];
        for (int b0 = from; b0 < to; b0 += block) {
            int count = Math.min(block, to - b0);
            int n = count * pix;
            for (int s = 0; s < count; s++) {
                im2colColumns(codes[b0 + s], cols, s * pix);
            }
            // No range check: the codes come from the input quantizer's clamp to [lo, hi], which is
            // exactly this format's range (same bits and signedness), grid nodes only move or pick
            // codes, and im2col adds only zeros, which every format holds.
            engine.columns(cols, n, acc, tally);
            for (int s = 0; s < count; s++) {
                int dst = (b0 + s) * cout * pix;
                for (int c = 0; c < cout; c++) {
                    long[] a = acc[c];
                    int src = s * pix;
                    int o = dst + c * pix;
                    for (int p = 0; p < pix; p++) {
                        out[o + p] = (float) dequantize(c, a[src + p]);
                    }
                }
                if (capture != null) {
                    long[] r = new long[cout * pix];
                    for (int c = 0; c < cout; c++) {
                        System.arraycopy(acc[c], s * pix, r, c * pix, pix);
                    }
                    capture[b0 + s] = r;
                }
            }
        }
    }

    /**
     * Requantisation of one accumulator: s_w[c]·s_x·acc + bias[c], in double. The accumulator itself
     * is exact integer arithmetic; this step is scale arithmetic as in a FINN threshold or a
     * fixed-point multiplier, and only its rounding to float32 for the next float op is inexact.
     */
    public double dequantize(int channel, long acc) {
        return outputScale[channel] * acc + bias[channel];
    }
}
