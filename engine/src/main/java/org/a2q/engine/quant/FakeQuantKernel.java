package org.a2q.engine.quant;

import org.a2q.engine.nn.Buffers;
import org.a2q.engine.nn.LegacyLoop;
import org.a2q.engine.nn.RowProduct;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The elementwise work of a per-tensor fake quantizer, q = round(clamp(x/s, lo, hi)) with halves
 * to even, and its straight-through mask: for dense float32 tensors one SIMD loop forward and one
 * backward ({@link SimdFakeQuant}, when the JVM has the Vector API), otherwise as few whole-tensor
 * libnd4j passes as possible. The two give the same t, q, y and dx bit for bit.
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
    // Each call site keeps its loop bound to its arrays from step to step (LegacyLoop: one native
    // call with the arrays' descriptors looked up once). Bounds and the scale are one-element
    // arrays, read by the loops at each call.
    private LegacyLoop divide;
    private LegacyLoop maximum;
    private LegacyLoop minimum;
    private LegacyLoop add;
    private LegacyLoop subtract;
    private LegacyLoop rescale;
    private LegacyLoop lowerStep;       // [t > lowerCut]
    private LegacyLoop upperStep;       // [t > hi]
    private LegacyLoop maskDifference;
    private LegacyLoop maskGradient;
    private INDArray scale;      // [1] holding s, in the data type of the tensors
    private INDArray lower;      // [1] holding lo
    private INDArray upper;      // [1] holding hi
    private INDArray lowerCutoff;    // [1] holding the lower cutoff of the mask
    private INDArray magic;      // [1] holding 1.5·2^(significand bits − 1): 1.5·2^23 for float
    private INDArray mask;
    private INDArray above;
    private final Dot codeDot = new Dot();       // Σ dy·q
    private final Dot insideDot = new Dot();     // Σ dx·t
    // Native memory of the arrays of the last SIMD call, per operand
    private final NativeFloatSpan xSpan = new NativeFloatSpan();
    private final NativeFloatSpan tSpan = new NativeFloatSpan();
    private final NativeFloatSpan qSpan = new NativeFloatSpan();
    private final NativeFloatSpan ySpan = new NativeFloatSpan();
    private final NativeFloatSpan dySpan = new NativeFloatSpan();
    private final NativeFloatSpan dxSpan = new NativeFloatSpan();

    /**
     * The whole forward pass: t = x/s, q = round_half_even(clamp(t, lo, hi)) and, unless y is
     * null, y = q·s; t, q and y preallocated like x, and t, q, y may be one array (it ends as y).
     */
    void quantize(INDArray x, double s, double lo, double hi, INDArray t, INDArray q, INDArray y) {
        if (NativeFloatSpan.usable(x, t, q, y) && xSpan.bind(x) && tSpan.bind(t) && qSpan.bind(q) && ySpan.bind(y)) {
            SimdFakeQuant.forward(xSpan.bytes, xSpan.offset, tSpan.bytes, tSpan.offset, qSpan.bytes, qSpan.offset,
                    ySpan.bytes, ySpan.offset, (int) x.length(), (float) s, (float) lo, (float) hi);
            return;
        }
        codes(x, s, lo, hi, t, q);
        if (y != null) {
            times(q, s, y);
        }
    }

    /**
     * The whole backward pass: dx = dy·[lowerCut &lt; t ≤ hi] (dx may be dy) and, with the codes q
     * of the forward pass (else null), the LSQ sum Σ dy·q − Σ dx·t, returned (0 without q).
     */
    double backward(INDArray dy, INDArray t, INDArray q, double lowerCut, double hi, INDArray dx) {
        if (NativeFloatSpan.usable(dy, t, q, dx) && dySpan.bind(dy) && tSpan.bind(t) && qSpan.bind(q) && dxSpan.bind(dx)) {
            return SimdFakeQuant.backward(dySpan.bytes, dySpan.offset, tSpan.bytes, tSpan.offset, qSpan.bytes,
                    qSpan.offset, dxSpan.bytes, dxSpan.offset, (int) dy.length(), (float) lowerCut, (float) hi);
        }
        double codeSum = q != null ? codeDot(dy, q) : 0;   // before dy may be overwritten
        passMask(dy, t, lowerCut, hi, dx);
        return q != null ? codeSum - insideDot(dx, t) : 0;
    }

    /** t = x/s and q = round_half_even(clamp(t, lo, hi)); t and q preallocated like x. */
    void codes(INDArray x, double s, double lo, double hi, INDArray t, INDArray q) {
        bindScalars(x.dataType(), s);
        lower.putScalar(0, lo);
        upper.putScalar(0, hi);
        divide = bind(divide, LegacyLoop.Scalar.DIVIDE, x, scale, t);
        maximum = bind(maximum, LegacyLoop.Scalar.MAX, t, lower, q);
        minimum = bind(minimum, LegacyLoop.Scalar.MIN, q, upper, q);
        add = bind(add, LegacyLoop.Scalar.ADD, q, magic, q);
        subtract = bind(subtract, LegacyLoop.Scalar.SUBTRACT, q, magic, q);
        divide.run();
        maximum.run();
        minimum.run();
        add.run();          // c + 1.5·2^23: rounded to an integer, ties to even
        subtract.run();     // exact
    }

    /** t = x/s alone, the first pass of {@link #codes}. */
    void scaled(INDArray x, double s, INDArray t) {
        bindScalars(x.dataType(), s);
        divide = bind(divide, LegacyLoop.Scalar.DIVIDE, x, scale, t);
        divide.run();
    }

    /** out = q·s, with the s of the last {@link #codes} call. */
    void times(INDArray q, double s, INDArray out) {
        bindScalars(q.dataType(), s);
        rescale = bind(rescale, LegacyLoop.Scalar.MULTIPLY, q, scale, out);
        rescale.run();
    }

    /**
     * out = dy·[lowerCut < t ≤ hi]: the straight-through gradient of the clamp. [t &gt; hi] goes to
     * out itself until the product overwrites it (one buffer fewer for the step to pull through
     * the cache), unless out is dy or t or differs from t in shape or type.
     */
    void passMask(INDArray dy, INDArray t, double lowerCut, double hi, INDArray out) {
        mask = Buffers.like(mask, t);
        INDArray aboveHi;
        if (out != dy && out != t && out.dataType() == t.dataType() && java.util.Arrays.equals(out.shape(), t.shape())) {
            aboveHi = out;
        } else {
            above = Buffers.like(above, t);
            aboveHi = above;
        }
        allocateScalars(t.dataType());
        lowerCutoff.putScalar(0, lowerCut);
        upper.putScalar(0, hi);
        lowerStep = bind(lowerStep, LegacyLoop.Scalar.STEP, t, lowerCutoff, mask);
        upperStep = bind(upperStep, LegacyLoop.Scalar.STEP, t, upper, aboveHi);
        maskDifference = bind(maskDifference, LegacyLoop.Pairwise.SUBTRACT, mask, aboveHi, mask);
        maskGradient = bind(maskGradient, LegacyLoop.Pairwise.MULTIPLY, dy, mask, out);
        lowerStep.run();
        upperStep.run();
        maskDifference.run();
        maskGradient.run();
    }

    private static LegacyLoop bind(LegacyLoop loop, LegacyLoop.Scalar op, INDArray x, INDArray s, INDArray z) {
        return loop == null ? LegacyLoop.scalar(op, x, s, z) : loop.rebind(x, s, z);
    }

    private static LegacyLoop bind(LegacyLoop loop, LegacyLoop.Pairwise op, INDArray x, INDArray y, INDArray z) {
        return loop == null ? LegacyLoop.pairwise(op, x, y, z) : loop.rebind(x, y, z);
    }

    /**
     * Σ dy·q, the first half of the LSQ scale gradient. Taken before the mask is applied, so that
     * dy may then be overwritten by dx.
     */
    double codeDot(INDArray dy, INDArray q) {
        return codeDot.of(dy, q);
    }

    /** Σ dx·t, the second half of the LSQ scale gradient. */
    double insideDot(INDArray dx, INDArray t) {
        return insideDot.of(dx, t);
    }

    /**
     * Σ a·b over two dense tensors of one shape at one call site: a BLAS dot product, the row
     * product of a viewed as [1, n] with b, bound to the arrays of the last call (ND4J's BLAS
     * wrapper took ~0.3 µs more per call, and stays the fallback for tensors a reshape would copy).
     */
    private static final class Dot {
        private INDArray a;
        private INDArray b;
        private INDArray out;
        private RowProduct product;

        double of(INDArray a, INDArray b) {
            if (!(direct(a) && direct(b))) {
                return Nd4j.getBlasWrapper().dot(a, b);
            }
            if (a != this.a || b != this.b) {
                this.a = a;
                this.b = b;
                this.out = Nd4j.create(a.dataType(), 1);
                this.product = new RowProduct(a.reshape('c', new long[] {1, a.length()}), b.reshape('c', new long[] {b.length()}), out);
            }
            product.run();
            return out.getDouble(0);
        }

        /** Whether a reshape of x is a view of it (else the bound product would read a stale copy). */
        private static boolean direct(INDArray x) {
            return Buffers.reshapesInPlace(x) && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE);
        }
    }

    /** The largest value of the data type below lo, so that t > below(lo) ⇔ t ≥ lo. */
    double below(double lo, DataType type) {
        return type == DataType.DOUBLE ? Math.nextDown(lo) : Math.nextDown((float) lo);
    }

    private void bindScalars(DataType type, double s) {
        allocateScalars(type);
        scale.putScalar(0, s);
    }

    private void allocateScalars(DataType type) {
        if (scale == null || scale.dataType() != type) {
            scale = Nd4j.create(type, 1);
            lower = Nd4j.create(type, 1);
            upper = Nd4j.create(type, 1);
            lowerCutoff = Nd4j.create(type, 1);
            magic = Nd4j.create(type, 1).assign(type == DataType.DOUBLE ? 1.5 * Math.pow(2, 52) : 1.5 * Math.pow(2, 23));
        }
    }
}
