package org.a2q.engine.sweep;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What one trained point measured, written as {@code result.json} after its model file. It keeps
 * per-channel widths and l1 norms of the hidden layers rather than a single verdict, because one
 * QAT point is judged against every P of the sweep and the CSV must be derivable without the model.
 *
 * @param job          the job that produced it; a result whose job differs from job.json is stale
 * @param accuracy     test accuracy after the last epoch, in [0, 1]
 * @param trainSeconds seconds spent in training steps (evaluation excluded)
 * @param run          the point's model file, relative to the point directory
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PointResult(int format, SweepJob job, double accuracy, double trainSeconds, String run,
                          List<HiddenLayer> hiddenLayers, List<WrapCheck> wrap) {

    /**
     * The model run bit-exactly with P-bit wrapping accumulators in its hidden layers (first and last
     * layers 32-bit) on the first {@code images} test images.
     *
     * @param wrongDotProducts dot products whose wrapped result differed from the exact one
     * @param accuracy         test accuracy of the integer model with those registers
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WrapCheck(int accBits, int images, long wrongDotProducts, double accuracy) { }

    /** The measured check at P, or null when P was not simulated. */
    public WrapCheck wrapAt(int p) {
        if (wrap == null) {
            return null;
        }
        return wrap.stream().filter(w -> w.accBits() == p).findFirst().orElse(null);
    }

    /**
     * One hidden (not first, not last) conv/linear layer as QuantReport saw it after training.
     *
     * @param accBits           the P the layer was constrained to (32 for QAT: unconstrained)
     * @param meanUtilisation   mean over channels of ‖q‖₁ / ⌊T⌋ at the layer's own P (QuantReport)
     * @param exactWidths       per channel: the exact worst-case accumulator width its integers need
     * @param l1                per channel: ‖q‖₁
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record HiddenLayer(String name, String method, int accBits, int inputBits, boolean inputSigned, long weights,
                              long zeros, double meanUtilisation, int exactWidth, int[] exactWidths, long[] l1) { }

    public int exactWidthNeeded() {
        return hiddenLayers.stream().mapToInt(HiddenLayer::exactWidth).max().orElse(0);
    }

    /** Channels whose exact worst-case width exceeds P: the only ones that can overflow a P-bit accumulator. */
    public int channelsAtRisk(int p) {
        int n = 0;
        for (HiddenLayer l : hiddenLayers) {
            for (int w : l.exactWidths()) {
                if (w > p) {
                    n++;
                }
            }
        }
        return n;
    }

    public double sparsity() {
        long w = 0;
        long z = 0;
        for (HiddenLayer l : hiddenLayers) {
            w += l.weights();
            z += l.zeros();
        }
        return w == 0 ? 0 : (double) z / w;
    }
}
