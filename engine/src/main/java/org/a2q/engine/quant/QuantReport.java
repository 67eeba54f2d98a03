package org.a2q.engine.quant;

import java.util.ArrayList;
import java.util.List;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.WeightTransform;
import org.a2q.engine.nn.WeightedLayer;

/**
 * The per-layer, per-channel accumulator report that the CLI prints and the GUI's Budgets view
 * draws: for every output channel the integer weights' ‖q‖₁, Pos, Neg, the l1 budget ⌊T⌋ and its
 * utilisation, whether g is held by the clamp, the sparsity, and the four width rules (data
 * type, A2Q, A2Q+ safe, exact; plus the naive A2Q+ form that is one bit short when Σq ≠ 0).
 */
public final class QuantReport {
    private QuantReport() { }

    public record Channel(int channel, long l1, long pos, long neg, double utilisation, boolean normClamped,
                          double sparsity, AccumulatorWidths widths) { }

    /**
     * @param bound       T of the layer's method at its P (T_A2Q for A2Q and unconstrained layers, T_+ for A2Q+)
     * @param budget      ⌊bound⌋, the integer l1 budget of one channel
     * @param widths      the layer's widths: the maximum over its channels
     */
    public record LayerReport(String name, QuantMethod method, int weightBits, int inputBits, boolean inputSigned,
                              int accBits, long dotProductLength, double tA2q, double tPlus, double bound, long budget,
                              List<Channel> channels, AccumulatorWidths widths, int clampedChannels,
                              double meanUtilisation, double sparsity, boolean overflowSafe) {
        /** True when the guarantee needs warning: the budget is below one, so every weight is zero. */
        public boolean zeroBudget() {
            return method.constrained() && budget < 1;
        }
    }

    /** Reports every quantized conv/linear layer of the graph (float layers are skipped). */
    public static List<LayerReport> of(Graph g) {
        List<LayerReport> out = new ArrayList<>();
        for (String name : QuantConfig.weightLayers(g)) {
            WeightedLayer layer = (WeightedLayer) g.node(name).layer();
            WeightTransform t = Graph.weightTransform(layer);
            if (t == null) {
                continue;
            }
            Quantization.InputFormat f = Quantization.inputFormat(g, name);
            int n = f == null ? 8 : f.bits();
            boolean signed = f == null || f.signed();
            long k = layer.fanIn();
            layer.effectiveWeight(); // refresh the quantizer's integer image from the current parameters
            IntegerWeights iw;
            QuantMethod method;
            int m;
            int p;
            boolean[] clamped;
            if (t instanceof AccumulatorAwareWeightQuantizer a) {
                iw = a.integerWeights();
                method = a.variant() == A2qVariant.A2Q ? QuantMethod.A2Q : QuantMethod.A2Q_PLUS;
                m = a.weightBits();
                p = a.accumulatorBits();
                clamped = a.normClamped();
            } else if (t instanceof PerChannelWeightQuantizer b) {
                iw = b.integerWeights();
                method = QuantMethod.QAT;
                m = b.weightBits();
                p = 32;
                clamped = new boolean[iw.channels()];
            } else {
                continue;
            }
            double tA = AccumulatorBound.tA2q(p, n, signed);
            double tP = AccumulatorBound.tPlus(p, n);
            double bound = method == QuantMethod.A2Q_PLUS ? tP : tA;
            long budget = (long) Math.floor(bound);
            List<Channel> chans = new ArrayList<>();
            AccumulatorWidths layerWidths = null;
            int clampedCount = 0;
            double utilSum = 0;
            long zeros = 0;
            boolean safe = true;
            for (int c = 0; c < iw.channels(); c++) {
                long[] q = iw.q()[c];
                long z = 0;
                for (long v : q) {
                    if (v == 0) {
                        z++;
                    }
                }
                zeros += z;
                AccumulatorWidths w = iw.widths(c, n, signed, m);
                layerWidths = layerWidths == null ? w : layerWidths.max(w);
                double util = budget > 0 ? (double) iw.l1()[c] / budget : (iw.l1()[c] == 0 ? 0 : Double.POSITIVE_INFINITY);
                utilSum += util;
                if (clamped[c]) {
                    clampedCount++;
                }
                safe &= w.exact() <= p;
                chans.add(new Channel(c, iw.l1()[c], iw.pos()[c], iw.neg()[c], util, clamped[c], (double) z / q.length, w));
            }
            out.add(new LayerReport(name, method, m, n, signed, p, k, tA, tP, bound, budget, chans, layerWidths,
                    clampedCount, utilSum / Math.max(1, chans.size()), (double) zeros / Math.max(1, k * chans.size()), safe));
        }
        return out;
    }
}
