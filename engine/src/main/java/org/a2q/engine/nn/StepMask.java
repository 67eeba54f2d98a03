package org.a2q.engine.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * out = [x &gt; cutoff] (1 or 0): libnd4j's legacy Step loop called directly ({@link LegacyLoop}),
 * the mask of the ReLU gradient. The cutoff is fixed per instance; the loop stays bound to the
 * arrays of the last call.
 */
public final class StepMask {
    private final double cutoff;
    private INDArray cutoffValue;   // [1] holding the cutoff, in the type of x
    private LegacyLoop step;

    public StepMask(double cutoff) {
        this.cutoff = cutoff;
    }

    /** out = [x &gt; cutoff]; x and out of the same shape and type (out may be x). */
    public void exec(INDArray x, INDArray out) {
        DataType type = x.dataType();
        if (cutoffValue == null || cutoffValue.dataType() != type) {
            cutoffValue = Nd4j.create(type, 1).putScalar(0, cutoff);
            step = null;
        }
        if (step == null) {
            step = LegacyLoop.scalar(LegacyLoop.Scalar.STEP, x, cutoffValue, out);
        } else {
            step.rebind(x, cutoffValue, out);
        }
        step.run();
    }
}
