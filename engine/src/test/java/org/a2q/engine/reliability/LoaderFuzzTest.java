package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import onnx.Onnx;
import org.a2q.engine.data.IdxReader;
import org.a2q.engine.io.ModelFile;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.quant.QuantConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of every file loader: at least 1,000 mutants per format, each loaded with a
 * time limit and an allocation limit; the only acceptable failure is an EngineException. Byte-level
 * damage alone mostly trips checksums and parsers at the door, so each format also gets
 * structure-aware mutants (re-sealed checksums, re-compressed gzip, edited protobuf/JSON fields)
 * that reach the validation behind it.
 */
class LoaderFuzzTest {
    static final int MUTANTS = 1_000;
    static final int MINIMUM = 1_000;
    static final long PER_MUTANT_MS = 10_000;
    static final long BUDGET_MS = 40_000;

    @TempDir Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** ND4J memory a loaded model holds: values, gradients and the decay mask are three arenas of one size. */
    static long arenaBytes(org.a2q.engine.nn.Graph g) {
        return 3 * g.valueArena().length() * g.valueArena().dataType().width();
    }

    // ---------------------------------------------------------------- ONNX

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = LoaderFuzzTest.class.getResourceAsStream("/onnx/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void onnxMutantsLoadOrFailWithEngineException() throws IOException {
        List<byte[]> seeds = List.of(fixture("resnet.onnx"), fixture("lenet.onnx"), fixture("normalized.onnx"));
        List<FuzzHarness.Mutator> ms = new ArrayList<>(FuzzHarness.byteMutators());
        ms.add(FuzzHarness.named("onnx-dims", LoaderFuzzTest::onnxDims));
        ms.add(FuzzHarness.named("onnx-input", LoaderFuzzTest::onnxInput));
        ms.add(FuzzHarness.named("onnx-attr", LoaderFuzzTest::onnxAttribute));
        ms.add(FuzzHarness.named("onnx-type", LoaderFuzzTest::onnxType));
        ms.add(FuzzHarness.named("onnx-wiring", LoaderFuzzTest::onnxWiring));
        FuzzHarness.Tally t = new FuzzHarness(dir, PER_MUTANT_MS).run("onnx", ".onnx", seeds, ms,
                f -> arenaBytes(OnnxImporter.read(f).graph()), MUTANTS, 0x0_4e4eL, BUDGET_MS, null);
        FuzzHarness.assertClean(t, MINIMUM);
        assertTrue(t.loaded > 0 && t.rejected > 0, "the mutants exercise both outcomes: " + t.line());
    }

    static Onnx.ModelProto parse(byte[] b) {
        try {
            return Onnx.ModelProto.parseFrom(b);
        } catch (IOException e) {
            throw new AssertionError("seed fixture must parse", e);
        }
    }

