package org.a2q.engine.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An elementwise layer f that is non-decreasing (a ReLU, an activation quantizer), so that
 * max-pooling commutes with it: maxpool(f(x)) = f(maxpool(x)) for every window. The graph then
 * runs f after the pool, on a quarter of the values (LeNet: [64,6,14,14] instead of
 * [64,6,28,28]); the node keeps its place and name in the graph, so shapes, exports and the
 * integer model are unchanged.
 */
public interface CommutesWithMaxPool {
    /** Whether the next forward may run after the pool (not, e.g., while a quantizer calibrates on the full tensor). */
    boolean commutesWithMaxPool();

    /** f(x) as a new array, leaving the state kept for backward untouched (for {@link Graph#activation}). */
    INDArray apply(INDArray x);
}
