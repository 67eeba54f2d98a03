package org.a2q.engine.nn;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reuse of preallocated activation and gradient buffers. Allocating an off-heap array costs
 * 15–50 µs and adds GC jitter, so layers keep their outputs and scratch arrays and only
 * reallocate when the batch shape or data type changes (e.g. the smaller last batch).
 */
public final class Buffers {
    private Buffers() { }

    /** Returns {@code current} if it already has this type and shape, else a new zeroed array. */
    public static INDArray ensure(INDArray current, DataType type, long... shape) {
        if (current != null && current.dataType() == type && Arrays.equals(current.shape(), shape)) {
            return current;
        }
        return Nd4j.create(type, shape, 'c');
    }

    /** Same as {@link #ensure} with the type and shape of a template array. */
    public static INDArray like(INDArray current, INDArray template) {
        return ensure(current, template.dataType(), template.shape());
    }

    /** True when a's strides are the c-order strides of its shape (size-1 dimensions ignored). */
    public static boolean isDense(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /**
     * True if a reshape of a is a view of the same memory: c-order and dense, the strides of
     * size-1 dimensions ignored (a [6, 1, 5, 5] weight cut from the parameter arena has stride 25
     * on its second dimension, and failing ND4J's default-strides test it was copied twice a step).
     */
    public static boolean reshapesInPlace(INDArray a) {
        return a.ordering() == 'c' && isDense(a);
    }

    /**
     * Like {@link #like}, but keeps the memory layout of a template that is the NCHW view of a
     * channel-major [C, N, H, W] array (ColumnConv's output), so gradients flowing back to such a
     * layer arrive channel-major and need no transposing copy.
     */
    public static INDArray likeLayout(INDArray current, INDArray template) {
        if (!isChannelMajorView(template)) {
            return current != null && !isDense(current) ? like(null, template) : like(current, template);
        }
        if (current != null && current.dataType() == template.dataType() && Arrays.equals(current.shape(), template.shape())
                && Arrays.equals(current.stride(), template.stride())) {
            return current;
        }
        long[] s = template.shape();
        return Nd4j.create(template.dataType(), new long[] {s[1], s[0], s[2], s[3]}, 'c').permute(1, 0, 2, 3);
    }

    /** True for the NCHW view of a dense channel-major [C, N, H, W] array (ColumnConv's output). */
    public static boolean isChannelMajorView(INDArray a) {
        return a.rank() == 4 && !isDense(a) && isDense(a.permute(1, 0, 2, 3));
    }

    /**
     * out[i] = vec[i] for a dense vector of per-channel values ([C], [C, 1], [1, C, 1, 1], possibly
     * a view into a parameter arena). Reads the data buffer directly: INDArray.getDouble costs
     * 0.1–0.5 µs a call in shape and offset work, and quantizers read a few such vectors per step.
     */
    public static void readVector(INDArray vec, double[] out) {
        checkVector(vec, out.length);
        DataBuffer b = vec.data();   // a view's buffer starts at the view
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getDouble(i);
        }
    }

    /** vec[i] = values[i] (rounded to vec's type), for the same vectors as {@link #readVector}. */
    public static void writeVector(double[] values, INDArray vec) {
        checkVector(vec, values.length);
        DataBuffer b = vec.data();
        for (int i = 0; i < values.length; i++) {
            b.put(i, values[i]);
        }
    }

    private static void checkVector(INDArray vec, int n) {
        if (vec.length() != n || (n > 1 && vec.elementWiseStride() != 1)) {
            throw new IllegalArgumentException("expected a dense vector of " + n + " values, got " + vec.shapeInfoToString());
        }
    }
}
