package org.a2q.engine.quant;

import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Buffers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.a2q.engine.nn.LegacyOp;
import org.a2q.engine.nn.NativeOp;
import org.a2q.engine.nn.StepMask;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;

/** Views of a weight tensor [Cout, …] as [Cout, K] rows, one per output channel (a2q-math.md §1). */
final class ChannelRows {
    private ChannelRows() {}

    /** Fan-in K of one output channel of v; checks that v has {@code channels} rows. */
    static int dotLength(INDArray v, int channels) {
        if (v.rank() < 1 || v.size(0) != channels) {
            throw new EngineException("weight quantizer built for " + channels + " output channels got a weight of shape "
                    + java.util.Arrays.toString(v.shape()));
        }
        long k = v.length() / channels;
        if (k < 1 || k > Integer.MAX_VALUE) {
            throw new EngineException("weight fan-in must be 1.." + Integer.MAX_VALUE + ", got " + k);
        }
        return (int) k;
    }

    /**
     * True if a reshape of a is a view of the same memory: c-order and dense, the strides of
     * size-1 dimensions ignored (a [6, 1, 5, 5] weight cut from the parameter arena has stride 25
     * on its second dimension, and failing ND4J's default-strides test it was copied twice a step).
     */
    static boolean reshapesInPlace(INDArray a) {
        return a.ordering() == 'c' && Buffers.isDense(a);
    }

    /**
     * Caches the [C, K] view of one caller array: a reshape costs ~17 µs (measured), and the layer
     * passes the same weight and gradient arrays every step.
     */
    static final class RowsView {
        private INDArray source;
        private INDArray view;

        INDArray of(INDArray a, int channels, int k) {
            if (a != source || view == null || view.size(1) != k) {
                view = rows(a, channels, k);
                source = reshapesInPlace(a) ? a : null; // copies are never reused
            }
            return view;
        }
    }

    /** a as [channels, K]; a view when possible, otherwise a copy (fine for inputs only). */
    static INDArray rows(INDArray a, int channels, int k) {
        if (reshapesInPlace(a)) {
            return a.reshape('c', channels, k);
        }
        return a.dup('c').reshape('c', channels, k);
    }

    // Row reductions [C, K] -> [C]. The reduce_* custom ops cost about half of the legacy TAD
    // reductions (Norm1/Mean/Dot along a dimension) at these sizes. ND4J also mis-reduced a
    // [C, 1] array along dim 1 (zero norms), so K = 1 maps to the equivalent elementwise op.

