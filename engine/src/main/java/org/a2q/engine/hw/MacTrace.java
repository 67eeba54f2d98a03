package org.a2q.engine.hw;

import java.util.List;

/**
 * The cycle-by-cycle history of one output's accumulator for one input vector.
 *
 * @param channel           output channel
 * @param pixel             output pixel (0 for a fully connected layer)
 * @param pe                the PE (accumulator register) that computes this channel
 * @param format            input format
 * @param accBits           P
 * @param mode              register behaviour
 * @param folding           PE and SIMD
 * @param steps             one entry per register update, in schedule order
 * @param exactResult       Σ q_i·x_i
 * @param result            the register's final value
 * @param firstOverflowStep index of the first step with {@code overflow}, or −1
 * @param exactBitsNeeded   narrowest register that would have held every exact partial sum
 */
public record MacTrace(int channel, long pixel, int pe, InputFormat format, int accBits, AccumulatorMode mode,
                       Folding folding, List<TraceStep> steps, long exactResult, long result, int firstOverflowStep,
                       int exactBitsNeeded) {
    public MacTrace {
        steps = List.copyOf(steps);
    }

    /** True when some update left the P-bit range. */
    public boolean overflowed() {
        return firstOverflowStep >= 0;
    }

    /** True when the register ended with a value different from the exact dot product. */
    public boolean resultWrong() {
        return result != exactResult;
    }
}
