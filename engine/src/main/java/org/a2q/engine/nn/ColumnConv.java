package org.a2q.engine.nn;

import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Convolution of a layer with few input channels (the first layer on images) as im2col and one
 * GEMM per pass, in the layout perf-notes.md found fastest ("variant D"):
 * <ul>
 * <li>columns X [K+1, N·OH·OW] (K = C·kh·kw), copied from overlapping strided views of the
 *     zero-padded input (one copy per input channel; a legacy assign from a view measured 8x
 *     faster than libnd4j's im2col op), with a row of ones so the bias rides in the GEMM;</li>
 * <li>forward Y = [W | b]·X, an output [Cout, N, OH, OW]; when the graph says its reader is a
 *     max-pool (through layers the graph runs after the pool) it is handed on as its NCHW
 *     permutation (a view, no copy) and pooled channel-major, where oneDNN pools twice as fast
 *     (Pool2d); otherwise copied;</li>
 * <li>backward [dW | db] = dY·Xᵀ, one GEMM from the cached columns; dY arrives channel-major when
 *     the graph allocated it like the output, otherwise it is copied once.</li>
 * </ul>
 * With 1–3 input channels oneDNN's direct convolution and the dW-as-convolution trick (batch 1)
 * leave most of the vector width idle: at LeNet's conv1 (1→6, 5×5, batch 64) the two passes cost
 * 0.86 + 1.0 ms against 0.98 + 0.30 ms here (1 thread).
 */
final class ColumnConv {
    /** Layers with at most this many input channels use columns (grey or RGB image inputs). */
    static final int MAX_IN_CHANNELS = 3;

    private final Conv2d conv;
    private final NativeOp forwardMatmul = new NativeOp("matmul", 0, 0, 0).withFloatArgs(1.0, 0.0);
    private final NativeOp weightGradMatmul = new NativeOp("matmul", 0, 1, 0).withFloatArgs(1.0, 0.0);

    private long[] builtFor;          // input shape the buffers below belong to
    private DataType type;
    private boolean withBias;
    private INDArray padded;          // [N, C, H+2p, W+2p], zero border
    private INDArray paddedInterior;  // where x is copied to
    private INDArray columns;         // [K(+1), N·OH·OW]
    private INDArray[] columnBlocks;  // per input channel: its kh·kw rows as [kh, kw, N, OH, OW]
    private INDArray[] patches;       // per input channel: the overlapping view of padded
    private INDArray weightMatrix;    // [Cout, K(+1)]
    private INDArray weightPart;      // [Cout, K] view
    private INDArray biasPart;        // [Cout, 1] view
    private INDArray outputCN;        // [Cout, N·OH·OW]
    private INDArray output;          // outputCN as [N, Cout, OH, OW]
    private INDArray denseOutput;     // [N, Cout, OH, OW] copy, for readers that want NCHW memory
    private INDArray gradCopy;        // [Cout, N, OH, OW], when dY comes in another layout
    private INDArray gradMatrix;      // [Cout, K(+1)]
    private INDArray gradWeightPart;  // [Cout, K] view of gradMatrix
    private INDArray gradBiasPart;    // [Cout, 1] view of gradMatrix

    // The small copies in and out of [W | b] are bound loops (BoundCopy): through INDArray.assign
    // they cost 21.8 µs in and 35.7 µs out per call at conv1, and each thread of the split
    // training step paid that for its half.
    private static final UnaryOperator<INDArray> ROWS = w -> w.reshape('c', w.size(0), w.length() / w.size(0));
    private static final UnaryOperator<INDArray> COLUMN = b -> b.reshape('c', b.length(), 1);
    private final ViewCache weightRows = new ViewCache(ROWS);
    private final ViewCache biasColumn = new ViewCache(COLUMN);
    private final ViewCache gradWeightRows = new ViewCache(ROWS);
    private final ViewCache gradBiasColumn = new ViewCache(COLUMN);
    private final BoundCopy weightIn = new BoundCopy();
    private final BoundCopy biasIn = new BoundCopy();
    private final BoundCopy gradWeightOut = new BoundCopy();
    private final BoundCopy gradBiasOut = new BoundCopy();
    private LegacyLoop[] columnCopies;    // per input channel: its patches into its column rows

    ColumnConv(Conv2d conv) {
        this.conv = conv;
    }

    /**
     * @param channelMajor whether the output may stay channel-major (a view); otherwise it is
     *     copied to dense NCHW (180 µs at LeNet's conv1), which elementwise readers such as a
     *     quantizer need to run at full speed
     */
    INDArray forward(INDArray x, INDArray weight, INDArray bias, boolean channelMajor) {
        prepare(x, bias != null);
        paddedInterior.assign(x);
        for (LegacyLoop c : columnCopies) {
            c.run();
        }
        weightIn.run(weightRows.of(viewable(weight)), weightPart);
        if (bias != null) {
            biasIn.run(biasColumn.of(viewable(bias)), biasPart);
        }
        forwardMatmul.exec(new INDArray[] {weightMatrix, columns}, outputCN);
        if (channelMajor) {
            return output;
        }
        denseOutput = Buffers.ensure(denseOutput, type, output.shape());
        denseOutput.assign(output);
        return denseOutput;
    }

    /** dW (and db) from dY and the columns of the last forward. */
    void backward(INDArray gradOutput, INDArray gradWeight, INDArray gradBias) {
        long cout = conv.outChannels();
        long m = outputCN.size(1);
        INDArray channelMajor = gradOutput.permute(1, 0, 2, 3);
        INDArray dy;
        if (Buffers.isDense(channelMajor)) {
            dy = channelMajor.reshape('c', cout, m);
        } else {
            gradCopy = Buffers.ensure(gradCopy, type, channelMajor.shape());
            gradCopy.assign(channelMajor);
            dy = gradCopy.reshape('c', cout, m);
        }
        weightGradMatmul.exec(new INDArray[] {dy, columns}, gradMatrix);
        // The gradients are arena slots or dense scratch; any other layout is written through a
        // copy of the source shaped like it (a reshape of the target would copy and drop the write).
        if (Buffers.reshapesInPlace(gradWeight)) {
            gradWeightOut.run(gradWeightPart, gradWeightRows.of(gradWeight));
        } else {
            gradWeight.assign(gradWeightPart.dup('c').reshape(gradWeight.shape()));
        }
        if (gradBias != null) {
            if (Buffers.isDense(gradBias)) {
                gradBiasOut.run(gradBiasPart, gradBiasColumn.of(gradBias));
            } else {
                gradBias.assign(gradBiasPart.dup('c').reshape(gradBias.shape()));
            }
        }
    }

    /** a itself if a reshape of it is a view (the parameters are), else a dense copy to read from. */
    private static INDArray viewable(INDArray a) {
        return Buffers.reshapesInPlace(a) ? a : a.dup('c');
    }

    private void prepare(INDArray x, boolean bias) {
        long[] s = x.shape();
        if (Arrays.equals(s, builtFor) && x.dataType() == type && bias == withBias) {
            return;
        }
        type = x.dataType();
        withBias = bias;
        builtFor = s.clone();
        long n = s[0];
        int c = conv.inChannels();
        int kh = conv.kernelH();
        int kw = conv.kernelW();
        long[] out = conv.outputShape(s);
        long oh = out[2];
        long ow = out[3];
        long hp = s[2] + 2L * conv.padH();
        long wp = s[3] + 2L * conv.padW();
        long m = n * oh * ow;
        long k = conv.fanIn();
        padded = Nd4j.create(type, n, c, hp, wp);
        paddedInterior = padded.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(conv.padH(), conv.padH() + s[2]), NDArrayIndex.interval(conv.padW(), conv.padW() + s[3]));
        columns = Nd4j.create(type, bias ? k + 1 : k, m);
        if (bias) {
            columns.getRow(k).assign(1.0);
        }
        columnBlocks = new INDArray[c];
        patches = new INDArray[c];
        long block = (long) kh * kw * m;
        for (int ch = 0; ch < c; ch++) {
            // rows ch·kh·kw … of the columns, dense, seen as [kh, kw, N, OH, OW]
            columnBlocks[ch] = Nd4j.create(columns.data(), new long[] {kh, kw, n, oh, ow},
                    new long[] {kw * m, m, oh * ow, ow, 1}, ch * block, 'c');
            // element [a, b, i, y, x] = padded[i, ch, y·sH + a, x·sW + b]
            patches[ch] = Nd4j.create(padded.data(), new long[] {kh, kw, n, oh, ow},
                    new long[] {wp, 1, (long) c * hp * wp, conv.strideH() * wp, conv.strideW()}, ch * hp * wp, 'c');
        }
        columnCopies = new LegacyLoop[c];
        for (int ch = 0; ch < c; ch++) {
            columnCopies[ch] = LegacyLoop.convert(patches[ch], columnBlocks[ch]);
        }
        weightMatrix = Nd4j.create(type, conv.outChannels(), bias ? k + 1 : k);
        weightPart = weightMatrix.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
        biasPart = bias ? weightMatrix.get(NDArrayIndex.all(), NDArrayIndex.interval(k, k + 1)) : null;
        gradMatrix = weightMatrix.ulike();
        gradWeightPart = gradMatrix.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
        gradBiasPart = bias ? gradMatrix.get(NDArrayIndex.all(), NDArrayIndex.interval(k, k + 1)) : null;
        outputCN = Nd4j.create(type, conv.outChannels(), m);
        output = outputCN.reshape('c', conv.outChannels(), n, oh, ow).permute(1, 0, 2, 3);
    }
}
