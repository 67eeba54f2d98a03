package org.a2q.engine.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * 2-D convolution, NCHW, weight [Cout, Cin, kh, kw] (PyTorch/ONNX "OIYX" layout), groups = 1.
 * Forward and backward run the oneDNN-backed libnd4j {@code conv2d} / {@code conv2d_bp} kernels
 * into preallocated arrays.
 */
public final class Conv2d extends WeightedLayer {
    private final int inChannels;
    private final int outChannels;
    private final int kernelH;
    private final int kernelW;
    private final int strideH;
    private final int strideW;
    private final int padH;
    private final int padW;

    private final NativeOp forwardOp;
    private final NativeOp weightGradOp;  // conv2d_bp: the fallback for strided layers
    private final NativeOp inputGradOp;
    // db = Σ_{n,y,x} dY through a bound reduce_sum: 193 µs vs 272 µs for INDArray.sum on
    // [64,6,28,28] (1 thread, CPU time).
    private final NativeOp biasGradSum = new NativeOp("reduce_sum", 0, 2, 3);
    private NativeOp weightGradConvOp;    // the dW-as-convolution op, rebuilt when dY's size changes
    private long weightGradConvH = -1;
    private long weightGradConvW = -1;
    private final ColumnConv columns;     // non-null: im2col + one GEMM per pass (few input channels)
    private boolean channelMajorOutput;
    private INDArray input;
    private INDArray effectiveWeight;
    // batch <-> channel views for dW as a convolution, kept while the arrays stay (see ViewCache)
    private final ViewCache inputCN = new ViewCache(a -> a.permute(1, 0, 2, 3));
    private final ViewCache gradOutputCN = new ViewCache(a -> a.permute(1, 0, 2, 3));
    private INDArray output;
    private INDArray weightGradConv;
    private INDArray inputGradConv;
    private INDArray inputGradScratch;

