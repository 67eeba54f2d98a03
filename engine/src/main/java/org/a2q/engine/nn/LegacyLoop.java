package org.a2q.engine.nn;

import java.util.Arrays;
import org.a2q.engine.EngineRuntime;
import org.bytedeco.javacpp.LongPointer;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cache.TADManager;
import org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.nativeblas.OpaqueDataBuffer;

/**
 * One of libnd4j's legacy elementwise loops (pairwise, scalar, same-type transform) bound to its
 * arrays and called straight through ND4J's native interface, the call ND4J's own executioner
 * makes after its checks. The elementwise work of the quantizers is many small passes (a weight
 * quantizer makes 10–26 native calls a step, an activation quantizer 12, on tensors of 2,000–50,000
 * values), so dispatch is a large part of it: a multiply through a prebuilt custom-op context
 * ({@link NativeOp}) cost 1.56 µs on 100 values and 5.18 µs on 48,000, this call 0.14 and 4.18
 * (measured in one process, one thread).
 *
 * <p>Bound once: the arrays' native buffers and shape descriptors are looked up when a loop is
 * built or {@link #rebind rebound}, not per call, and the loop keeps the arrays reachable. The
 * scalar of a scalar loop is a one-element array read at every call, so a caller changes it with
 * {@code putScalar} and the loop stays bound. Op numbers are libnd4j's legacy tables (asserted
 * against ND4J's own ops in LegacyLoopTest).
 */
public final class LegacyLoop {
    /** libnd4j's legacy pairwise transforms, z = x op y (same shapes). */
    public enum Pairwise {
        ADD(0), DIVIDE(2), MULTIPLY(3), SUBTRACT(6), MAX(7), MIN(8);
        final int num;
        Pairwise(int num) { this.num = num; }
    }

    /** libnd4j's legacy scalar ops, z = x op s with s a one-element array. */
    public enum Scalar {
        ADD(0), SUBTRACT(1), MULTIPLY(2), DIVIDE(3), MAX(6), MIN(13),
        /** z = [x &gt; s] (1 or 0). */
        STEP(41);
        final int num;
        Scalar(int num) { this.num = num; }
    }

    /** libnd4j's legacy same-type transforms, z = f(x). */
    public enum Transform {
        ABS(0), SIGN(1);
        final int num;
        Transform(int num) { this.num = num; }
    }

    private enum Kind { PAIRWISE, SCALAR, ROW_SCALAR, TRANSFORM, CONVERT }

    private static NativeOps nativeOps;

    private final Kind kind;
    private final int opNum;
    private INDArray x;
    private INDArray y;
    private INDArray z;
    private OpaqueDataBuffer xb;
    private OpaqueDataBuffer yb;
    private OpaqueDataBuffer zb;
    private LongPointer xs;
    private LongPointer ys;
    private LongPointer zs;
    private long largest;
    private Pair<DataBuffer, DataBuffer> xRows;
    private Pair<DataBuffer, DataBuffer> zRows;
    private LongPointer xRowShape;
    private LongPointer xRowOffsets;
    private LongPointer zRowShape;
    private LongPointer zRowOffsets;
    private static INDArray dimensionOne;      // {1}: the dimension the rows run along (shared, read-only)
    private static OpaqueDataBuffer dimensionOneBuffer;
    private static LongPointer dimensionOneShape;

    private LegacyLoop(Kind kind, int opNum) {
        this.kind = kind;
        this.opNum = opNum;
    }

    /** z = x op y; x, y and z of one shape and floating type (z may be x or y). */
    public static LegacyLoop pairwise(Pairwise op, INDArray x, INDArray y, INDArray z) {
        return new LegacyLoop(Kind.PAIRWISE, op.num).rebind(x, y, z);
    }

    /** z = x op s, s the value of the one-element array {@code scalar} at each call. */
    public static LegacyLoop scalar(Scalar op, INDArray x, INDArray scalar, INDArray z) {
        return new LegacyLoop(Kind.SCALAR, op.num).rebind(x, scalar, z);
    }

    /**
     * z_r· = x_r· op s_r for x of shape [rows, K]: a scalar op with its own scalar per row (s a
     * dense vector of rows values, or a [rows, 1] column). libnd4j runs the scalar loop on each
     * row; 4.5 µs on [120, 400] and 0.4 on [16, 150] against 5.5 and 1.8 for ND4J's broadcasting
     * multiply op (and 22.7 on [120, 400] for its legacy broadcast loop).
     */
    public static LegacyLoop rowScalar(Scalar op, INDArray x, INDArray perRow, INDArray z) {
        return new LegacyLoop(Kind.ROW_SCALAR, op.num).rebind(x, perRow, z);
    }

    /** z = f(x); x and z of one shape and floating type. */
    public static LegacyLoop transform(Transform op, INDArray x, INDArray z) {
        return new LegacyLoop(Kind.TRANSFORM, op.num).rebind(x, null, z);
    }

