package org.a2q.engine.nn;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Passes its input through (ONNX Identity, and Dropout in inference graphs). */
public final class Identity extends Layer {
    public Identity() {
        super("identity");
    }

    @Override
    public long[] outputShape(long[]... in) {
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        return inputs[0];
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] != null) {
            gradInputs[0].assign(gradOutput);
        }
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of();
    }
}
