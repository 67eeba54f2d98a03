package org.a2q.engine.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer with a weight matrix (output channel first) and an optional bias: Conv2d and Linear.
 * Holds what both share — the parameters, the optional {@link WeightTransform} (a quantizer) and
 * the routing of the weight gradient through it — so quantization treats both alike.
 */
public abstract class WeightedLayer extends Layer {
    private Param weight;
    private Param bias;
    private WeightTransform weightTransform;
    private INDArray weightGradScratch;
    private Supplier<INDArray> suppliedWeight;   // ŵ computed by the caller (see useTransformedWeight), or null

    protected WeightedLayer(String type) {
        super(type);
    }

    /** Called once by the subclass constructor after validating its arguments. */
    protected final void initParams(Param weight, Param bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public final Param weight() { return weight; }

    /** The bias, or null when the layer has none. */
    public final Param bias() { return bias; }

    public final WeightTransform weightTransform() { return weightTransform; }

    /** Attaches (or with null removes) a transform; recompile the graph afterwards. */
    public final void setWeightTransform(WeightTransform transform) { this.weightTransform = transform; }

    /** Number of output channels (rows of the weight). */
    public abstract int outputs();

    /** Dot-product length K of one output. */
    public abstract long fanIn();

    /** The weight the layer computes with: the stored one or its transformed (quantized) image. */
    public final INDArray effectiveWeight() {
        if (suppliedWeight != null) {
            return suppliedWeight.get();
        }
        return weightTransform == null ? weight.value() : weightTransform.forward(weight.value());
    }

    /**
     * Until called again with null, computes with ŵ supplied by the caller instead of running the
     * transform, and backward leaves dL/dŵ in the weight's own gradient instead of mapping it back
     * through the transform. BatchStep uses it to run each weight quantizer once per step for both
     * halves of a split batch (the quantizer's work does not shrink with the batch): adding the
     * two halves' gradient arenas then adds their dL/dŵ too, and the transform maps the sum back
     * in place.
     */
    public final void useTransformedWeight(INDArray w) {
        useTransformedWeight(w == null ? null : () -> w);
    }

    /**
     * The same with ŵ asked for when the layer's forward needs it (Conv2d and Linear keep it for
     * their backward): BatchStep lets whichever half of a split batch gets to the layer first
     * compute it.
     */
    public final void useTransformedWeight(Supplier<INDArray> w) {
        if (w != null && weightTransform == null) {
            throw new IllegalStateException("this " + type() + " layer has no weight transform");
        }
        this.suppliedWeight = w;
    }

    /**
     * Where backward writes dL/dŵ: the weight's own gradient (no transform, or a supplied ŵ), or a
     * scratch the transform maps back into it.
     */
    protected final INDArray weightGradTarget() {
        if (weightTransform == null || suppliedWeight != null) {
            return weight.grad();
        }
        weightGradScratch = Buffers.like(weightGradScratch, weight.value());
        return weightGradScratch;
    }

    /** After backward filled {@link #weightGradTarget()}: dL/dŵ → dL/dv through the transform. */
    protected final void finishWeightGrad(INDArray gradW) {
        if (weightTransform != null && suppliedWeight == null) {
            weightTransform.backward(gradW, weight.grad());
        }
    }

    @Override
    public final List<Param> params() {
        List<Param> list = new ArrayList<>();
        list.add(weight);
        if (bias != null) {
            list.add(bias);
        }
        if (weightTransform != null) {
            list.addAll(weightTransform.params());
        }
        return list;
    }
}