    /**
     * z = x converted to z's type, element by element (float to int truncates toward zero, the C
     * conversion); x and z of one shape.
     */
    public static LegacyLoop convert(INDArray x, INDArray z) {
        return new LegacyLoop(Kind.CONVERT, 0).rebind(x, null, z);
    }

    /**
     * Binds other arrays (same rules as the factory that built this loop); a no-op when they are
     * the ones bound. Returns this.
     */
    public LegacyLoop rebind(INDArray x, INDArray y, INDArray z) {
        if (x == this.x && y == this.y && z == this.z) {
            return this;
        }
        check(x, y, z);
        this.x = x;
        this.y = y;
        this.z = z;
        xb = buffer(x);
        xs = shape(x);
        zb = buffer(z);
        zs = shape(z);
        yb = y == null ? null : buffer(y);
        ys = y == null ? null : shape(y);
        largest = Math.max(x.length(), z.length());
        if (kind == Kind.ROW_SCALAR) {
            // Row descriptors ("TADs") of x and z along dimension 1, from ND4J's cache; kept here
            // so that their buffers live as long as the binding.
            TADManager tads = Nd4j.getExecutioner().getTADManager();
            xRows = tads.getTADOnlyShapeInfo(x, 1);
            zRows = tads.getTADOnlyShapeInfo(z, 1);
            xRowShape = pointer(xRows.getFirst());
            xRowOffsets = pointer(xRows.getSecond());
            zRowShape = pointer(zRows.getFirst());
            zRowOffsets = pointer(zRows.getSecond());
            dimensionOne();
        }
        return this;
    }

    /** Runs the loop on the bound arrays (with one thread if they are small, as NativeOp does). */
    public void run() {
        NativeOps ops = ops();
        boolean small = EngineRuntime.beginSmallOp(largest);
        try {
            switch (kind) {
                case PAIRWISE -> ops.execPairwiseTransform(null, opNum, xb, xs, null, yb, ys, null, zb, zs, null, null);
                case SCALAR -> ops.execScalar(null, opNum, xb, xs, null, zb, zs, null, yb, ys, null, null);
                case ROW_SCALAR -> ops.execScalarTad(null, opNum, xb, xs, null, zb, zs, null, yb, ys, null, null,
                        dimensionOneBuffer, dimensionOneShape, null,
                        xRowShape, xRowOffsets, zRowShape, zRowOffsets);
                case TRANSFORM -> ops.execTransformSame(null, opNum, xb, xs, null, zb, zs, null, null);
                case CONVERT -> ops.execTransformAny(null, opNum, xb, xs, null, zb, zs, null, null);
            }
        } finally {
            if (small) {
                EngineRuntime.endSmallOp();
            }
        }
        if (ops.lastErrorCode() != 0) {
            String message = ops.lastErrorMessage();
            throw new IllegalStateException("native loop " + kind + " #" + opNum + " failed: " + message);
        }
    }

    private void check(INDArray x, INDArray y, INDArray z) {
        if (!Arrays.equals(x.shape(), z.shape())) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(x.shape()) + " vs " + Arrays.toString(z.shape()));
        }
        if (kind == Kind.CONVERT) {
            return;   // any two types
        }
        DataType type = x.dataType();
        if (!type.isFPType() || z.dataType() != type) {
            throw new IllegalArgumentException("legacy loops here take one floating type, got " + type + " -> " + z.dataType());
        }
        if (kind == Kind.PAIRWISE && (y == null || y.dataType() != type || !Arrays.equals(x.shape(), y.shape()))) {
            throw new IllegalArgumentException("a pairwise loop needs two arrays of one shape and type");
        }
        if (kind == Kind.SCALAR && (y == null || y.length() != 1 || y.dataType() != type)) {
            throw new IllegalArgumentException("a scalar loop needs a one-element array of the same type");
        }
        if (kind == Kind.ROW_SCALAR && (x.rank() != 2 || y == null || y.dataType() != type || y.length() != x.size(0)
                || (y.length() > 1 && y.elementWiseStride() != 1))) {
            throw new IllegalArgumentException("a per-row scalar loop needs [rows, K] and a dense vector of rows values of its type, got "
                    + x.shapeInfoToString() + " and " + (y == null ? "none" : y.shapeInfoToString()));
        }
    }

    private static OpaqueDataBuffer buffer(INDArray a) {
        return ((BaseCpuDataBuffer) a.data()).getOpaqueDataBuffer();
    }

    private static LongPointer shape(INDArray a) {
        return (LongPointer) a.shapeInfoDataBuffer().addressPointer();
    }

    private static LongPointer pointer(DataBuffer b) {
        return (LongPointer) b.addressPointer();
    }

    private static synchronized void dimensionOne() {
        if (dimensionOne == null) {
            dimensionOne = Nd4j.createFromArray(1);
            dimensionOneBuffer = buffer(dimensionOne);
            dimensionOneShape = shape(dimensionOne);
        }
    }

    private static NativeOps ops() {
        NativeOps o = nativeOps;
        if (o == null) {
            o = NativeOpsHolder.getInstance().getDeviceNativeOps();
            nativeOps = o;
        }
        return o;
    }
}
