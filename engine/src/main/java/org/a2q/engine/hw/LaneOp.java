package org.a2q.engine.hw;

/**
 * One SIMD lane's work in one cycle.
 *
 * @param lane       lane index 0..SIMD−1
 * @param inputIndex dot-product element i = synapseFold·SIMD + lane
 * @param weight     q_i
 * @param input      x_i
 * @param product    q_i·x_i, exact
 */
public record LaneOp(int lane, int inputIndex, int weight, int input, long product) {
}
