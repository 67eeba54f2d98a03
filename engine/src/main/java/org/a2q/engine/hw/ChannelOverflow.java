package org.a2q.engine.hw;

/**
 * Overflow statistics of one output channel over all dot products seen.
 *
 * <p>"Partial sums" are the exact running sums after each register update, in schedule order
 * (one per cycle: see {@link MacArray}). They are what the register would have to hold, so they are
 * the same in every mode; in WRAP and SATURATE the first update whose exact partial sum leaves the
 * range is exactly the first update that wraps or clamps, so {@code rangeExcursions} counts the dot
 * products in which the register overflowed at least once.
 *
 * @param channel          output channel
 * @param accBits          P, the width the range checks refer to
 * @param dotProducts      dot products computed for this channel
 * @param resultMismatches dot products whose final register value differs from the exact sum
 *                         (always 0 in EXACT mode; in WRAP only when the final sum is out of range)
 * @param rangeExcursions  dot products in which some partial sum left [−2^(P−1), 2^(P−1)−1]
 * @param minPartialSum    smallest partial sum seen (0 counts: the register starts at 0)
 * @param maxPartialSum    largest partial sum seen
 * @param maxAbsPartialSum max(|min|, |max|)
 * @param bitsNeeded       narrowest two's-complement register that would have held every partial
 *                         sum seen: max(bitsNeeded(min), bitsNeeded(max))
 */
public record ChannelOverflow(int channel, int accBits, long dotProducts, long resultMismatches, long rangeExcursions,
                              long minPartialSum, long maxPartialSum, long maxAbsPartialSum, int bitsNeeded) {
}
