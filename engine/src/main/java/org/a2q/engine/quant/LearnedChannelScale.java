package org.a2q.engine.quant;

import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.Param;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A positive per-output-channel quantity learned either as its log2 or directly
 * (a2q-math.md §3.2): the scale s (either domain) and the norm g (always log2).
 *
 * <p>The forward value is clamped to at least {@link #MIN_VALUE} with a straight-through clamp
 * (§3.2, §8 item 11): the backward pass ignores the clamp.
 */
final class LearnedChannelScale {
    /** scaling_min_val = pre_scaling_min_val of the reference (§3.2). */
    static final double MIN_VALUE = 1e-10;

    private static final double LN2 = Math.log(2.0);

    private final Param param;
    private final ScaleDomain domain;
    private final int channels;
    private final double[] gradScratch;

    LearnedChannelScale(String name, ScaleDomain domain, int channels) {
        this.domain = domain;
        this.channels = channels;
        this.gradScratch = new double[channels];
        this.param = new Param(name, Param.Kind.SCALE, Nd4j.zeros(Nd4j.defaultFloatingPointType(), channels));
    }

    Param param() {
        return param;
    }

    ScaleDomain domain() {
        return domain;
    }

    /** Stores the given positive values (log2 of them in the LOG2 domain). */
    void set(double[] values) {
        INDArray p = param.value();
        for (int c = 0; c < channels; c++) {
            double v = Math.max(values[c], MIN_VALUE);
            p.putScalar(c, domain == ScaleDomain.LOG2 ? Math.log(v) / LN2 : v);
        }
    }

    /** The unclamped values 2^d or s, as stored; the chain rule uses these (STE through the clamp). */
    void readRaw(double[] out) {
        Buffers.readVector(param.value(), out);
        if (domain == ScaleDomain.LOG2) {
            for (int c = 0; c < channels; c++) {
                out[c] = Math.pow(2.0, out[c]);
            }
        }
    }

    /** The values the forward pass uses, clamp-min(2^d or s) per channel, as a new array. */
    double[] clampedValues() {
        double[] out = new double[channels];
        readRaw(out);
        for (int c = 0; c < channels; c++) {
            out[c] = clampMin(out[c]);
        }
        return out;
    }

    /** max(value, 1e-10): what the forward pass uses. */
    static double clampMin(double raw) {
        return Math.max(raw, MIN_VALUE);
    }

    /**
     * Sets dL/d(param) to the given dL/d(value) chained through the parametrisation: ·2^d·ln2 in
     * the LOG2 domain (∂L/∂d = ∂L/∂s · s·ln2, §3.3), identity in the FLOAT domain. Overwrites, as
     * every layer's backward does: the arena is never cleared between steps.
     */
    void setGradient(double[] gradValue, double[] raw) {
        for (int c = 0; c < channels; c++) {
            gradScratch[c] = gradValue[c] * chain(raw[c]);
        }
        Buffers.writeVector(gradScratch, param.grad());
    }

    /** Adds dL/d(param) for a further loss term (the regulariser), after {@link #setGradient}. */
    void addGradient(double[] gradValue, double[] raw) {
        Buffers.readVector(param.grad(), gradScratch);
        for (int c = 0; c < channels; c++) {
            if (gradValue[c] != 0.0) {
                gradScratch[c] = gradScratch[c] + gradValue[c] * chain(raw[c]);
            }
        }
        Buffers.writeVector(gradScratch, param.grad());
    }

    private double chain(double raw) {
        return domain == ScaleDomain.LOG2 ? raw * LN2 : 1.0;
    }
}
