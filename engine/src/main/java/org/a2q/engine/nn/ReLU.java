package org.a2q.engine.nn;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/**
 * max(x, 0). Backward as step-mask times gradient: libnd4j's relu_bp measured 12x slower than
 * relu itself on large tensors (perf-notes.md), a step + multiply is as cheap as the forward.
 */
public final class ReLU extends Layer {
    private INDArray output;
    private INDArray mask;

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
        Nd4j.exec(new RectifiedLinear(x, output, 0.0));
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] == null) {
            return;
        }
        mask = Buffers.like(mask, output);
        Nd4j.exec(new Step(output, mask, 0.0));
        gradOutput.mul(mask, gradInputs[0]);
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of();
    }
}
