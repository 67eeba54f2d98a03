package org.a2q.engine.io.onnx;

import java.util.LinkedHashMap;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x·scale[c] + shift[c] along axis 1 (channels of NCHW, features of [batch, F]); one value
 * instead of C applies to every channel. Imported models use it for the input normalisation that
 * exporters write as Sub/Mul/Div/Add by constants. Scale and shift are fixed preprocessing, not
 * trainable parameters: they are layer state, so runs save and restore them like BatchNorm statistics.
 */
public final class ScaleShift extends Layer {
    private final int channels;
    private final INDArray scale;
    private final INDArray shift;
    private INDArray output;

    /** A layer with scale 1 and shift 0 for {@code channels} channels (1: the same for all). */
    public ScaleShift(int channels) {
        super("scaleshift");
        if (channels < 1) {
            throw new EngineException("scaleshift needs channels ≥ 1, got " + channels);
        }
        this.channels = channels;
        this.scale = Nd4j.ones(Nd4j.defaultFloatingPointType(), channels);
        this.shift = Nd4j.zeros(Nd4j.defaultFloatingPointType(), channels);
    }

    public ScaleShift(float[] scale, float[] shift) {
        this(scale.length);
        if (shift.length != scale.length) {
            throw new EngineException("scaleshift: scale has " + scale.length + " values but shift has " + shift.length);
        }
        this.scale.assign(Nd4j.createFromArray(scale).castTo(this.scale.dataType()));
        this.shift.assign(Nd4j.createFromArray(shift).castTo(this.shift.dataType()));
    }

    public int channels() { return channels; }
    public INDArray scale() { return scale; }
    public INDArray shift() { return shift; }

    @Override
    public long[] outputShape(long[]... in) {
        long[] s = in[0];
        if (s.length < 2 || (channels != 1 && s[1] != channels)) {
            throw new EngineException("scaleshift with " + channels + " channels does not fit input "
                    + java.util.Arrays.toString(s));
        }
        return s.clone();
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        outputShape(x.shape());
        output = Buffers.like(output, x);
        if (channels == 1) {
            output.assign(x).muli(scale.getDouble(0)).addi(shift.getDouble(0));
            return output;
        }
        Nd4j.exec(new BroadcastMulOp(x, scale.castTo(x.dataType()), output, 1));
        Nd4j.exec(new BroadcastAddOp(output, shift.castTo(x.dataType()), output, 1));
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        // dx = dy·scale; nothing to learn.
        if (gradInputs[0] == null) {
            return;
        }
        if (channels == 1) {
            gradInputs[0].assign(gradOutput).muli(scale.getDouble(0));
        } else {
            Nd4j.exec(new BroadcastMulOp(gradOutput, scale.castTo(gradOutput.dataType()), gradInputs[0], 1));
        }
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        s.put("scale", scale);
        s.put("shift", shift);
        return s;
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of("channels", channels);
    }
}
