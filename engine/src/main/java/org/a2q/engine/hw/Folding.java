package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * FINN MVAU folding: PE output channels computed in parallel, each with its own accumulator, and
 * SIMD dot-product elements consumed per PE per cycle.
 */
public record Folding(int pe, int simd) {
    /** One PE, one lane: the fully sequential schedule, element 0 first. */
    public static final Folding SEQUENTIAL = new Folding(1, 1);

    public Folding {
        if (pe < 1 || simd < 1) {
            throw new EngineException("folding PE=" + pe + ", SIMD=" + simd + " is invalid; both must be at least 1");
        }
    }
}
