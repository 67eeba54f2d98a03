package org.a2q.engine.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * out_r = Σ_k rows_rk·w_k for a dense [rows, K] array and a dense weight vector of K values: one
 * BLAS matrix-vector product (OpenBLAS's gemv, the BLAS under ND4J's own matmul) bound to its
 * arrays and called directly. With w all ones this is a row sum, with w = 1/K a row mean. The
 * quantizers take 4–6 row sums per step and layer: through ND4J's matmul custom op one cost
 * 8.9 µs on [120, 400] and 7.8 µs on [84, 120], called directly 1.8 and 0.6 µs (libnd4j's own
 * row reduction: 23.4 and 3.6 µs). ND4J limits OpenBLAS to one thread (EngineRuntime).
 */
public final class RowProduct {
    // The arrays, kept reachable while their native memory is used through the pointers below.
    private final INDArray rows;
    private final INDArray weights;
    private final INDArray out;
    private final int m;
    private final int k;
    private final boolean isDouble;
    private final Pointer a;
    private final Pointer x;
    private final Pointer y;

    /**
     * @param rows    [rows, K], c-order and dense (a view of a larger buffer is fine)
     * @param weights K values, dense
     * @param out     rows values, dense; all three of one floating type (float or double)
     */
    public RowProduct(INDArray rows, INDArray weights, INDArray out) {
        DataType type = rows.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("row products take float or double, got " + type);
        }
        if (rows.rank() != 2 || rows.ordering() != 'c' || !Buffers.isDense(rows)) {
            throw new IllegalArgumentException("row products need a dense c-order [rows, K] array, got " + rows.shapeInfoToString());
        }
        if (weights.dataType() != type || out.dataType() != type || weights.length() != rows.size(1)
                || out.length() != rows.size(0) || !Buffers.isDense(weights) || !Buffers.isDense(out)) {
            throw new IllegalArgumentException("row product of " + rows.shapeInfoToString() + " needs dense vectors of "
                    + rows.size(1) + " and " + rows.size(0) + " values of its type, got "
                    + weights.shapeInfoToString() + " and " + out.shapeInfoToString());
        }
        this.rows = rows;
        this.weights = weights;
        this.out = out;
        this.m = Math.toIntExact(rows.size(0));
        this.k = Math.toIntExact(rows.size(1));
        this.isDouble = type == DataType.DOUBLE;
        this.a = rows.data().addressPointer();      // a view's buffer starts at the view
        this.x = weights.data().addressPointer();
        this.y = out.data().addressPointer();
    }

    public void run() {
        if (isDouble) {
            openblas.cblas_dgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, m, k, 1.0, (DoublePointer) a, k,
                    (DoublePointer) x, 1, 0.0, (DoublePointer) y, 1);
        } else {
            openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, m, k, 1f, (FloatPointer) a, k,
                    (FloatPointer) x, 1, 0f, (FloatPointer) y, 1);
        }
    }
}
