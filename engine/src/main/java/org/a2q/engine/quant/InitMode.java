package org.a2q.engine.quant;

/** How an accumulator-aware quantizer starts from float weights (a2q-math.md §4). */
public enum InitMode {
    /** v = w, g = ‖w‖₁: the clamp rescales radially (§4.2). */
    NAIVE,
    /** Euclidean projection of w onto the l1 ball of radius s·T, g = min(g, s·T) (§4.3). */
    EP
}
