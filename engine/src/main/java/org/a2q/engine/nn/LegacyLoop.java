package org.a2q.engine.nn;

import org.a2q.engine.EngineRuntime;
import org.bytedeco.javacpp.LongPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer;
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

    /** libnd4j's legacy reductions along dimension 1 of a [rows, K] array: z_r = f(x_r·). */
    public enum RowReduce {
        SUM(0, false), MEAN(0, true), NORM1(2, true);
        final int num;
        final boolean floatFamily;   // ReduceFloat table (else ReduceSame)
        RowReduce(int num, boolean floatFamily) {
            this.num = num;
            this.floatFamily = floatFamily;
        }
    }

    private enum Kind { PAIRWISE, SCALAR, TRANSFORM, CONVERT, REDUCE_SAME, REDUCE_FLOAT }

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
    private static INDArray dimensionOne;      // the reduction dimension {1}, shared (read-only)
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

    /** z_r = f(x_r0 … x_r,K−1) for x of shape [rows, K] (K ≥ 2) and z a dense vector of rows values, same type. */
    public static LegacyLoop rowReduce(RowReduce op, INDArray x, INDArray z) {
        return new LegacyLoop(op.floatFamily ? Kind.REDUCE_FLOAT : Kind.REDUCE_SAME, op.num).rebind(x, null, z);
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
                case TRANSFORM -> ops.execTransformSame(null, opNum, xb, xs, null, zb, zs, null, null);
                case CONVERT -> ops.execTransformAny(null, opNum, xb, xs, null, zb, zs, null, null);
                case REDUCE_SAME -> ops.execReduceSame2(null, opNum, xb, xs, null, null, zb, zs, null,
                        dimensionOneBuffer, dimensionOneShape, null);
                case REDUCE_FLOAT -> ops.execReduceFloat2(null, opNum, xb, xs, null, null, zb, zs, null,
                        dimensionOneBuffer, dimensionOneShape, null);
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
        DataType type = x.dataType();
        if (kind == Kind.CONVERT) {
            if (!java.util.Arrays.equals(x.shape(), z.shape())) {
                throw new IllegalArgumentException("shapes differ: " + java.util.Arrays.toString(x.shape())
                        + " vs " + java.util.Arrays.toString(z.shape()));
            }
            return;
        }
        if (kind == Kind.REDUCE_SAME || kind == Kind.REDUCE_FLOAT) {
            if (x.rank() != 2 || x.size(1) < 2 || z.dataType() != type || !type.isFPType() || z.length() != x.size(0)
                    || (z.length() > 1 && z.elementWiseStride() != 1)) {
                throw new IllegalArgumentException("a row reduction takes [rows, K ≥ 2] to a dense vector of rows, one floating type; got "
                        + x.shapeInfoToString() + " -> " + z.shapeInfoToString());
            }
            dimensionOne();
            return;
        }
        if (!type.isFPType() || z.dataType() != type) {
            throw new IllegalArgumentException("legacy loops here take one floating type, got " + type + " -> " + z.dataType());
        }
        if (!java.util.Arrays.equals(x.shape(), z.shape())) {
            throw new IllegalArgumentException("shapes differ: " + java.util.Arrays.toString(x.shape())
                    + " vs " + java.util.Arrays.toString(z.shape()));
        }
        if (kind == Kind.PAIRWISE && (y == null || y.dataType() != type || !java.util.Arrays.equals(x.shape(), y.shape()))) {
            throw new IllegalArgumentException("a pairwise loop needs two arrays of one shape and type");
        }
        if (kind == Kind.SCALAR && (y == null || y.length() != 1 || y.dataType() != type)) {
            throw new IllegalArgumentException("a scalar loop needs a one-element array of the same type");
        }
    }

    private static OpaqueDataBuffer buffer(INDArray a) {
        return ((BaseCpuDataBuffer) a.data()).getOpaqueDataBuffer();
    }

    private static LongPointer shape(INDArray a) {
        return (LongPointer) a.shapeInfoDataBuffer().addressPointer();
    }

    private static synchronized void dimensionOne() {
        if (dimensionOne == null) {
            dimensionOne = org.nd4j.linalg.factory.Nd4j.createFromArray(1);
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
