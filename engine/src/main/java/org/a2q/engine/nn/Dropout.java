package org.a2q.engine.nn;

import java.util.Map;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.factory.Nd4j;

/** Inverted dropout: in training y = x·m/(1−p) with m ~ Bernoulli(1−p); identity in evaluation. */
public final class Dropout extends Layer {
    private final double rate;
    private INDArray mask;
    private INDArray output;
    private boolean lastTraining;

    public Dropout(double rate) {
        super("dropout");
        if (!(rate >= 0 && rate < 1)) {
            throw new EngineException("dropout rate must be in [0, 1), got " + rate);
        }
        this.rate = rate;
    }

    public double rate() {
        return rate;
    }

    @Override
    public long[] outputShape(long[]... in) {
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        lastTraining = training && rate > 0;
        if (!lastTraining) {
            return x;
        }
        mask = Buffers.like(mask, x);
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1.0 - rate));
        mask.muli(1.0 / (1.0 - rate));
        output = Buffers.like(output, x);
        x.mul(mask, output);
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] == null) {
            return;
        }
        if (lastTraining) {
            gradOutput.mul(mask, gradInputs[0]);
        } else {
            gradInputs[0].assign(gradOutput);
        }
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of("rate", rate);
    }
}
