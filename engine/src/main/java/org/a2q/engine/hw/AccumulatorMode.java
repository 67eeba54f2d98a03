package org.a2q.engine.hw;

/**
 * How the accumulator register behaves when a register update leaves the P-bit two's-complement
 * range [−2^(P−1), 2^(P−1)−1].
 */
public enum AccumulatorMode {
    /**
     * A 64-bit register: every sum the engine accepts fits (it rejects layers whose worst case
     * needs more than 63 bits), so the result is the mathematical dot product. P is then only the
     * reference width that the overflow statistics and trace flags are measured against.
     */
    EXACT,
    /**
     * Two's-complement wrap-around, what a plain P-bit adder register does in hardware:
     * reg ← (reg + Δ) mod 2^P, read back as signed. Because reduction mod 2^P commutes with
     * addition, the final register equals wrap(Σ q_i·x_i) whatever the order.
     */
    WRAP,
    /**
     * Clamp to [−2^(P−1), 2^(P−1)−1] after every register update. Clamping does not commute with
     * addition, so the result depends on the order of updates, which is the MAC-array schedule.
     */
    SATURATE
}
