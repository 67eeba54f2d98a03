package org.a2q.engine.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.a2q.engine.nn.Buffers;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The native memory behind a dense float32 array, for the quantizers' SIMD loops: a byte buffer
 * over the whole allocation (ND4J's asNio starts at the allocation, also for a view) and the
 * index of the array's first value in it, found from the two addresses. Bound to the array of the
 * last call (a lookup costs about 0.6 µs; the quantizers' arrays live from step to step).
 */
final class NativeFloatSpan {
    /**
     * Whether the quantizers take their SIMD loops: the JVM resolved jdk.incubator.vector and the
     * system property a2q.simd is not "false" (which keeps the libnd4j passes, e.g. to compare).
     */
    static final boolean SIMD = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("a2q.simd"));

    private INDArray array;
    ByteBuffer bytes;
    int offset;

    /** Whether the SIMD loops take these arrays (nulls skipped): float32, c-order, dense, of one length. */
    static boolean usable(INDArray first, INDArray... others) {
        if (!SIMD || first.length() == 0 || !usable(first, first.length())) {
            return false;
        }
        for (INDArray a : others) {
            if (a != null && !usable(a, first.length())) {
                return false;
            }
        }
        return true;
    }

    private static boolean usable(INDArray a, long length) {
        return a.dataType() == DataType.FLOAT && a.length() == length && Buffers.reshapesInPlace(a);
    }

    /** True when a (or null) is bound; false if its memory cannot be viewed (the passes then run). */
    boolean bind(INDArray a) {
        if (a == null) {
            bytes = null;
            offset = 0;
            array = null;
            return true;
        }
        if (a == array) {
            return true;
        }
        array = null;
        ByteBuffer b = a.data().asNio();
        if (b == null || !b.isDirect()) {
            return false;
        }
        long first = a.data().addressPointer().address() - new Pointer(b).address();
        long end = first + 4 * a.length();
        if (first < 0 || first % 4 != 0 || end > b.capacity()) {
            return false;
        }
        bytes = b.order(ByteOrder.nativeOrder());
        offset = (int) (first / 4);
        array = a;
        return true;
    }
}
