package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * Which accumulator width P each conv/linear layer of an integer model gets.
 *
 * <p>Without an override a layer keeps what its weight quantizer was trained for: the quantizer's P
 * for A2Q/A2Q+ layers, 32 bits for unconstrained (QAT) layers, which is what a plain integer
 * pipeline would build for them. An override sets one P for every hidden layer, so that an
 * unconstrained model can be run on the narrow register an A2Q model was trained for and its
 * overflows counted. The first and last layers are usually kept wide in accumulator-aware training
 * (they are quantized at 8 bits and not constrained), so the override reaches them only on request.
 *
 * @param overrideBits       P for hidden layers, or 0 for none
 * @param overrideFirstLast  whether the override also applies to the first and last layers
 */
public record AccumulatorPolicy(int overrideBits, boolean overrideFirstLast) {
    /** The width of unconstrained layers when nothing is overridden. */
    public static final int DEFAULT_WIDE_BITS = 32;

    public static final AccumulatorPolicy AS_TRAINED = new AccumulatorPolicy(0, false);

    public AccumulatorPolicy {
        if (overrideBits != 0) {
            PBitArithmetic.checkWidth(overrideBits);
        }
        if (overrideFirstLast && overrideBits == 0) {
            throw new EngineException("overriding the first and last layers needs an accumulator width; give --acc-bits");
        }
    }

    public static AccumulatorPolicy hidden(int bits) {
        return new AccumulatorPolicy(bits, false);
    }

    public static AccumulatorPolicy all(int bits) {
        return new AccumulatorPolicy(bits, true);
    }

    /**
     * @param quantizerBits the layer's trained P (A2Q/A2Q+), or 0 for an unconstrained layer
     * @param firstOrLast   whether the layer is the first or last conv/linear of the model
     */
    public int bitsFor(int quantizerBits, boolean firstOrLast) {
        if (overrideBits != 0 && (!firstOrLast || overrideFirstLast)) {
            return overrideBits;
        }
        return quantizerBits > 0 ? quantizerBits : DEFAULT_WIDE_BITS;
    }
}
