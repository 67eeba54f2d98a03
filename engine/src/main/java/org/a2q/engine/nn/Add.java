package org.a2q.engine.nn;

import java.util.Arrays;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Elementwise sum of two equally shaped inputs (residual connections). */
public final class Add extends Layer {
    private INDArray output;

    public Add() {
        super("add");
    }

    @Override
    public int arity() {
        return 2;
    }

    @Override
    public long[] outputShape(long[]... in) {
        if (in.length != 2 || !Arrays.equals(in[0], in[1])) {
            throw new EngineException("add needs two inputs of the same shape, got "
                    + Arrays.deepToString(in));
        }
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        outputShape(inputs[0].shape(), inputs[1].shape());
        output = Buffers.like(output, inputs[0]);
        inputs[0].add(inputs[1], output);
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        for (INDArray g : gradInputs) {
            if (g != null) {
                g.assign(gradOutput);
            }
        }
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of();
    }
}
