package org.a2q.engine.io.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.a2q.engine.EngineException;

/**
 * An integer-model JSON document read back ({@link IntegerModelJson} writes it). Every array size is
 * checked against the shapes the document declares, and every shape against {@link #MAX_ELEMENTS},
 * before anything is allocated, so a forged or truncated file is refused with a message.
 */
public record IntegerModelDocument(Input input, List<LayerDoc> layers, List<NodeDoc> nodes, String output) {
    /** Far above any model the engine trains; a larger declared tensor means a corrupt file. */
    public static final long MAX_ELEMENTS = 1L << 26;
    /** Documents larger than this are refused before parsing. */
    public static final long MAX_FILE_BYTES = 1L << 30;

    public record Input(int bits, boolean signed, double scale, long[] shape) { }

    /**
     * One conv/linear layer: q[c] is the integer row of output channel c, length Cin·kh·kw, in the
     * engine's row-major order.
     */
    public record LayerDoc(String name, boolean conv, String method, long[] weightShape, long[][] q,
                           double[] weightScale, int weightBits, int inputBits, boolean inputSigned, double inputScale,
                           int accBits, double[] bias, int[] stride, int[] padding, long[] inputShape,
                           long[] outputShape) {
        public int outputChannels() {
            return (int) weightShape[0];
        }

        public int dotLength() {
            return q.length == 0 ? 0 : q[0].length;
        }
    }

    /** A graph node; op-specific attributes stay in {@code attrs}. */
    public record NodeDoc(String name, String op, List<String> inputs, long[] shape, JsonNode attrs) { }

