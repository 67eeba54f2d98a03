package org.a2q.engine.quant;

/**
 * How a learned scale s is stored (a2q-math.md §3.2, §8 item 10): as d with s = 2^d (current
 * reference default) or as s itself (the A2Q-era float domain).
 */
public enum ScaleDomain {
    LOG2,
    FLOAT
}