    static byte[] onnxDims(byte[] seed, SplittableRandom r) {
        Onnx.ModelProto m = parse(seed);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        int i = r.nextInt(g.getInitializerCount());
        Onnx.TensorProto.Builder t = g.getInitializer(i).toBuilder();
        if (t.getDimsCount() == 0 || r.nextInt(4) == 0) {
            t.addDims(FuzzHarness.specialLong(r));
        } else {
            t.setDims(r.nextInt(t.getDimsCount()), FuzzHarness.specialLong(r));
        }
        g.setInitializer(i, t);
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    static byte[] onnxInput(byte[] seed, SplittableRandom r) {
        Onnx.ModelProto m = parse(seed);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        Onnx.ValueInfoProto.Builder in = g.getInput(0).toBuilder();
        Onnx.TensorShapeProto.Builder s = in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        int which = r.nextInt(4);
        if (which == 0 && s.getDimCount() > 0) {
            s.removeDim(r.nextInt(s.getDimCount()));
        } else if (which == 1) {
            s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(FuzzHarness.specialLong(r)));
        } else if (s.getDimCount() > 0) {
            s.setDim(r.nextInt(s.getDimCount()), Onnx.TensorShapeProto.Dimension.newBuilder()
                    .setDimValue(FuzzHarness.specialLong(r)));
        }
        g.setInput(0, in);
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    static byte[] onnxAttribute(byte[] seed, SplittableRandom r) {
        Onnx.ModelProto m = parse(seed);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        for (int tries = 0; tries < 20; tries++) {
            int ni = r.nextInt(g.getNodeCount());
            Onnx.NodeProto.Builder n = g.getNode(ni).toBuilder();
            if (n.getAttributeCount() == 0) {
                continue;
            }
            int ai = r.nextInt(n.getAttributeCount());
            Onnx.AttributeProto.Builder a = n.getAttribute(ai).toBuilder();
            switch (r.nextInt(5)) {
                case 0 -> a.setI(FuzzHarness.specialLong(r));
                case 1 -> a.setF(r.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY);
                case 2 -> {
                    if (a.getIntsCount() > 0) {
                        a.setInts(r.nextInt(a.getIntsCount()), FuzzHarness.specialLong(r));
                    } else {
                        a.addInts(FuzzHarness.specialLong(r));
                    }
                }
                case 3 -> a.clearInts().setType(Onnx.AttributeProto.AttributeType.STRING); // wrong type
                default -> a.addInts(FuzzHarness.specialLong(r)); // wrong length
            }
            n.setAttribute(ai, a);
            g.setNode(ni, n);
            break;
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    static byte[] onnxType(byte[] seed, SplittableRandom r) {
        Onnx.ModelProto m = parse(seed);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        if (r.nextBoolean()) {
            int i = r.nextInt(g.getInitializerCount());
            g.setInitializer(i, g.getInitializer(i).toBuilder().setDataType(r.nextInt(18)));
        } else {
            Onnx.ValueInfoProto.Builder in = g.getInput(0).toBuilder();
            in.getTypeBuilder().getTensorTypeBuilder().setElemType(r.nextInt(18));
            g.setInput(0, in);
        }
        Onnx.ModelProto.Builder mb = m.toBuilder().setGraph(g);
        if (r.nextInt(4) == 0) {
            mb.setOpsetImport(0, mb.getOpsetImport(0).toBuilder().setVersion(FuzzHarness.specialLong(r)));
        }
        return mb.build().toByteArray();
    }

    static byte[] onnxWiring(byte[] seed, SplittableRandom r) {
        Onnx.ModelProto m = parse(seed);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        int ni = r.nextInt(g.getNodeCount());
        switch (r.nextInt(4)) {
            case 0 -> g.removeNode(ni);
            case 1 -> {
                Onnx.NodeProto.Builder n = g.getNode(ni).toBuilder();
                if (n.getInputCount() > 0) {
                    // point an input at another node's output (or the graph input): cycles, wrong shapes
                    Onnx.NodeProto other = g.getNode(r.nextInt(g.getNodeCount()));
                    String name = other.getOutputCount() > 0 ? other.getOutput(0) : g.getInput(0).getName();
                    n.setInput(r.nextInt(n.getInputCount()), name);
                }
                g.setNode(ni, n);
            }
            case 2 -> g.setNode(ni, g.getNode(ni).toBuilder().setOpType(
                    List.of("Conv", "Gemm", "MatMul", "Add", "Reshape", "Flatten", "MaxPool", "Pad", "Cast",
                            "BatchNormalization", "Softmax", "Clip", "Constant").get(r.nextInt(13))));
            default -> g.setNode(ni, g.getNode(ni).toBuilder().clearInput());
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    // ---------------------------------------------------------------- IDX

    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] gzip(byte[] raw) {
        try {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(o)) {
                z.write(raw);
            }
            return o.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] gunzip(byte[] gz) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static boolean isGzip(byte[] b) {
        return b.length > 1 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    /** Forges a header field inside the data, re-compressing gzip so the damage survives the CRC. */
    static byte[] idxHeader(byte[] seed, SplittableRandom r) {
        boolean gz = isGzip(seed);
        byte[] raw = gz ? gunzip(seed) : seed.clone();
        int field = r.nextInt(Math.min(4, raw.length / 4));
        ByteBuffer.wrap(raw).putInt(4 * field, field == 0 && r.nextBoolean()
                ? List.of(0x801, 0x803, 0x802, 0x0d03, 0x08ff, 0x0800).get(r.nextInt(6)) : FuzzHarness.special(r));
        if (r.nextInt(3) == 0) {
            int cut = r.nextInt(raw.length);
            raw = java.util.Arrays.copyOf(raw, cut);
        }
        return gz ? gzip(raw) : raw;
    }

    /** Damage inside the compressed data that the gzip stream itself then carries intact. */
    static byte[] idxInnerBytes(byte[] seed, SplittableRandom r) {
        boolean gz = isGzip(seed);
        byte[] raw = gz ? gunzip(seed) : seed;
        byte[] m = FuzzHarness.byteMutators().get(r.nextInt(4)).mutate(raw, r);
        return gz ? gzip(m) : m;
    }

    @Test
    void idxMutantsLoadOrFailWithEngineException() throws IOException {
        SplittableRandom px = new SplittableRandom(5);
        byte[] pixels = new byte[24 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) px.nextInt(256); // incompressible, so gzip size ≈ content size for the limit
        }
        byte[] labels = new byte[24];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) px.nextInt(10);
        }
        byte[] img = idx(IdxReader.MAGIC_IMAGES_U8, new int[] {24, 28, 28}, pixels);
        byte[] lab = idx(IdxReader.MAGIC_LABELS_U8, new int[] {24}, labels);
        List<byte[]> seeds = List.of(img, gzip(img), lab, gzip(lab));
        List<FuzzHarness.Mutator> ms = new ArrayList<>(FuzzHarness.byteMutators());
        ms.add(FuzzHarness.named("idx-header", LoaderFuzzTest::idxHeader));
        ms.add(FuzzHarness.named("idx-inner", LoaderFuzzTest::idxInnerBytes));
        // Either reader on any mutant: a label file given as images (and back) is a real user mistake.
        FuzzHarness.Loader load = f -> {
            if (Files.size(f) % 2 == 0) {
                IdxReader.readImages(f);
            } else {
                IdxReader.readLabels(f, 10);
            }
            return 0; // plain Java arrays, counted by the heap measurement
        };
        FuzzHarness.Tally t = new FuzzHarness(dir, PER_MUTANT_MS).run("idx", "", seeds, ms, load, MUTANTS * 2,
                0x1d5L, BUDGET_MS, b -> isGzip(b) ? (long) (24 * 28 * 28 + 64) : b.length);
        FuzzHarness.assertClean(t, MINIMUM);
        assertTrue(t.loaded > 0 && t.rejected > 0, t.line());
    }

    // ---------------------------------------------------------------- run files (.a2q)

    /** Splits a valid .a2q into its parts so mutants can be re-sealed with a correct checksum. */
    record A2q(int version, byte[] header, byte[] payload) {
        static A2q of(byte[] b) {
            ByteBuffer bb = ByteBuffer.wrap(b);
            int version = bb.getInt(8);
            int h = bb.getInt(12);
            byte[] header = java.util.Arrays.copyOfRange(b, 16, 16 + h);
            byte[] payload = java.util.Arrays.copyOfRange(b, 16 + h, b.length - 8);
            return new A2q(version, header, payload);
        }

        byte[] seal(int headerLen) {
            ByteBuffer bb = ByteBuffer.allocate(16 + header.length + payload.length + 8);
            bb.put("A2QMODEL".getBytes(StandardCharsets.US_ASCII)).putInt(version).putInt(headerLen)
                    .put(header).put(payload);
            CRC32 crc = new CRC32();
            crc.update(bb.array(), 0, bb.position());
            bb.putLong(crc.getValue());
            return bb.array();
        }

        byte[] seal() {
            return seal(header.length);
        }
    }

    /** Replaces one random leaf of the JSON header with a hostile or wrongly typed value. */
    @SuppressWarnings("unchecked")
    static byte[] runHeaderValue(byte[] seed, SplittableRandom r) {
        A2q a = A2q.of(seed);
        try {
            Map<String, Object> h = JSON.readValue(a.header(), LinkedHashMap.class);
            List<Object[]> leaves = new ArrayList<>();
            collect(h, leaves);
            Object[] slot = leaves.get(r.nextInt(leaves.size()));
            Object v = switch (r.nextInt(9)) {
                case 0 -> FuzzHarness.specialLong(r);
                case 1 -> -FuzzHarness.special(r) - 1L;
                case 2 -> "x";
                case 3 -> null;
                case 4 -> List.of(1, 2, 3);
                case 5 -> Map.of("k", 1);
                case 6 -> 1e300;
                case 7 -> true;
                default -> FuzzHarness.special(r);
            };
            if (slot[0] instanceof Map<?, ?> map) {
                ((Map<Object, Object>) map).put(slot[1], v);
            } else {
                ((List<Object>) slot[0]).set((Integer) slot[1], v);
            }
            return new A2q(a.version(), JSON.writeValueAsBytes(h), a.payload()).seal();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    static void collect(Object node, List<Object[]> leaves) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                leaves.add(new Object[] {m, e.getKey()});
                collect(e.getValue(), leaves);
            }
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                leaves.add(new Object[] {l, i});
                collect(l.get(i), leaves);
            }
        }
    }

