package org.a2q.engine.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Fully connected layer y = x·Wᵀ + b with W [out, in] (PyTorch layout), x [batch, in]. */
public final class Linear extends WeightedLayer {
    private final int inFeatures;
    private final int outFeatures;

    private INDArray input;
    private INDArray effectiveWeight;
    private INDArray output;
    // libnd4j matmul (oneDNN in this build) into preallocated outputs: Nd4j.gemm with a transposed
    // operand measured 5–10x slower here on these skinny shapes. iArgs: transpose x, y, z.
    private final NativeOp forwardMatmul = new NativeOp("matmul", 0, 1, 0).withFloatArgs(1.0, 0.0);
    private final NativeOp weightGradMatmul = new NativeOp("matmul", 1, 0, 0).withFloatArgs(1.0, 0.0);
    private final NativeOp inputGradMatmul = new NativeOp("matmul", 0, 0, 0).withFloatArgs(1.0, 0.0);
    // Bias through prebuilt contexts: addiRowVector / sum(dim) cost 70 / 36 µs on [64,120] here,
    // biasadd / reduce_sum bound to a context 7 / 9 µs (1 thread, CPU time).
    private final NativeOp biasAdd = new NativeOp("biasadd").withBoolArgs(false);
    private final NativeOp biasGradSum = new NativeOp("reduce_sum", 0);

    public Linear(String name, int inFeatures, int outFeatures, boolean bias, SplittableRandom rng) {
        super("linear");
        if (inFeatures < 1 || outFeatures < 1) {
            throw new EngineException("linear " + name + ": feature counts must be ≥ 1");
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        Param weightParam = new Param(name + ".weight", Param.Kind.WEIGHT,
                Init.uniformFanIn(rng, inFeatures, outFeatures, inFeatures));
        initParams(weightParam, bias ? new Param(name + ".bias", Param.Kind.BIAS, Init.uniformFanIn(rng, inFeatures, outFeatures)) : null);
    }

    public int inFeatures() { return inFeatures; }
    public int outFeatures() { return outFeatures; }
    @Override public int outputs() { return outFeatures; }
    public long fanIn() { return inFeatures; }


    @Override
    public long[] outputShape(long[]... in) {
        long[] s = in[0];
        if (s.length != 2 || s[1] != inFeatures) {
            throw new EngineException("linear expects input [batch, " + inFeatures + "] but got "
                    + java.util.Arrays.toString(s) + " (add a flatten before it?)");
        }
        return new long[] {s[0], outFeatures};
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        input = inputs[0];
        effectiveWeight = effectiveWeight();
        output = Buffers.ensure(output, input.dataType(), outputShape(input.shape()));
        forwardMatmul.exec(new INDArray[] {input, effectiveWeight}, output);   // y = x·Wᵀ
        if (bias() != null) {
            biasAdd.exec(new INDArray[] {output, bias().value()}, output);   // y += b (per row)
        }
        return output;
    }

    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        INDArray gradW = weightGradTarget();
        // dW = dYᵀ·X, db = Σ_batch dY, dX = dY·W
        weightGradMatmul.exec(new INDArray[] {gradOutput, input}, gradW);
        if (bias() != null) {
            biasGradSum.exec(new INDArray[] {gradOutput}, bias().grad());
        }
        if (gradInputs[0] != null) {
            inputGradMatmul.exec(new INDArray[] {gradOutput, effectiveWeight}, gradInputs[0]);
        }
        finishWeightGrad(gradW);
    }

    @Override
    public Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("in", inFeatures);
        a.put("out", outFeatures);
        a.put("bias", bias() != null);
        return a;
    }
}
