/**
 * Accumulator-aware quantization: the formulas of a2q-math.md live here and nowhere else.
 *
 * <p>Where to start: {@link org.a2q.engine.quant.AccumulatorBound} (the bounds T_A2Q, T_+ and the
 * minimum accumulator widths of §2, exact in long), {@link org.a2q.engine.quant.AccumulatorWidths}
 * (the width rules side by side for the report), {@link org.a2q.engine.quant.L1BallProjection}
 * (EP-init, §4.3), and the weight quantizers that plug into {@code nn.WeightTransform}:
 * {@link org.a2q.engine.quant.PerChannelWeightQuantizer} (baseline QAT) and
 * {@link org.a2q.engine.quant.AccumulatorAwareWeightQuantizer} (A2Q and A2Q+, §3).
 *
 * <p>The elementwise work of the quantizers runs in SIMD loops over ND4J's native memory
 * ({@link org.a2q.engine.quant.SimdFakeQuant}, {@link org.a2q.engine.quant.SimdChannelRows}) when
 * the JVM has the incubating Vector API, and in libnd4j passes otherwise; tests hold the two equal.
 *
 * <p>Depends on {@code org.a2q.engine.nn} (Param, WeightTransform), ND4J and, optionally,
 * jdk.incubator.vector; nothing else.
 */
package org.a2q.engine.quant;
