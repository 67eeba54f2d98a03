package org.a2q.engine.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.nd4j.shade.protobuf.ByteString;

/**
 * Reads and writes ONNX tensors (TensorProto) as plain Java arrays. Reading checks that the
 * declared shape, times the element size, matches the bytes actually present before any array
 * is allocated, so a file that declares a huge tensor but holds a few bytes is rejected with a
 * message instead of exhausting memory.
 */
final class OnnxTensors {
    /** Constants larger than this are refused; the engine's models are far smaller. */
    static final long MAX_ELEMENTS = 1L << 28;

    private OnnxTensors() { }

    /** A decoded constant: floating point values in {@code f}, integer values in {@code l} (one is null). */
    record Value(long[] dims, float[] f, long[] l) {
        long size() {
            return f != null ? f.length : l.length;
        }

        double at(int i) {
            return f != null ? f[i] : l[i];
        }

        float[] floats() {
            if (f != null) {
                return f;
            }
            float[] out = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                out[i] = l[i];
            }
            return out;
        }

        long[] longs() {
            if (l != null) {
                return l;
            }
            long[] out = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = (long) f[i];
            }
            return out;
        }

        Value castTo(int dataType) {
            return switch (dataType) {
                case Onnx.TensorProto.DataType.FLOAT_VALUE, Onnx.TensorProto.DataType.DOUBLE_VALUE -> new Value(dims, floats(), null);
                case Onnx.TensorProto.DataType.INT64_VALUE, Onnx.TensorProto.DataType.INT32_VALUE -> new Value(dims, null, longs());
                default -> throw new EngineException("Cast of a constant to ONNX data type " + dataType
                        + " is not supported (float, double, int32, int64 are)");
            };
        }
    }

    static Value decode(Onnx.TensorProto t, String where) {
        if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new EngineException(where + ": tensor '" + t.getName() + "' keeps its data in an external file, "
                    + "which is not supported; save the model with all tensors inside the .onnx file");
        }
        long[] dims = new long[t.getDimsCount()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) {
                throw new EngineException(where + ": tensor '" + t.getName() + "' has a negative dimension "
                        + Arrays.toString(t.getDimsList().toArray()));
            }
            // Saturate instead of overflowing so a forged shape still gives a meaningful message.
            count = count > MAX_ELEMENTS || dims[i] > MAX_ELEMENTS ? MAX_ELEMENTS + 1 : count * dims[i];
        }
        int type = t.getDataType();
        int elemSize = switch (type) {
            case Onnx.TensorProto.DataType.FLOAT_VALUE, Onnx.TensorProto.DataType.INT32_VALUE -> 4;
            case Onnx.TensorProto.DataType.DOUBLE_VALUE, Onnx.TensorProto.DataType.INT64_VALUE -> 8;
            default -> throw new EngineException(where + ": tensor '" + t.getName() + "' has ONNX data type " + type
                    + "; supported are float (1), int32 (6), int64 (7) and double (11)");
        };
        if (count > MAX_ELEMENTS) {
            throw new EngineException(where + ": tensor '" + t.getName() + "' declares shape " + Arrays.toString(dims)
                    + ", more than " + MAX_ELEMENTS + " elements; the file is corrupt or the model too large");
        }
        int n = (int) count;
        ByteString raw = t.getRawData();
        long present;
        if (!raw.isEmpty()) {
            present = raw.size();
        } else {
            present = (long) elemSize * switch (type) {
                case Onnx.TensorProto.DataType.FLOAT_VALUE -> t.getFloatDataCount();
                case Onnx.TensorProto.DataType.DOUBLE_VALUE -> t.getDoubleDataCount();
                case Onnx.TensorProto.DataType.INT32_VALUE -> t.getInt32DataCount();
                default -> t.getInt64DataCount();
            };
        }
        if (present != (long) n * elemSize) {
            throw new EngineException(where + ": tensor '" + t.getName() + "' declares shape " + Arrays.toString(dims)
                    + " (" + ((long) n * elemSize) + " bytes) but holds " + present + " bytes; the file is truncated or corrupt");
        }
        ByteBuffer buf = raw.isEmpty() ? null : raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case Onnx.TensorProto.DataType.FLOAT_VALUE -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = buf != null ? buf.getFloat() : t.getFloatData(i);
                }
                return new Value(dims, f, null);
            }
            case Onnx.TensorProto.DataType.DOUBLE_VALUE -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) (buf != null ? buf.getDouble() : t.getDoubleData(i));
                }
                return new Value(dims, f, null);
            }
            case Onnx.TensorProto.DataType.INT32_VALUE -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = buf != null ? buf.getInt() : t.getInt32Data(i);
                }
                return new Value(dims, null, l);
            }
            default -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = buf != null ? buf.getLong() : t.getInt64Data(i);
                }
                return new Value(dims, null, l);
            }
        }
    }

    /** A float initializer with its bytes as raw little-endian data, so values survive bit for bit. */
    static Onnx.TensorProto floats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(b));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static Onnx.TensorProto int64s(String name, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        b.flip();
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                .addDims(values.length).setRawData(ByteString.copyFrom(b)).build();
    }
}
