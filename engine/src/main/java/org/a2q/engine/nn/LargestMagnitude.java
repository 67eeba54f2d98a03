package org.a2q.engine.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * max_i |x_i| of a dense float or double array: OpenBLAS's i?amax (one vectorised read pass, the
 * BLAS under ND4J) bound to the array and called directly, then the one value it points at. A
 * weight quantizer uses it to learn in one pass that no value reaches its clamp, and then skips
 * the clamp and its straight-through mask (6 passes over fc1's weights in LeNet, where after
 * training no value does). If x holds a NaN the result may ignore it.
 */
public final class LargestMagnitude {
    private final INDArray x;    // kept reachable while its memory is read through the pointer
    private final int n;
    private final boolean isDouble;
    private final Pointer p;

    /** @param x dense (a view of a larger buffer is fine), float or double, 1 to 2^31 − 1 values */
    public LargestMagnitude(INDArray x) {
        DataType type = x.dataType();
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("largest magnitude of float or double values only, got " + type);
        }
        if (!Buffers.isDense(x) || x.length() < 1 || x.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("largest magnitude needs a dense array of 1.." + Integer.MAX_VALUE
                    + " values, got " + x.shapeInfoToString());
        }
        this.x = x;
        this.n = (int) x.length();
        this.isDouble = type == DataType.DOUBLE;
        this.p = x.data().addressPointer();      // a view's buffer starts at the view
    }

    public double value() {
        if (isDouble) {
            DoublePointer d = (DoublePointer) p;
            return Math.abs(d.get(openblas.cblas_idamax(n, d, 1)));
        }
        FloatPointer f = (FloatPointer) p;
        return Math.abs(f.get(openblas.cblas_isamax(n, f, 1)));
    }
}