    /** out_c = Σ_i |rows_ci|. */
    static void rowNorm1(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            abs(rows.reshape(rows.size(0)), out);
        } else {
            BOUND.get().norm1.exec(new INDArray[] {rows}, out);
        }
    }

    /** out_c = Σ_i rows_ci. */
    static void rowSum(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            out.assign(rows.reshape(rows.size(0)));
        } else {
            BOUND.get().sum.exec(new INDArray[] {rows}, out);
        }
    }

    /** out_c = mean_i rows_ci. */
    static void rowMean(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            out.assign(rows.reshape(rows.size(0)));
        } else {
            BOUND.get().mean.exec(new INDArray[] {rows}, out);
        }
    }

    /** out_c = Σ_i a_ci·b_ci, via an elementwise product into scratch and a row sum. */
    static void rowDot(INDArray a, INDArray b, INDArray scratch, INDArray out) {
        mul(a, b, scratch);
        rowSum(scratch, out);
    }

    /**
     * The row ops bound to reusable contexts, one set per thread (a context holds its arrays
     * between calls). A freshly built op costs 15–25 µs of dispatch and a bound one ~3 µs, and an
     * A2Q quantizer's forward and backward are ~25 ops on arrays of a few thousand values.
     */
    private static final class BoundOps {
        final NativeOp norm1 = new NativeOp("reduce_norm1", 1);
        final NativeOp sum = new NativeOp("reduce_sum", 1);
        final NativeOp mean = new NativeOp("reduce_mean", 1);
        final NativeOp multiply = new NativeOp("multiply");
        final NativeOp subtract = new NativeOp("subtract");
        final NativeOp minimum = new NativeOp("minimum");
        final NativeOp maximum = new NativeOp("maximum");
        final NativeOp rint = new NativeOp("rint");
        final NativeOp toInt = new NativeOp("cast", 9);          // libnd4j data type INT32
        final NativeOp toFloat = new NativeOp("cast", 5);        // FLOAT
        final NativeOp toDouble = new NativeOp("cast", 6);       // DOUBLE
        final LegacyOp abs = new LegacyOp(Abs::new);
        final LegacyOp sign = new LegacyOp(Sign::new);
        private final java.util.Map<Double, StepMask> steps = new java.util.HashMap<>();
        private final INDArray[] bounds = new INDArray[2];     // [1] arrays: a clamp's −limit and limit

        /** The bound step op for a cutoff (a quantizer's clip limit: a handful per model). */
        StepMask step(double cutoff) {
            return steps.computeIfAbsent(cutoff, StepMask::new);
        }

        /** −limit and limit as [1] arrays of the given type (reused while the type stays). */
        INDArray[] bounds(DataType type, double limit) {
            if (bounds[0] == null || bounds[0].dataType() != type) {
                bounds[0] = Nd4j.create(type, 1);
                bounds[1] = Nd4j.create(type, 1);
            }
            bounds[0].putScalar(0, -limit);
            bounds[1].putScalar(0, limit);
            return bounds;
        }
    }

    private static final ThreadLocal<BoundOps> BOUND = ThreadLocal.withInitial(BoundOps::new);

    /** out = a ⊙ b (same shapes, or b broadcast). */
    static void mul(INDArray a, INDArray b, INDArray out) {
        BOUND.get().multiply.exec(new INDArray[] {a, b}, out);
    }

    /** out = |x|. */
    static void abs(INDArray x, INDArray out) {
        BOUND.get().abs.exec(x, out);
    }

    /** out = sign(x), 0 at 0. */
    static void sign(INDArray x, INDArray out) {
        BOUND.get().sign.exec(x, out);
    }

    /** out = a − b (same shapes, or b broadcast). */
    static void sub(INDArray a, INDArray b, INDArray out) {
        BOUND.get().subtract.exec(new INDArray[] {a, b}, out);
    }

    /**
     * out = rows ⊙ column, column a [C, 1] view broadcast along K. The broadcastable custom op is
     * several times faster here than the legacy BroadcastMulOp (measured at [120, 400]).
     */
    static void mulRows(INDArray rows, INDArray column, INDArray out) {
        mul(rows, column, out);
    }

    /** out = rows − column, column a [C, 1] view broadcast along K. */
    static void subRows(INDArray rows, INDArray column, INDArray out) {
        sub(rows, column, out);
    }

    /**
     * out = grad where |x| ≤ cut, 0 where |x| > cut: the straight-through gradient of a clamp to
     * the weight range (scratch, like x, is overwritten).
     */
    static void passUnclipped(INDArray grad, INDArray x, double cut, INDArray scratch, INDArray out) {
        abs(x, scratch);
        BOUND.get().step(cut).exec(scratch, scratch);   // 1 where clipped
        mul(grad, scratch, scratch);
        sub(grad, scratch, out);
    }

    /**
     * out = clamp(in, −limit, limit). Bound minimum/maximum against [1] arrays: 3–12 µs each
     * against 16–35 µs for the legacy scalar ops and far more for the clipbyvalue custom op.
     */
    static void clamp(INDArray in, double limit, INDArray out) {
        BoundOps ops = BOUND.get();
        INDArray[] b = ops.bounds(in.dataType(), limit);
        ops.minimum.exec(new INDArray[] {in, b[1]}, out);
        ops.maximum.exec(new INDArray[] {out, b[0]}, out);
    }

    /** out = round(in) with halves to even, like torch.round (bound rint, not the legacy op). */
    static void roundHalfEven(INDArray in, INDArray out) {
        BOUND.get().rint.exec(new INDArray[] {in}, out);
    }

    /**
     * out = rtz(in) by a round trip through an int buffer: the float-to-int conversion truncates
     * toward zero, which is exactly rtz (§3.1), and costs far less than fmod. Callers guarantee
     * |in| < 2^31 (values are clamped to the weight range, or bounded by g′ < 2^(M−1)).
     */
    static void roundTowardZero(INDArray in, INDArray intScratch, INDArray out) {
        BoundOps ops = BOUND.get();
        ops.toInt.exec(new INDArray[] {in}, intScratch);
        switch (out.dataType()) {
            case FLOAT -> ops.toFloat.exec(new INDArray[] {intScratch}, out);
            case DOUBLE -> ops.toDouble.exec(new INDArray[] {intScratch}, out);
            default -> out.assign(intScratch);
        }
    }

    /** Unit roundoff of a floating dtype: the relative error bound of one rounding. */
    static double unitRoundoff(DataType type) {
        switch (type) {
            case DOUBLE:
                return 0x1.0p-53;
            case FLOAT:
                return 0x1.0p-24;
            case HALF:
                return 0x1.0p-11;
            case BFLOAT16:
                return 0x1.0p-8;
            default:
                throw new EngineException("weight quantizers need a floating-point weight, got " + type);
        }
    }

    /** Rows of an integer-valued [C, K] array as long (exact: values are small integers). */
    static long[][] toLongRows(INDArray rows) {
        int channels = (int) rows.size(0);
        int k = (int) rows.size(1);
        long[][] out = new long[channels][k];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < k; i++) {
                out[c][i] = (long) rows.getDouble(c, i);
            }
        }
        return out;
    }
}
