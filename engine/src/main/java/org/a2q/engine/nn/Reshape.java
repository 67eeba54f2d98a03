package org.a2q.engine.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reshape keeping the batch dimension: the target gives the per-sample shape, with at most one −1.
 * Flatten is the target [−1]. Works on a c-order copy so the result never aliases a strided view.
 */
public final class Reshape extends Layer {
    private final long[] target;
    private long[] inputShape;
    private INDArray output;
    // Layers keep their output buffers between steps, so the same input array arrives every step:
    // its reshaped view (and the view of the gradient) is built once, not per step (~15 µs each).
    private INDArray viewedInput;
    private INDArray inputView;
    private INDArray viewedGrad;
    private INDArray gradView;

    public Reshape(long... perSampleShape) {
        super(perSampleShape.length == 1 && perSampleShape[0] == -1 ? "flatten" : "reshape");
        int unknown = 0;
        for (long d : perSampleShape) {
            if (d == -1) {
                unknown++;
            } else if (d < 1) {
                throw new EngineException("reshape dimensions must be ≥ 1 or −1, got " + Arrays.toString(perSampleShape));
            }
        }
        if (unknown > 1) {
            throw new EngineException("reshape allows at most one −1, got " + Arrays.toString(perSampleShape));
        }
        this.target = perSampleShape.clone();
    }

    public static Reshape flatten() {
        return new Reshape(-1);
    }

    public long[] target() {
        return target.clone();
    }

    @Override
    public long[] outputShape(long[]... in) {
        long[] s = in[0];
        long perSample = 1;
        for (int i = 1; i < s.length; i++) {
            perSample *= s[i];
        }
        long known = 1;
        int unknownAt = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                unknownAt = i;
            } else {
                known *= target[i];
            }
        }
        long[] out = new long[target.length + 1];
        out[0] = s[0];
        for (int i = 0; i < target.length; i++) {
            out[i + 1] = target[i];
        }
        if (unknownAt >= 0) {
            if (perSample % known != 0) {
                throw new EngineException("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target));
            }
            out[unknownAt + 1] = perSample / known;
        } else if (known != perSample) {
            throw new EngineException("cannot reshape " + Arrays.toString(s) + " (" + perSample
                    + " values per sample) to " + Arrays.toString(target));
        }
        return out;
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        if (x == viewedInput) {
            return inputView;
        }
        inputShape = x.shape();
        long[] shape = outputShape(inputShape);
        if (x.isView() || x.ordering() != 'c') {
            output = Buffers.ensure(output, x.dataType(), shape);
            output.assign(x.reshape('c', shape));
            return output;
        }
        viewedInput = x;
        inputView = x.reshape('c', shape);
        return inputView;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradInputs[0] != null) {
            if (gradOutput != viewedGrad) {
                viewedGrad = gradOutput;
                gradView = gradOutput.reshape('c', inputShape);
            }
            gradInputs[0].assign(gradView);
        }
    }

    @Override
    public Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        if (!type().equals("flatten")) {
            a.put("shape", Arrays.stream(target).boxed().toList());
        }
        return a;
    }
}