    public static IntegerModelDocument read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new EngineException(file + ": " + size + " bytes, more than an integer model can reasonably be");
            }
            return parse(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new EngineException("could not read " + file + ": " + e.getMessage(), e);
        }
    }

    public static IntegerModelDocument parse(JsonNode root, String where) {
        if (root == null || !root.isObject()) {
            throw new EngineException(where + ": not a JSON object");
        }
        if (!IntegerModelJson.FORMAT.equals(root.path("format").asText())) {
            throw new EngineException(where + ": format is '" + root.path("format").asText() + "', expected '"
                    + IntegerModelJson.FORMAT + "'");
        }
        int version = root.path("version").asInt(-1);
        if (version != IntegerModelJson.VERSION) {
            throw new EngineException(where + ": version " + version + " is not supported (this reader knows "
                    + IntegerModelJson.VERSION + ")");
        }
        JsonNode in = need(root, "input", where);
        Input input = new Input(bits(in, "bits", where), need(in, "signed", where).asBoolean(),
                positive(in, "scale", where), shape(need(in, "shape", where), where + " input.shape"));
        JsonNode ls = need(root, "layers", where);
        List<LayerDoc> layers = new ArrayList<>();
        for (JsonNode l : ls) {
            layers.add(layer(l, where));
        }
        JsonNode g = need(root, "graph", where);
        List<NodeDoc> nodes = new ArrayList<>();
        Set<String> known = new HashSet<>();
        known.add(need(g, "input", where).asText());
        for (JsonNode n : need(g, "nodes", where)) {
            String name = need(n, "name", where).asText();
            List<String> inputs = new ArrayList<>();
            for (JsonNode i : need(n, "inputs", where)) {
                if (!known.contains(i.asText())) {
                    throw new EngineException(where + ": node '" + name + "' reads '" + i.asText()
                            + "', which no earlier node produces (nodes must be in execution order)");
                }
                inputs.add(i.asText());
            }
            nodes.add(new NodeDoc(name, need(n, "op", where).asText(), List.copyOf(inputs),
                    shape(need(n, "shape", where), where + " node " + name), n));
            known.add(name);
        }
        String output = need(g, "output", where).asText();
        if (!known.contains(output)) {
            throw new EngineException(where + ": the graph output '" + output + "' is not a node");
        }
        return new IntegerModelDocument(input, List.copyOf(layers), List.copyOf(nodes), output);
    }

    public LayerDoc layer(String name) {
        for (LayerDoc l : layers) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        throw new EngineException("the document has no layer '" + name + "'");
    }

    private static LayerDoc layer(JsonNode l, String where) {
        String name = need(l, "name", where).asText();
        String at = where + " layer " + name;
        String op = need(l, "op", at).asText();
        if (!op.equals("conv") && !op.equals("linear")) {
            throw new EngineException(at + ": op '" + op + "' (expected conv or linear)");
        }
        long[] ws = shape(need(l, "weight_shape", at), at + " weight_shape");
        if (ws.length != (op.equals("conv") ? 4 : 2)) {
            throw new EngineException(at + ": weight_shape " + Arrays.toString(ws) + " has the wrong rank for " + op);
        }
        long count = count(ws, at);
        int cout = (int) ws[0];
        int k = (int) (count / cout);
        int m = bits(l, "weight_bits", at);
        long qmax = (1L << (m - 1)) - 1;
        JsonNode w = need(l, "weights", at);
        if (!w.isArray() || w.size() != count) {
            throw new EngineException(at + ": weight_shape " + Arrays.toString(ws) + " needs " + count
                    + " weights, the document holds " + (w.isArray() ? w.size() : 0));
        }
        double[] scale = doubles(need(l, "weight_scale", at), cout, at + " weight_scale");
        double[] bias = doubles(need(l, "bias", at), cout, at + " bias");
        // Sizes are now known to agree, so allocating is safe.
        long[][] q = new long[cout][k];
        for (int c = 0; c < cout; c++) {
            for (int i = 0; i < k; i++) {
                JsonNode v = w.get(c * k + i);
                if (!v.isIntegralNumber() || Math.abs(v.asLong()) > qmax) {
                    throw new EngineException(at + ": weight " + (c * k + i) + " = " + v + " is not an integer in the "
                            + "narrow " + m + "-bit range ±" + qmax);
                }
                q[c][i] = v.asLong();
            }
        }
        int[] stride = ints(need(l, "stride", at), 2, at + " stride");
        int[] padding = ints(need(l, "padding", at), 2, at + " padding");
        for (int i = 0; i < 2; i++) {
            if (stride[i] < 1 || padding[i] < 0) {
                throw new EngineException(at + ": stride must be ≥ 1 and padding ≥ 0");
            }
        }
        return new LayerDoc(name, op.equals("conv"), need(l, "method", at).asText(), ws, q, scale, m,
                bits(l, "input_bits", at), need(l, "input_signed", at).asBoolean(), positive(l, "input_scale", at),
                bits(l, "acc_bits", at), bias, stride, padding, shape(need(l, "input_shape", at), at + " input_shape"),
                shape(need(l, "output_shape", at), at + " output_shape"));
    }

    static JsonNode need(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new EngineException(where + ": missing '" + field + "'");
        }
        return v;
    }

    private static int bits(JsonNode n, String field, String where) {
        JsonNode v = need(n, field, where);
        if (!v.isIntegralNumber() || v.asInt() < 1 || v.asInt() > 64) {
            throw new EngineException(where + ": '" + field + "' = " + v + " is not a bit width in 1..64");
        }
        return v.asInt();
    }

    private static double positive(JsonNode n, String field, String where) {
        double s = need(n, field, where).asDouble(Double.NaN);
        if (!(s > 0) || !Double.isFinite(s)) {
            throw new EngineException(where + ": '" + field + "' must be a positive number");
        }
        return s;
    }

    private static long[] shape(JsonNode a, String where) {
        if (!a.isArray() || a.size() > 8) {
            throw new EngineException(where + ": a shape is an array of at most 8 dimensions");
        }
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) {
            if (!a.get(i).isIntegralNumber() || a.get(i).asLong() < 1) {
                throw new EngineException(where + ": dimension " + a.get(i) + " is not a positive integer");
            }
            s[i] = a.get(i).asLong();
        }
        count(s, where);
        return s;
    }

    /** Element count of a shape; saturates instead of overflowing so a forged shape gives a clear message. */
    static long count(long[] shape, String where) {
        long n = 1;
        for (long d : shape) {
            n = n > MAX_ELEMENTS || d > MAX_ELEMENTS ? MAX_ELEMENTS + 1 : n * d;
        }
        if (n > MAX_ELEMENTS) {
            throw new EngineException(where + ": shape " + Arrays.toString(shape) + " has more than " + MAX_ELEMENTS
                    + " elements; the file is corrupt");
        }
        return n;
    }

    private static double[] doubles(JsonNode a, int n, String where) {
        if (!a.isArray() || a.size() != n) {
            throw new EngineException(where + ": expected " + n + " numbers, found " + (a.isArray() ? a.size() : 0));
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            if (!a.get(i).isNumber()) {
                throw new EngineException(where + ": element " + i + " is not a number");
            }
            d[i] = a.get(i).asDouble();
        }
        return d;
    }

    static int[] ints(JsonNode a, int n, String where) {
        if (!a.isArray() || a.size() != n) {
            throw new EngineException(where + ": expected " + n + " integers");
        }
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            if (!a.get(i).isIntegralNumber()) {
                throw new EngineException(where + ": element " + i + " is not an integer");
            }
            d[i] = a.get(i).asInt();
        }
        return d;
    }
}
