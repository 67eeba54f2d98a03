package org.a2q.engine.quant;

/** Which accumulator constraint a weight quantizer enforces (a2q-math.md §2.2, §2.3, §3.1). */
public enum A2qVariant {
    /** ‖q‖₁ ≤ T_A2Q; depends on the input sign. */
    A2Q,
    /** Zero-centred weights, max(Pos, Neg) ≤ T_+/2; independent of the input sign. */
    A2Q_PLUS
}
