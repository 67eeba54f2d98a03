package org.a2q.engine.nn;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A node operation of a {@link Graph}: forward on NCHW (or [batch, features]) float arrays, and
 * backward that turns the gradient of its output into gradients of its inputs and parameters.
 *
 * <p>Contract: {@link #forward} returns an array owned by the layer (valid until the next
 * forward) and remembers what backward needs. {@link #backward} OVERWRITES each non-null
 * {@code gradInputs[i]} (preallocated by the graph with the input's shape) and OVERWRITES its
 * parameters' gradients; the graph sums gradients where an output fans out.
 */
public abstract class Layer {
    private final String type;

    protected Layer(String type) {
        this.type = type;
    }

    /** Op type name used in specs and files ("conv", "linear", "relu", ...). */
    public final String type() {
        return type;
    }

    /** Output shape (batch dimension included) for the given input shapes; validates them. */
    public abstract long[] outputShape(long[]... inputShapes);

    public abstract INDArray forward(INDArray[] inputs, boolean training);

    public abstract void backward(INDArray gradOutput, INDArray[] gradInputs);

    public List<Param> params() {
        return List.of();
    }

    /** Non-trainable state that must be saved with the model (BatchNorm running statistics). */
    public Map<String, INDArray> state() {
        return Map.of();
    }

    /** Attributes that, with the type and parameter shapes, rebuild this layer (see {@link Layers}). */
    public abstract Map<String, Object> attributes();

    /** Number of inputs this layer takes. */
    public int arity() {
        return 1;
    }
}
