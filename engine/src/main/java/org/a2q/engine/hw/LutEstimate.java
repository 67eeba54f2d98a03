package org.a2q.engine.hw;

/**
 * A FINN-R LUT estimate of one MVAU, broken into the model's terms (per-PE terms are per PE, before
 * the ×PE and the 1.1 factor).
 *
 * @param accBitsRequested the accumulator width asked for
 * @param accBits          the width the model charges: min(requested, data-type bound)
 * @param multipliers      SIMD·(2⌈(W+A)/6⌉−1)·(W+A) per PE, 0 with DSPs
 * @param adderTree        (W+A)·(2·SIMD−1) per PE
 * @param accumulator      accBits per PE
 * @param thresholdMemory  (2^B−1)·accBits·⌈TMEM/64⌉ per PE when thresholds sit in LUTRAM
 * @param comparators      (2^B−1)·accBits per PE when thresholds sit in LUTRAM
 * @param weightMemory     PE·SIMD·W·⌈WMEM/64⌉ when weights sit in LUTRAM (the c2 term)
 * @param total            300 + ⌊1.1·PE·(per-PE terms)⌋ + weightMemory
 */
public record LutEstimate(int accBitsRequested, int accBits, long multipliers, long adderTree, long accumulator,
                          long thresholdMemory, long comparators, long weightMemory, long total) {
}
