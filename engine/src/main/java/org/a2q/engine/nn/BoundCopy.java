package org.a2q.engine.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A copy between two arrays of one shape, either of them a strided view (a permutation, a column
 * block), through libnd4j's assign loop bound to the last pair of arrays ({@link LegacyLoop}).
 * INDArray.assign goes through a custom op on every call: 21.8 µs to put conv1's 150 weights and
 * 6 biases into a strided [W | b] matrix against 0.6 µs bound (hot, one thread). Layers copy
 * between the same preallocated arrays every step, so the binding is made once.
 */
final class BoundCopy {
    private LegacyLoop loop;

    /** to ← from (same shape; any strides). */
    void run(INDArray from, INDArray to) {
        loop = loop == null ? LegacyLoop.convert(from, to) : loop.rebind(from, null, to);
        loop.run();
    }
}
