package org.a2q.engine.quant;

import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Mean;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm1;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.shape.Shape;
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

    /** True if a reshape of a is a view of the same memory (c-order, default strides). */
    static boolean reshapesInPlace(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
    }

    /** a as [channels, K]; a view when possible, otherwise a copy (fine for inputs only). */
    static INDArray rows(INDArray a, int channels, int k) {
        if (reshapesInPlace(a)) {
            return a.reshape('c', channels, k);
        }
        return a.dup('c').reshape('c', channels, k);
    }

    // Row reductions [C, K] -> [C]. ND4J mis-reduces along a dimension of size 1 ([C, 1] gave
    // wrong norms), so K = 1 maps to the equivalent elementwise op.

    /** out_c = Σ_i |rows_ci|. */
    static void rowNorm1(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            Nd4j.exec(new Abs(rows.reshape(rows.size(0)), out));
        } else {
            Nd4j.exec(new Norm1(rows, out, 1));
        }
    }

    /** out_c = Σ_i rows_ci. */
    static void rowSum(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            out.assign(rows.reshape(rows.size(0)));
        } else {
            Nd4j.exec(new Sum(rows, out, 1));
        }
    }

    /** out_c = mean_i rows_ci. */
    static void rowMean(INDArray rows, INDArray out) {
        if (rows.size(1) == 1) {
            out.assign(rows.reshape(rows.size(0)));
        } else {
            Nd4j.exec(new Mean(rows, out, 1));
        }
    }

    /** out_c = Σ_i a_ci·b_ci. */
    static void rowDot(INDArray a, INDArray b, INDArray out) {
        if (a.size(1) == 1) {
            Nd4j.exec(new MulOp(a.reshape(a.size(0)), b.reshape(b.size(0)), out));
        } else {
            Nd4j.exec(new Dot(a, b, out, 1));
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
