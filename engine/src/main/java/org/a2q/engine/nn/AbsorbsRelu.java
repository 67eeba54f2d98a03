package org.a2q.engine.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer that can stand in for a ReLU placed right before it, so the graph can skip the ReLU's
 * own two passes over the tensor: an unsigned activation quantizer clamps at 0, which already is
 * the ReLU in value, and only its gradient needs the ReLU's mask.
 */
public interface AbsorbsRelu {
    /** Whether the next forward gives the same output on x as on relu(x) (e.g. not while calibrating). */
    boolean absorbsRelu();

    /** Backward as if relu had run first: dL/dx carries the ReLU's mask [x > 0]. */
    void backwardAfterRelu(INDArray gradOutput, INDArray gradInput);
}
