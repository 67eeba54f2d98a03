package org.a2q.engine.nn;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Maps a layer's stored weight v to the weight its matmul/conv actually uses, and carries the
 * gradient back. Conv2d and Linear call it when present; quantizers (baseline, A2Q, A2Q+)
 * implement it, so the layers themselves know nothing of quantization.
 *
 * <p>Shapes: v is the layer's weight, output channel first ([Cout, Cin, kh, kw] or [Cout, Cin]).
 * The transform treats it as [Cout, K] rows, one per output channel.
 */
public interface WeightTransform {
    /** Effective weight (same shape as v). The returned array is owned by the transform and
     *  stays valid until the next call. */
    INDArray forward(INDArray v);

    /** Given dL/dŵ (same shape as v) from the layer, writes dL/dv into gradV and this transform's
     *  own parameter gradients into their {@link Param#grad()}, both overwritten, not added: the
     *  gradient arena is not cleared between steps. gradW may be gradV itself (the split training
     *  step keeps dL/dŵ in the weight's gradient and maps it back in place), so an implementation
     *  reads each value of gradW before it writes that value of gradV. */
    void backward(INDArray gradW, INDArray gradV);

    /** Trainable parameters of the transform itself (e.g. log2 g and log2 s), usually Kind.SCALE. */
    List<Param> params();

    /** Extra loss term the trainer adds (e.g. the A2Q regulariser λ·Σ relu(g − T·s)); its gradient
     *  is added to the own params' grads by {@link #addPenaltyGradient}, after {@link #backward}. Default: none. */
    default double penalty() { return 0.0; }

    default void addPenaltyGradient() { }
}
