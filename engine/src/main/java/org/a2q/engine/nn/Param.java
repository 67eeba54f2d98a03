package org.a2q.engine.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trainable tensor and its gradient. After {@link Graph#compile} both are views into the
 * graph's flat parameter and gradient arenas, so an optimizer updates every parameter with a
 * handful of whole-arena ops. Always read {@link #value()} and {@link #grad()} afresh: compiling
 * replaces the arrays.
 */
public final class Param {
    /** What a parameter is; weight decay applies to {@link #WEIGHT} only (not biases, norms, scales). */
    public enum Kind { WEIGHT, BIAS, NORM, SCALE }

    private final String name;
    private final Kind kind;
    private INDArray value;
    private INDArray grad;

    public Param(String name, Kind kind, INDArray value) {
        this.name = name;
        this.kind = kind;
        this.value = value;
        this.grad = value.ulike().assign(0);
    }

    public String name() { return name; }
    public Kind kind() { return kind; }
    public INDArray value() { return value; }
    public INDArray grad() { return grad; }
    public long length() { return value.length(); }
    public long[] shape() { return value.shape(); }
    public boolean decays() { return kind == Kind.WEIGHT; }

    /** Re-points this parameter at arena views; the current values are copied into the view. */
    void bind(INDArray valueView, INDArray gradView) {
        valueView.assign(value.reshape(valueView.shape()));
        gradView.assign(0);
        this.value = valueView;
        this.grad = gradView;
    }

    /** Computes with another parameter's value array from now on (no copy); keeps its own gradient. */
    void shareValue(Param owner) {
        this.value = owner.value;
    }

    @Override
    public String toString() {
        return name + java.util.Arrays.toString(value.shape());
    }
}
