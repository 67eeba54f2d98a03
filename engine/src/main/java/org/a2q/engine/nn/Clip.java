package org.a2q.engine.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** clamp(x, lo, hi) (ReLU6 is lo = 0, hi = 6); gradient passes where lo < x < hi. */
public final class Clip extends Layer {
    private final double lo;
    private final double hi;
    private INDArray input;
    private INDArray output;

    public Clip(double lo, double hi) {
        super("clip");
        if (!(lo < hi)) {
            throw new EngineException("clip needs min < max, got " + lo + " and " + hi);
        }
        this.lo = lo;
        this.hi = hi;
    }

    public double lo() { return lo; }
    public double hi() { return hi; }

    @Override
    public long[] outputShape(long[]... in) {
        return in[0].clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        input = inputs[0];
        output = Buffers.like(output, input);
        output.assign(input);
        BooleanIndexing.replaceWhere(output, lo, Conditions.lessThan(lo));
        BooleanIndexing.replaceWhere(output, hi, Conditions.greaterThan(hi));
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] == null) {
            return;
        }
        // d clamp/dx = 1 strictly inside (lo, hi), 0 where the clamp is active.
        INDArray inside = input.gt(lo).castTo(input.dataType()).muli(input.lt(hi).castTo(input.dataType()));
        gradOutput.mul(inside, gradInputs[0]);
    }

    @Override
    public Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("min", lo);
        a.put("max", hi);
        return a;
    }
}
