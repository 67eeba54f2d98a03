package org.a2q.engine.nn;

import java.util.Map;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.factory.Nd4j;

/** Mean over H and W: [B, C, H, W] → [B, C, 1, 1]; backward spreads dY/(H·W) over the window. */
public final class GlobalAvgPool extends Layer {
    private long[] inputShape;
    private INDArray output;

    public GlobalAvgPool() {
        super("globalavgpool");
    }

    @Override
    public long[] outputShape(long[]... in) {
        long[] s = in[0];
        if (s.length != 4) {
            throw new EngineException("globalavgpool expects an NCHW input, got " + java.util.Arrays.toString(s));
        }
        return new long[] {s[0], s[1], 1, 1};
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        INDArray x = inputs[0];
        inputShape = x.shape();
        output = Buffers.ensure(output, x.dataType(), outputShape(inputShape));
        x.mean(output.reshape(inputShape[0], inputShape[1]), 2, 3);
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        INDArray g = gradInputs[0];
        if (g == null) {
            return;
        }
        double area = inputShape[2] * inputShape[3];
        g.assign(0);
        INDArray perChannel = gradOutput.reshape(inputShape[0], inputShape[1]).div(area);
        Nd4j.exec(new BroadcastAddOp(g, perChannel, g, 0, 1));
    }

    @Override
    public Map<String, Object> attributes() {
        return Map.of();
    }
}
