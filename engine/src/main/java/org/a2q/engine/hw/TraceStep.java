package org.a2q.engine.hw;

import java.util.List;

/**
 * One register update of one output's accumulator: what a GUI animates per cycle.
 *
 * @param step             synapse fold sf = 0..MW/SIMD−1 (the update's index within this dot product)
 * @param cycle            global cycle of the MAC array, {@link MacArray#cycleOf}
 * @param lanes            the SIMD lanes' operands and products, lane 0 first
 * @param laneSum          the adder tree's exact sum of the lane products
 * @param exactPartialSum  exact running sum after this update
 * @param registerBefore   register value before the update
 * @param registerIncoming registerBefore + laneSum, before the mode's wrap or clamp
 * @param register         register value after the update
 * @param registerBits     the register's bits, most significant first: P bits (64 in EXACT mode)
 * @param bitsInUse        bitsNeeded(register)
 * @param exactBitsInUse   bitsNeeded(exactPartialSum)
 * @param overflow         registerIncoming is outside the P-bit range: WRAP wrapped, SATURATE clamped,
 *                         EXACT kept it but a P-bit register would not have
 */
public record TraceStep(int step, long cycle, List<LaneOp> lanes, long laneSum, long exactPartialSum,
                        long registerBefore, long registerIncoming, long register, String registerBits,
                        int bitsInUse, int exactBitsInUse, boolean overflow) {
    public TraceStep {
        lanes = List.copyOf(lanes);
    }
}
