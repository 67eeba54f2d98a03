package org.a2q.engine.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The single-file container for models, checkpoints and projects ({@code .a2q}).
 *
 * <pre>
 *   8 bytes  magic "A2QMODEL"
 *   4 bytes  format version (big-endian int), currently 1
 *   4 bytes  header length H
 *   H bytes  header, UTF-8 JSON: {"tensors": [{"name", "shape"}...], ...anything else...}
 *   payload  every tensor in header order, float32 little-endian, c-order
 *   8 bytes  CRC-32 of everything above (big-endian long)
 * </pre>
 * A reader checks the checksum over the whole file before trusting any field, and checks that
 * the declared tensor sizes add up to exactly the payload present before allocating anything,
 * so a truncated, corrupted or hostile file is rejected with a message, never half-loaded.
 */
public final class ModelFile {
    private static final byte[] MAGIC = "A2QMODEL".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    /** Refuse files beyond this size outright (the largest sensible project is far smaller). */
    public static final long MAX_FILE_BYTES = 1L << 31;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Header fields (besides the tensor table) and the named tensors. */
    public record Contents(Map<String, Object> header, Map<String, INDArray> tensors) { }

    private ModelFile() { }

    public static ObjectMapper json() {
        return JSON;
    }

    public static void write(Path file, Map<String, Object> header, Map<String, INDArray> tensors) {
        Map<String, Object> h = new LinkedHashMap<>(header);
        List<Map<String, Object>> table = new ArrayList<>();
        long payload = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", e.getKey());
            List<Long> shape = new ArrayList<>();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.put("shape", shape);
            table.add(t);
            payload += e.getValue().length() * 4;
        }
        h.put("tensors", table);
        byte[] headerBytes;
        try {
            headerBytes = JSON.writeValueAsBytes(h);
        } catch (IOException e) {
            throw new EngineException("could not encode the model header: " + e.getMessage(), e);
        }
        final long payloadBytes = payload;
        AtomicFiles.write(file, out -> {
            CRC32 crc = new CRC32();
            ByteArrayOutputStream pre = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(pre);
            d.write(MAGIC);
            d.writeInt(VERSION);
            d.writeInt(headerBytes.length);
            d.write(headerBytes);
            d.flush();
            byte[] start = pre.toByteArray();
            crc.update(start);
            out.write(start);
            long written = 0;
            for (INDArray t : tensors.values()) {
                float[] f = t.castTo(DataType.FLOAT).dup('c').data().asFloat();
                ByteBuffer bb = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(f);
                byte[] bytes = bb.array();
                crc.update(bytes);
                out.write(bytes);
                written += bytes.length;
            }
            if (written != payloadBytes) {
                throw new IOException("internal error: payload size changed while writing");
            }
            ByteBuffer tail = ByteBuffer.allocate(8).putLong(crc.getValue());
            out.write(tail.array());
        });
    }

    public static Contents read(Path file) {
        byte[] all;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new EngineException(file + ": " + size + " bytes is larger than any model this program writes");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new EngineException(file + ": no such file");
        } catch (IOException e) {
            throw new EngineException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (all.length < MAGIC.length + 16 || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new EngineException(file + ": not an A2Q Workbench model file (wrong magic bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(all);
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        long stored = bb.getLong(all.length - 8);
        if (stored != crc.getValue()) {
            throw new EngineException(file + ": checksum mismatch — the file is truncated or corrupted; "
                    + "use an earlier copy (checkpoints are replaced atomically, so the previous one is intact)");
        }
        int version = bb.getInt(MAGIC.length);
        if (version != VERSION) {
            throw new EngineException(file + ": format version " + version + " is not supported (this program reads "
                    + VERSION + ")");
        }
        int headerLen = bb.getInt(MAGIC.length + 4);
        int headerStart = MAGIC.length + 8;
        if (headerLen < 2 || headerLen > all.length - headerStart - 8) {
            throw new EngineException(file + ": header length " + headerLen + " does not fit in the file");
        }
        Map<String, Object> header;
        try {
            header = JSON.readValue(all, headerStart, headerLen, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new EngineException(file + ": header is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        Object tableObj = header.remove("tensors");
        if (!(tableObj instanceof List<?> table)) {
            throw new EngineException(file + ": header has no tensor table");
        }
        long payload = all.length - 8L - headerStart - headerLen;
        // Validate every declared size against the bytes present before allocating anything.
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        long declared = 0;
        for (Object o : table) {
            if (!(o instanceof Map<?, ?> t) || !(t.get("name") instanceof String name) || !(t.get("shape") instanceof List<?> sh)) {
                throw new EngineException(file + ": malformed tensor entry " + o);
            }
            long[] shape = new long[sh.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!(sh.get(i) instanceof Number n) || n.longValue() < 0 || n.longValue() > payload) {
                    throw new EngineException(file + ": tensor '" + name + "' has an invalid dimension " + sh.get(i));
                }
                shape[i] = n.longValue();
                count = Math.multiplyExact(count, shape[i]);
                if (count > payload) {
                    throw new EngineException(file + ": tensor '" + name + "' declares more data than the file holds");
                }
            }
            declared += count * 4;
            if (declared > payload) {
                throw new EngineException(file + ": tensors declare more data than the file holds");
            }
            names.add(name);
            shapes.add(shape);
        }
        if (declared != payload) {
            throw new EngineException(file + ": tensors declare " + declared + " bytes but the file holds " + payload);
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        ByteBuffer data = ByteBuffer.wrap(all, headerStart + headerLen, (int) payload).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < names.size(); i++) {
            long n = 1;
            for (long d : shapes.get(i)) {
                n *= d;
            }
            float[] f = new float[(int) n];
            data.asFloatBuffer().get(f);
            data.position(data.position() + f.length * 4);
            tensors.put(names.get(i), Nd4j.createFromArray(f).reshape('c', shapes.get(i)));
        }
        return new Contents(header, tensors);
    }
}