    /** Byte damage behind a correct checksum: what a buggy writer (not a disk) would produce. */
    static byte[] runResealed(byte[] seed, SplittableRandom r) {
        A2q a = A2q.of(seed);
        byte[] h = FuzzHarness.byteMutators().get(r.nextInt(FuzzHarness.byteMutators().size())).mutate(a.header(), r);
        int len = r.nextInt(5) == 0 ? FuzzHarness.special(r) : h.length;
        int version = r.nextInt(8) == 0 ? FuzzHarness.special(r) : a.version();
        return new A2q(version, h, a.payload()).seal(len);
    }

    @Test
    void runFileMutantsLoadOrFailWithEngineException() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        // Small inputs keep the files small (fast to mutate and load) with every layer type and BatchNorm state.
        for (String model : List.of("mlp", "resnet")) {
            Path f = dir.resolve(model + ".a2q");
            RunFile.save(f, ModelTemplates.create(model, 1, 1, 4, 4, 10), null, 2, List.of(), Map.of("note", "fuzz seed"));
            seeds.add(Files.readAllBytes(f));
        }
        List<FuzzHarness.Mutator> ms = new ArrayList<>(FuzzHarness.byteMutators());
        ms.add(FuzzHarness.named("a2q-value", LoaderFuzzTest::runHeaderValue));
        ms.add(FuzzHarness.named("a2q-value", LoaderFuzzTest::runHeaderValue));
        ms.add(FuzzHarness.named("a2q-resealed", LoaderFuzzTest::runResealed));
        ms.add(FuzzHarness.named("a2q-resealed", LoaderFuzzTest::runResealed));
        FuzzHarness.Tally t = new FuzzHarness(dir, PER_MUTANT_MS).run("run-file", ".a2q", seeds, ms,
                f -> {
                    RunFile.Run run = RunFile.load(f, null);
                    return arenaBytes(run.graph()) + (run.firstMoment() == null ? 0 : 8 * run.firstMoment().length());
                }, MUTANTS, 0xa2L, BUDGET_MS, null);
        FuzzHarness.assertClean(t, MINIMUM);
        assertTrue(t.loaded > 0 && t.rejected > 0, t.line());
    }

    // ---------------------------------------------------------------- layer config JSON

    static final String CONFIG = "{\"conv2\": {\"method\": \"a2q+\", \"weightBits\": 4, \"accBits\": 12, \"init\": \"EP\"},\n"
            + " \"fc1\": {\"weightBits\": 6},\n \"fc2\": {\"accBits\": 16, \"method\": \"qat\"}}";

    static byte[] jsonValue(byte[] seed, SplittableRandom r) {
        String s = new String(seed, StandardCharsets.UTF_8);
        String[] hostile = {"99999999999999999999", "-2147483649", "1e400", "\"4\"", "[4]", "{}", "null", "true", "-1",
                            "\"A2Q_PLUS\"", "\"nope\"", "NaN", "4.5", "0x10", "\"\\ud800\""};
        String[] keys = {"4", "12", "6", "16", "\"a2q+\"", "\"EP\"", "\"qat\"", "{\"weightBits\": 6}"};
        String k = keys[r.nextInt(keys.length)];
        return s.replaceFirst(java.util.regex.Pattern.quote(k),
                java.util.regex.Matcher.quoteReplacement(hostile[r.nextInt(hostile.length)])).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] jsonNesting(byte[] seed, SplittableRandom r) {
        // Deep nesting is how a small JSON file overflows a recursive parser's stack.
        int depth = List.of(100, 1_001, 5_000, 50_000, 200_000).get(r.nextInt(5));
        String open = r.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        StringBuilder b = new StringBuilder("{\"conv2\": ");
        b.append(open.repeat(depth)).append("1").append(r.nextBoolean() ? close.repeat(depth) : "").append("}");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] jsonShape(byte[] seed, SplittableRandom r) {
        String[] whole = {"[]", "null", "1", "\"s\"", "{\"conv2\": null}", "{\"conv2\": []}", "{\"conv2\": 5}",
                          "{\"\": {}}", "{\"conv2\": {\"weightBits\": {\"x\": 1}}}", "", "\uFEFF{}",
                          "{\"conv2\": {\"method\": 7}}", "{\"a\":1,\"a\":2}", "{\"conv2\": {\"accBits\": 1e1}}"};
        return whole[r.nextInt(whole.length)].getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void layerConfigMutantsLoadOrFailWithEngineException() throws IOException {
        List<byte[]> seeds = List.of(CONFIG.getBytes(StandardCharsets.UTF_8));
        List<FuzzHarness.Mutator> ms = new ArrayList<>(FuzzHarness.byteMutators());
        ms.add(FuzzHarness.named("json-value", LoaderFuzzTest::jsonValue));
        ms.add(FuzzHarness.named("json-value", LoaderFuzzTest::jsonValue));
        ms.add(FuzzHarness.named("json-nesting", LoaderFuzzTest::jsonNesting));
        ms.add(FuzzHarness.named("json-shape", LoaderFuzzTest::jsonShape));
        FuzzHarness.Tally t = new FuzzHarness(dir, PER_MUTANT_MS).run("layer-json", ".json", seeds, ms,
                f -> {
                    QuantConfig.readOverrides(f);
                    return 0;
                }, MUTANTS, 0x15_0e1L, BUDGET_MS, null);
        FuzzHarness.assertClean(t, MINIMUM);
        assertTrue(t.loaded > 0 && t.rejected > 0, t.line());
    }
}
