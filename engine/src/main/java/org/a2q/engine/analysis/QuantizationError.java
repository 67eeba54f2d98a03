package org.a2q.engine.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.WeightTransform;
import org.a2q.engine.quant.AccumulatorAwareWeightQuantizer;
import org.a2q.engine.quant.IntegerWeights;
import org.a2q.engine.quant.PerChannelWeightQuantizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How far a quantized model is from its float counterpart, per layer and per output channel.
 *
 * <p><b>Reference weight.</b> Error is measured against the float weight the quantizer rounds,
 * not against the stored parameter v: for the per-channel (QAT) quantizer that is v itself, but
 * for A2Q/A2Q+ the stored v only gives a direction (weight normalisation: ŵ = s·rtz(u·g′/‖u‖₁)),
 * so its magnitude means nothing and the float counterpart of ŵ is the unrounded s·z. Weight MSE
 * per channel is mean_i (w_ref − ŵ)²; the layer's MSE is the mean over all of its weights.
 *
 * <p><b>Output SQNR.</b> For a node with output y (quantized model) and y_ref (reference model)
 * on the same batch: SQNR = 10·log10(Σ y_ref² / Σ (y_ref − y)²) dB, +∞ where the outputs agree
 * exactly. The reference model is a copy of the quantized one whose weight quantizers are replaced
 * by their reference weights ({@link #useReferenceWeights}); its activation quantizers stay, so
 * the figure isolates weight quantization (rounding, clipping and the accumulator constraint's
 * effect on the integers), accumulated through the layers up to that node.
 *
 * <p>All functions are pure on their arguments except {@link #useReferenceWeights}, which edits
 * the copy it is given.
 */
public final class QuantizationError {
    private QuantizationError() { }

    /**
     * Weight error of one layer.
     *
     * @param channelMse mean squared error per output channel
     * @param sparsity   fraction of integer weights q that are zero
     */
    public record WeightError(double mse, double[] channelMse, double sparsity, long weights) { }

    /**
     * Equal-width histogram on [lo, hi]; values outside are counted in the edge bins, so the
     * counts always add up to the number of values.
     */
    public record Histogram(double lo, double hi, long[] counts) {
        public double binWidth() {
            return (hi - lo) / counts.length;
        }

        public double binStart(int i) {
            return lo + i * binWidth();
        }

        public long total() {
            long t = 0;
            for (long c : counts) {
                t += c;
            }
            return t;
        }
    }

    /** Everything the error view shows of one quantized layer. */
    public record LayerError(String name, int weightBits, double[] scales, double[][] reference,
                             double[][] quantized, WeightError weights) { }

    /** Mean of (a − b)² over two equally long vectors; 0 for empty ones. */
    public static double mse(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new EngineException("mse of vectors of different lengths: " + a.length + " and " + b.length);
        }
        if (a.length == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return sum / a.length;
    }

    /** Fraction of zeros among the integer weights. */
    public static double sparsity(long[][] q) {
        long zeros = 0;
        long n = 0;
        for (long[] row : q) {
            for (long x : row) {
                zeros += x == 0 ? 1 : 0;
            }
            n += row.length;
        }
        return n == 0 ? 0 : (double) zeros / n;
    }

    /** Per-channel and layer MSE between reference and quantized rows ([Cout][K]) and sparsity of q. */
    public static WeightError weightError(double[][] reference, double[][] quantized, long[][] q) {
        if (reference.length != quantized.length) {
            throw new EngineException("reference has " + reference.length + " channels, quantized "
                    + quantized.length);
        }
        double[] perChannel = new double[reference.length];
        double sum = 0;
        long n = 0;
        for (int c = 0; c < reference.length; c++) {
            perChannel[c] = mse(reference[c], quantized[c]);
            sum += perChannel[c] * reference[c].length;
            n += reference[c].length;
        }
        return new WeightError(n == 0 ? 0 : sum / n, perChannel, sparsity(q), n);
    }

    /** Histogram of values in [lo, hi] with the given number of bins. */
    public static Histogram histogram(double[] values, int bins, double lo, double hi) {
        if (bins < 1 || !(hi > lo)) {
            throw new EngineException("a histogram needs at least one bin and hi > lo, got " + bins + " bins on ["
                    + lo + ", " + hi + "]");
        }
        long[] counts = new long[bins];
        double w = (hi - lo) / bins;
        for (double v : values) {
            int b = (int) Math.floor((v - lo) / w);
            counts[Math.max(0, Math.min(bins - 1, b))]++;
        }
        return new Histogram(lo, hi, counts);
    }

    /**
     * The integer levels q may take, −(2^(M−1)−1) … 2^(M−1)−1 (narrow signed range); times a
     * channel's s they are the values ŵ can take in that channel.
     */
    public static long[] gridLevels(int weightBits) {
        long max = (1L << (weightBits - 1)) - 1;
        long[] levels = new long[(int) (2 * max + 1)];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = i - max;
        }
        return levels;
    }

    /** 10·log10(Σ ref² / Σ (ref − y)²) in dB; +∞ when y equals ref, −∞ when ref is all zero but y is not. */
    public static double sqnrDb(double[] reference, double[] y) {
        if (reference.length != y.length) {
            throw new EngineException("SQNR of outputs of different lengths: " + reference.length + " and "
                    + y.length);
        }
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            signal += reference[i] * reference[i];
            double d = reference[i] - y[i];
            noise += d * d;
        }
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }

    /**
     * The float weight the layer's quantizer rounds, as [Cout][K] rows (see the class comment),
     * or null for a layer without a weight quantizer. Runs the quantizer's forward once.
     */
    public static double[][] referenceWeights(Layer layer) {
        WeightTransform t = Graph.weightTransform(layer);
        if (t == null) {
            return null;
        }
        Param w = weightOf(layer);
        if (t instanceof AccumulatorAwareWeightQuantizer a) {
            a.forward(w.value());
            double[][] z = a.preRoundingValues();
            double[] s = a.scales();
            for (int c = 0; c < z.length; c++) {
                for (int i = 0; i < z[c].length; i++) {
                    z[c][i] *= s[c];
                }
            }
            return z;
        }
        if (t instanceof PerChannelWeightQuantizer p) {
            return rows(w.value(), p.outChannels());
        }
        return null;
    }

    /** The error of every conv/linear layer that has a weight quantizer, in graph order. */
    public static List<LayerError> layerErrors(Graph g) {
        List<LayerError> out = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            double[][] ref = referenceWeights(n.layer());
            if (ref == null) {
                continue;
            }
            WeightTransform t = Graph.weightTransform(n.layer());
            // forward again: referenceWeights ran it already for A2Q, but not for the QAT quantizer.
            double[][] q = rows(t.forward(weightOf(n.layer()).value()), ref.length);
            IntegerWeights iw;
            double[] scales;
            int bits;
            if (t instanceof AccumulatorAwareWeightQuantizer a) {
                iw = a.integerWeights();
                scales = a.scales();
                bits = a.weightBits();
            } else {
                PerChannelWeightQuantizer p = (PerChannelWeightQuantizer) t;
                iw = p.integerWeights();
                scales = p.scales();
                bits = p.weightBits();
            }
            out.add(new LayerError(n.name(), bits, scales, ref, q, weightError(ref, q, iw.q())));
        }
        return out;
    }

    /**
     * Replaces every weight quantizer of {@code copy} by a fixed transform that returns its
     * reference weight, making it the reference model of the output SQNR. Only for analysis:
     * the replaced model cannot be trained or saved as quantized.
     */
    public static void useReferenceWeights(Graph copy) {
        for (Graph.Node n : copy.nodes()) {
            double[][] ref = referenceWeights(n.layer());
            if (ref == null) {
                continue;
            }
            INDArray v = weightOf(n.layer()).value();
            INDArray fixed = org.nd4j.linalg.factory.Nd4j.create(ref).castTo(v.dataType()).reshape(v.shape());
            WeightTransform reference = new FixedWeight(fixed);
            if (n.layer() instanceof Conv2d c) {
                c.setWeightTransform(reference);
            } else if (n.layer() instanceof Linear l) {
                l.setWeightTransform(reference);
            }
        }
    }

    /**
     * Output SQNR in dB of each named node: the batch runs through both models and each node's
     * output in {@code quantized} is compared with the same node's output in {@code reference}.
     */
    public static Map<String, Double> outputSqnr(Graph quantized, Graph reference, INDArray batch,
                                                 List<String> nodes) {
        quantized.forward(batch, false);
        Map<String, double[]> q = new LinkedHashMap<>();
        for (String n : nodes) {
            q.put(n, flat(quantized.activation(n)));
        }
        reference.forward(batch, false);
        Map<String, Double> out = new LinkedHashMap<>();
        for (String n : nodes) {
            out.put(n, sqnrDb(flat(reference.activation(n)), q.get(n)));
        }
        return out;
    }

    private static double[] flat(INDArray a) {
        return a.dup().reshape(a.length()).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
    }

    private static double[][] rows(INDArray a, int channels) {
        return a.dup().reshape(channels, a.length() / channels).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                .toDoubleMatrix();
    }

    private static Param weightOf(Layer layer) {
        if (layer instanceof Conv2d c) {
            return c.weight();
        }
        if (layer instanceof Linear l) {
            return l.weight();
        }
        throw new EngineException("layer " + layer + " has no weight");
    }

    /** A transform that ignores v and returns a fixed weight: the reference model's layers. */
    private static final class FixedWeight implements WeightTransform {
        private final INDArray weight;

        FixedWeight(INDArray weight) {
            this.weight = weight;
        }

        @Override
        public INDArray forward(INDArray v) {
            return weight;
        }

        @Override
        public void backward(INDArray gradW, INDArray gradV) {
            throw new UnsupportedOperationException("the reference model of the error analysis is not trainable");
        }

        @Override
        public List<Param> params() {
            return List.of();
        }
    }
}
