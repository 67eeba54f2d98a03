package org.a2q.engine.quant;

import org.a2q.engine.EngineException;

/**
 * The quantization of one conv/linear layer, resolved: method, weight bits M, target accumulator
 * bits P (only binding for A2Q/A2Q+; recorded for the others), initialisation and the domain in
 * which the scale is learned. The input bits N and sign are NOT here: they belong to the layer's
 * input quantizer and are read from it.
 */
public record QuantSpec(QuantMethod method, int weightBits, int accumulatorBits, InitMode init, ScaleDomain scaleDomain) {
    public QuantSpec {
        if (method == null || init == null || scaleDomain == null) {
            throw new EngineException("quantization spec needs a method, an init and a scale domain");
        }
        if (method != QuantMethod.FP32) {
            AccumulatorBound.checkWeightBits(weightBits);
        }
        if (accumulatorBits < 2 || accumulatorBits > 64) {
            throw new EngineException("accumulator bits must be in 2..64, got " + accumulatorBits);
        }
    }
}