    public Conv2d(String name, int inChannels, int outChannels, int kernelH, int kernelW,
                  int strideH, int strideW, int padH, int padW, boolean bias, SplittableRandom rng) {
        super("conv");
        if (inChannels < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0) {
            throw new EngineException("conv " + name + ": channels, kernel and stride must be ≥ 1 and padding ≥ 0");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        long fanIn = (long) inChannels * kernelH * kernelW;
        Param weightParam = new Param(name + ".weight", Param.Kind.WEIGHT,
                Init.uniformFanIn(rng, fanIn, outChannels, inChannels, kernelH, kernelW));
        initParams(weightParam, bias ? new Param(name + ".bias", Param.Kind.BIAS, Init.uniformFanIn(rng, fanIn, outChannels)) : null);
        // iArgs: kH,kW,sH,sW,pH,pW,dH,dW, paddingMode 0 (explicit), dataFormat 0 (NCHW), wFormat 1 (OIYX).
        long[] args = {kernelH, kernelW, strideH, strideW, padH, padW, 1, 1, 0, 0, 1};
        this.forwardOp = new NativeOp("conv2d", args);
        // dW as a forward convolution (see backward): stride 1, padding p, dilation = stride.
        this.weightGradOp = new NativeOp("conv2d_bp", args);
        // dX as a transposed convolution of dY with W; deconv2d's OIYX-like format 1 is
        // [iC, oC, kH, kW] of the deconvolution, i.e. exactly our [Cout, Cin, kh, kw].
        this.inputGradOp = new NativeOp("deconv2d", kernelH, kernelW, strideH, strideW, padH, padW, 1, 1, 0, 0, 1);
        this.columns = inChannels <= ColumnConv.MAX_IN_CHANNELS ? new ColumnConv(this) : null;
    }

    /**
     * Set by the graph before each forward: whether this layer's output may be a channel-major
     * view (its only reader is a max-pool, directly or through layers the graph runs after the pool).
     */
    void allowChannelMajorOutput(boolean allow) { this.channelMajorOutput = allow; }

    public int inChannels() { return inChannels; }
    public int outChannels() { return outChannels; }
    @Override public int outputs() { return outChannels; }
    public int kernelH() { return kernelH; }
    public int kernelW() { return kernelW; }
    public int strideH() { return strideH; }
    public int strideW() { return strideW; }
    public int padH() { return padH; }
    public int padW() { return padW; }
    /** Dot-product length of one output: Cin·kh·kw. */
    public long fanIn() { return (long) inChannels * kernelH * kernelW; }



    @Override
    public long[] outputShape(long[]... in) {
        long[] s = in[0];
        if (s.length != 4 || s[1] != inChannels) {
            throw new EngineException("conv expects input [batch, " + inChannels + ", H, W] but got "
                    + java.util.Arrays.toString(s));
        }
        long oh = (s[2] + 2L * padH - kernelH) / strideH + 1;
        long ow = (s[3] + 2L * padW - kernelW) / strideW + 1;
        if (oh < 1 || ow < 1) {
            throw new EngineException("conv kernel " + kernelH + "x" + kernelW + " does not fit input "
                    + s[2] + "x" + s[3] + " with padding " + padH + "," + padW);
        }
        return new long[] {s[0], outChannels, oh, ow};
    }

    @Override
    public INDArray forward(INDArray[] inputs, boolean training) {
        input = inputs[0];
        effectiveWeight = effectiveWeight();
        if (columns != null) {
            return columns.forward(input, effectiveWeight, bias() == null ? null : bias().value(), channelMajorOutput);
        }
        output = Buffers.ensure(output, input.dataType(), outputShape(input.shape()));
        INDArray[] in = bias() == null ? new INDArray[] {input, effectiveWeight}
                                     : new INDArray[] {input, effectiveWeight, bias().value()};
        forwardOp.exec(in, output);
        return output;
    }

    /**
     * Backward without libnd4j's conv2d_bp, which measured 2–7x slower here and always computes
     * dX, even for the first layer where nobody needs it (perf-notes.md §1).
     * <ul>
     * <li>dW[o,i,a,b] = Σ_n Σ_{y,x} dY[n,o,y,x] · xpad[n,i,y·s+a,x·s+b]: a forward convolution of
     *     x viewed as [Cin, B, H, W] (batch ↔ channels) with dY viewed as the weights
     *     [Cout, B, OH, OW], stride 1, padding p, dilation s; its output [Cin, Cout, ≥kh, ≥kw]
     *     is cropped to the kernel and transposed.</li>
     * <li>dX = conv_transpose(dY, W) (deconv2d), only when the graph asks for it.</li>
     * <li>db = Σ_{n,y,x} dY.</li>
     * </ul>
     */
    @Override
    public void backward(INDArray gradOutput, INDArray[] gradInputs) {
        if (columns != null && (gradInputs[0] == null || (strideH == 1 && strideW == 1))) {
            INDArray gradW = weightGradTarget();
            columns.backward(gradOutput, gradW, bias() == null ? null : bias().grad());
            if (gradInputs[0] != null) {
                inputGrad(gradOutput.isView() ? gradOutput.dup('c') : gradOutput, gradInputs[0]);
            }
            finishWeightGrad(gradW);
            return;
        }
        if (strideH != 1 || strideW != 1) {
            // The dW-as-convolution trick needs a dilated convolution, which oneDNN refuses in
            // float ("could not create a descriptor for a dilated convolution"); strided layers
            // (ResNet downsampling) take libnd4j's conv2d_bp instead.
            backwardWithConv2dBp(gradOutput, gradInputs);
            return;
        }
        long[] xs = input.shape();
        long[] ys = gradOutput.shape();
        INDArray gradW = weightGradTarget();
        long ohFull = xs[2] + 2L * padH - (ys[2] - 1) * strideH;
        long owFull = xs[3] + 2L * padW - (ys[3] - 1) * strideW;
        weightGradConv = Buffers.ensure(weightGradConv, input.dataType(), inChannels, outChannels, ohFull, owFull);
        INDArray xT = inputCN.of(input);
        INDArray dyT = gradOutputCN.of(gradOutput);
        if (weightGradConvOp == null || weightGradConvH != ys[2] || weightGradConvW != ys[3]) {
            weightGradConvOp = new NativeOp("conv2d", ys[2], ys[3], 1, 1, padH, padW, strideH, strideW, 0, 0, 1);
            weightGradConvH = ys[2];
            weightGradConvW = ys[3];
        }
        weightGradConvOp.exec(new INDArray[] {xT, dyT}, weightGradConv);
        INDArray cropped = ohFull == kernelH && owFull == kernelW ? weightGradConv
                : weightGradConv.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, kernelH),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, kernelW));
        gradW.assign(cropped.permute(1, 0, 2, 3));
        if (bias() != null) {
            biasGradSum.exec(new INDArray[] {gradOutput}, bias().grad());
        }
        if (gradInputs[0] != null) {
            inputGrad(gradOutput, gradInputs[0]);
        }
        finishWeightGrad(gradW);
    }

    /** dX = conv_transpose(dY, W) (deconv2d); rows/columns the forward window never reached get 0. */
    private void inputGrad(INDArray gradOutput, INDArray gradIn) {
        long[] xs = input.shape();
        long[] ys = gradOutput.shape();
        long dh = (ys[2] - 1) * strideH - 2L * padH + kernelH;
        long dw = (ys[3] - 1) * strideW - 2L * padW + kernelW;
        if (dh == xs[2] && dw == xs[3]) {
            inputGradOp.exec(new INDArray[] {gradOutput, effectiveWeight}, gradIn);
        } else {
            inputGradConv = Buffers.ensure(inputGradConv, input.dataType(), xs[0], xs[1], dh, dw);
            inputGradOp.exec(new INDArray[] {gradOutput, effectiveWeight}, inputGradConv);
            gradIn.assign(0);
            gradIn.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, dh),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, dw)).assign(inputGradConv);
        }
    }

    private void backwardWithConv2dBp(INDArray gradOutput, INDArray[] gradInputs) {
        if (gradOutput.isView()) {
            gradOutput = gradOutput.dup('c');
        }
        INDArray gradIn = gradInputs[0];
        if (gradIn == null) {
            inputGradScratch = Buffers.like(inputGradScratch, input);
            gradIn = inputGradScratch;
        }
        INDArray gradW = weightGradTarget();
        if (bias() == null) {
            weightGradOp.exec(new INDArray[] {input, effectiveWeight, gradOutput}, gradIn, gradW);
        } else {
            weightGradOp.exec(new INDArray[] {input, effectiveWeight, bias().value(), gradOutput}, gradIn, gradW, bias().grad());
        }
        finishWeightGrad(gradW);
    }

    @Override
    public Map<String, Object> attributes() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("in", inChannels);
        a.put("out", outChannels);
        a.put("kernel", List.of(kernelH, kernelW));
        a.put("stride", List.of(strideH, strideW));
        a.put("padding", List.of(padH, padW));
        a.put("bias", bias() != null);
        return a;
    }
}
