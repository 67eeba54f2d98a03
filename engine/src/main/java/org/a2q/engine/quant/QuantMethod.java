package org.a2q.engine.quant;

import java.util.Locale;
import org.a2q.engine.EngineException;

/** How a conv/linear layer's weights are treated. */
public enum QuantMethod {
    /** Float weights, no quantization. */
    FP32("fp32"),
    /** Per-channel quantizer, calibrated from the float model, not trained. */
    PTQ("ptq"),
    /** Per-channel quantizer with learned scale, trained (quantization-aware training). No accumulator constraint. */
    QAT("qat"),
    /** Accumulator-aware: ‖q‖₁ ≤ T_A2Q (ICCV 2023). */
    A2Q("a2q"),
    /** Accumulator-aware with zero-centring: max(Pos, Neg) ≤ T_+/2 (ICML 2024). */
    A2Q_PLUS("a2q+");

    private final String label;

    QuantMethod(String label) {
        this.label = label;
    }

    @com.fasterxml.jackson.annotation.JsonValue
    public String label() {
        return label;
    }

    /** True for the methods that guarantee a P-bit accumulator never overflows. */
    public boolean constrained() {
        return this == A2Q || this == A2Q_PLUS;
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static QuantMethod parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (QuantMethod m : values()) {
            if (m.label.equals(k) || m.name().toLowerCase(Locale.ROOT).equals(k)) {
                return m;
            }
        }
        if (k.equals("a2qplus") || k.equals("a2q-plus")) {
            return A2Q_PLUS;
        }
        throw new EngineException("unknown method '" + s + "'; use fp32, ptq, qat, a2q or a2q+");
    }

    @Override
    public String toString() {
        return label;
    }
}
