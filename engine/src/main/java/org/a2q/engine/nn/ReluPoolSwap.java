package org.a2q.engine.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a ReLU that feeds only a max-pool after the pool instead of before it. The two orders are
 * the same function, maxpool(relu(x)) = relu(maxpool(x)), because max-pooling commutes with any
 * non-decreasing elementwise map; and the same gradient: where a window's maximum is positive both
 * route dY to the same argmax with mask 1, where it is ≤ 0 both give 0. After the pool the ReLU
 * and its mask touch a quarter of the values (LeNet: [64,6,14,14] instead of [64,6,28,28]), which
 * perf-notes.md measured as one of the cheap wins of a training step.
 *
 * <p>The graph keeps the ReLU node (names, shapes, exports are unchanged) but lets its output be
 * the pre-activation; {@link Graph#activation} applies the ReLU when that node is read.
 */
final class ReluPoolSwap {
    private final NativeOp relu = new NativeOp("relu").withFloatArgs(0.0);
    private final NativeOp multiply = new NativeOp("multiply");
    private INDArray mask;

    /** relu(pooled) in place: the pool node's output becomes the ReLU-then-pool value. */
    void activate(INDArray pooled) {
        relu.exec(new INDArray[] {pooled}, pooled);
    }

    /** dL/d(pool output before ReLU) = dY · [y > 0], in place on the pool node's gradient. */
    void maskGradient(INDArray pooled, INDArray grad) {
        mask = Buffers.like(mask, pooled);
        Nd4j.exec(new Step(pooled, mask, 0.0));
        multiply.exec(new INDArray[] {grad, mask}, grad);
    }
}
