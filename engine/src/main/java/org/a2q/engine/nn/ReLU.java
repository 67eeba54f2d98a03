package org.a2q.engine.nn;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * max(x, 0). Backward as step-mask times gradient: libnd4j's relu_bp measured 12x slower than
 * relu itself on large tensors (perf-notes.md), a step + multiply is as cheap as the forward.
 */
public final class ReLU extends Layer implements CommutesWithMaxPool {
    private INDArray output;
    private INDArray mask;
    // Bound to contexts: relu 38 vs 64 µs (legacy op) on [64,6,28,28], 6 vs 26 µs on [64,120];
    // multiply 51 vs 78 µs (1 thread, CPU time).
    private final NativeOp relu = new NativeOp("relu").withFloatArgs(0.0);
    private final NativeOp multiply = new NativeOp("multiply");
    private final StepMask positive = new StepMask(0.0);

    public ReLU() {
        super("relu");
    }

    @Override
    public long[] outputShape(long[]... in) {
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        output = Buffers.like(output, x);
        relu.exec(new INDArray[] {x}, output);
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] == null) {
            return;
        }
        mask = Buffers.like(mask, output);
        positive.exec(output, mask);
        multiply.exec(new INDArray[] {gradOutput, mask}, gradInputs[0]);
    }

    /** max(x, 0) is non-decreasing: a max-pool reading it may always run first. */
    @Override
    public boolean commutesWithMaxPool() {
        return true;
    }

    /** max(x, 0) into a new array, leaving the output backward uses untouched. */
    @Override
    public INDArray apply(INDArray x) {
        INDArray y = Buffers.like(null, x);
        relu.exec(new INDArray[] {x}, y);
        return y;
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of();
    }
}
