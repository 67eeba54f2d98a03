package org.a2q.engine.quant;

import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.NativeOp;
import org.a2q.engine.nn.StepMask;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The elementwise work of a per-tensor fake quantizer, q = round(clamp(x/s, lo, hi)) with halves
 * to even, and its straight-through mask, in as few whole-tensor native passes as possible.
 *
 * <p>Halves go to the even neighbour as in the reference (Brevitas rounds with torch.round), in
 * ONNX QuantizeLinear and in QONNX Quant with rounding_mode ROUND, so an exported model rounds every
 * tie as training did. Rounding is two float additions, which vectorise (ND4J's per-element round
 * measured 1.28 ms on [64,6,28,28], its rint 77 µs on [64,6,14,14] against 2 × 12 µs here): for
 * |c| &lt; 2^22, c + 1.5·2^23 lies in (2^23, 2^24) where the float spacing is 1, so the sum is
 * c rounded to an integer, ties to even (1.5·2^23 is even), and subtracting 1.5·2^23 again is
 * exact. The clamp keeps |c| ≤ 2^15. Bit-for-bit the same codes as the straightforward ops
 * (x.div(s), max, min, rint), which a test asserts over ties and random values.
 */
final class FakeQuantKernel {
    // One op per call site, so that each keeps its arrays bound from step to step (rebinding
    // allocates native wrappers: ~5 µs a call on small arrays, see ChannelRows.Ops).
    private final NativeOp divide = new NativeOp("divide");
    private final NativeOp rescale = new NativeOp("multiply");
    private final NativeOp add = new NativeOp("add");
    private final NativeOp subtract = new NativeOp("subtract");
    private final NativeOp maskDifference = new NativeOp("subtract");
    private final NativeOp maskGradient = new NativeOp("multiply");
    // Bound broadcast ops with the bound in a [1] array: 3 µs on [64,120] and 12 µs on
    // [64,6,14,14] against 16 and 35 µs for the legacy ScalarMax/ScalarMin (1 thread).
    private final NativeOp maximum = new NativeOp("maximum");
    private final NativeOp minimum = new NativeOp("minimum");
    private INDArray scale;      // [1] holding s, in the data type of the tensors
    private INDArray lower;      // [1] holding lo
    private INDArray upper;      // [1] holding hi
    private INDArray magic;      // [1] holding 1.5·2^(significand bits − 1): 1.5·2^23 for float
    private INDArray mask;
    private INDArray above;
    private StepMask lowerStep;  // [t > lowerCut]; cutoffs are fixed per quantizer (and ReLU fold)
    private StepMask upperStep;  // [t > hi]

    /** t = x/s and q = round_half_even(clamp(t, lo, hi)); t and q preallocated like x. */
    void codes(INDArray x, double s, double lo, double hi, INDArray t, INDArray q) {
        bindScalars(x.dataType(), s);
        lower.putScalar(0, lo);
        upper.putScalar(0, hi);
        divide.exec(new INDArray[] {x, scale}, t);
        maximum.exec(new INDArray[] {t, lower}, q);
        minimum.exec(new INDArray[] {q, upper}, q);
        add.exec(new INDArray[] {q, magic}, q);         // c + 1.5·2^23: rounded to an integer, ties to even
        subtract.exec(new INDArray[] {q, magic}, q);    // exact
    }

    /** out = q·s, with the s of the last {@link #codes} call. */
    void times(INDArray q, double s, INDArray out) {
        bindScalars(q.dataType(), s);
        rescale.exec(new INDArray[] {q, scale}, out);
    }

    /** out = dy·[lowerCut < t ≤ hi]: the straight-through gradient of the clamp. */
    void passMask(INDArray dy, INDArray t, double lowerCut, double hi, INDArray out) {
        mask = Buffers.like(mask, t);
        above = Buffers.like(above, t);
        if (lowerStep == null || lowerStep.cutoff() != lowerCut) {
            lowerStep = new StepMask(lowerCut);
        }
        if (upperStep == null || upperStep.cutoff() != hi) {
            upperStep = new StepMask(hi);
        }
        lowerStep.exec(t, mask);                  // [t > lowerCut]
        upperStep.exec(t, above);                 // [t > hi]
        maskDifference.exec(new INDArray[] {mask, above}, mask);
        maskGradient.exec(new INDArray[] {dy, mask}, out);
    }

    /** Σ a·b over two same-shaped contiguous tensors. */
    double dot(INDArray a, INDArray b) {
        return Nd4j.getBlasWrapper().dot(a, b);
    }

    /** The largest value of the data type below lo, so that t > below(lo) ⇔ t ≥ lo. */
    double below(double lo, DataType type) {
        return type == DataType.DOUBLE ? Math.nextDown(lo) : Math.nextDown((float) lo);
    }

    private void bindScalars(DataType type, double s) {
        if (scale == null || scale.dataType() != type) {
            scale = Nd4j.create(type, 1);
            lower = Nd4j.create(type, 1);
            upper = Nd4j.create(type, 1);
            magic = Nd4j.create(type, 1).assign(type == DataType.DOUBLE ? 1.5 * Math.pow(2, 52) : 1.5 * Math.pow(2, 23));
        }
        scale.putScalar(0, s);
    }
}
