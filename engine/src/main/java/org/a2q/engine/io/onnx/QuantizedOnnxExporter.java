package org.a2q.engine.io.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.a2q.engine.Version;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.quant.ActivationQuantizer;
import org.nd4j.shade.protobuf.ByteString;

/**
 * Writes a quantized graph as ONNX in one of two quantized dialects.
 * <ul>
 *   <li>{@link Style#QCDQ}: standard ONNX (opset 13) that any runtime executes. Each activation
 *       quantizer becomes QuantizeLinear → Clip → DequantizeLinear with a per-tensor scale and zero
 *       point 0 on a uint8 (unsigned) or int8 (signed) carrier; the Clip narrows the carrier to the
 *       N-bit range. Weights are stored as int8 integers and dequantized per output channel
 *       (axis 0) before Conv/Gemm.</li>
 *   <li>{@link Style#QONNX}: the QONNX dialect that FINN ingests: {@code Quant} nodes in domain
 *       {@code qonnx.custom_op.general} on float carriers, weights stored pre-quantized (s·q) with a
 *       per-channel weight Quant, every attribute written explicitly, and the accumulator width of
 *       each layer in {@code metadata_props}.</li>
 * </ul>
 * The integer weights and scales come from {@link IntegerModel}, the same integers the engine's
 * bit-exact pipeline uses.
 */
public final class QuantizedOnnxExporter {
    public enum Style { QCDQ, QONNX }

    /** The model and the findings of the FINN lint (QONNX only; empty for QCDQ). */
    public record Result(Onnx.ModelProto model, List<String> warnings) { }

    public static final String QONNX_DOMAIN = "qonnx.custom_op.general";
    /** Opset of the standard domain; QuantizeLinear per-axis needs ≥ 13. */
    public static final int OPSET = 13;
    /** Carrier limit: opset-13 QuantizeLinear has 8-bit carriers only. */
    private static final int QCDQ_MAX_BITS = 8;

    private final Graph graph;
    private final Style style;
    private final OnnxExporter base;
    private final Map<String, IntegerLayer> layers = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();

    private QuantizedOnnxExporter(Graph graph, Style style) {
        this.graph = graph;
        this.style = style;
        this.base = new OnnxExporter(graph);
        for (IntegerLayer l : IntegerModel.compile(graph, AccumulatorPolicy.AS_TRAINED).layers()) {
            layers.put(l.name(), l);
        }
    }

    public static Result toModel(Graph g, Style style) {
        return new QuantizedOnnxExporter(g, style).build();
    }

    /** Writes atomically and returns the lint warnings. */
    public static Result write(Graph g, Style style, Path file) {
        Result r = toModel(g, style);
        AtomicFiles.write(file, r.model()::writeTo);
        return r;
    }

    private Result build() {
        Onnx.GraphProto.Builder g = base.g;
        g.setName(style == Style.QCDQ ? "a2q_qcdq" : "a2q_qonnx");
        g.addInput(OnnxExporter.valueInfo(Graph.INPUT, graph.inputShape()));
        Map<String, long[]> shapes = graph.shapes(1);
        for (Graph.Node n : graph.nodes()) {
            Layer l = n.layer();
            if (l instanceof ActivationQuantizer aq) {
                activation(n, aq);
            } else if (l instanceof Conv2d || l instanceof Linear) {
                weightLayer(n);
            } else {
                base.node(n);
            }
        }
        long[] out = shapes.get(graph.outputName());
        g.addOutput(OnnxExporter.valueInfo(graph.outputName(), Arrays.copyOfRange(out, 1, out.length)));
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder()
                .setIrVersion(7)
                .setProducerName("a2q-workbench")
                .setProducerVersion(Version.describe())
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        if (style == Style.QONNX) {
            m.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(QONNX_DOMAIN).setVersion(1));
            for (IntegerLayer l : layers.values()) {
                meta(m, "a2q." + l.name() + ".acc_bits", Integer.toString(l.accBits()));
                meta(m, "a2q." + l.name() + ".method", l.method().label());
                meta(m, "a2q." + l.name() + ".acc_width_exact", Integer.toString(l.widths().exact()));
                meta(m, "a2q." + l.name() + ".acc_width_a2q_plus", Integer.toString(l.widths().a2qPlusSafe()));
                meta(m, "a2q." + l.name() + ".acc_width_data_type", Integer.toString(l.widths().dataType()));
            }
            warnings.addAll(lint(g));
            for (IntegerLayer l : layers.values()) {
                if (l.format().bits() > 8) {
                    warnings.add(String.format(Locale.ROOT, "layer '%s': %d-bit inputs exceed FINN's default 8-bit "
                            + "thresholding", l.name(), l.format().bits()));
                }
            }
        }
        m.setGraph(g);
        return new Result(m.build(), List.copyOf(warnings));
    }

    private static void meta(Onnx.ModelProto.Builder m, String key, String value) {
        m.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }

    // ------------------------------------------------------------------ activations

    private void activation(Graph.Node n, ActivationQuantizer aq) {
        String name = n.name();
        String x = n.inputs().get(0);
        // The engine divides by the scale in float32, so the float32 scale is the one that reproduces its codes.
        float s = (float) aq.scale();
        if (style == Style.QCDQ) {
            if (aq.bits() > QCDQ_MAX_BITS) {
                throw new EngineException("quantizer '" + name + "' has " + aq.bits() + " bits; QCDQ at opset "
                        + OPSET + " has 8-bit carriers only (use --format qonnx or int-json)");
            }
            int carrier = aq.signed() ? Onnx.TensorProto.DataType.INT8_VALUE : Onnx.TensorProto.DataType.UINT8_VALUE;
            base.g.addInitializer(OnnxTensors.floats(name + ".scale", new long[0], new float[] {s}));
            base.g.addInitializer(bytes(name + ".zero_point", carrier, new long[0], new byte[] {0}));
            String q = name + ".q";
            base.op("QuantizeLinear", name + ".quantize", List.of(x, name + ".scale", name + ".zero_point"), q);
            int carrierBits = 8;
            if (aq.bits() < carrierBits) {
                // QuantizeLinear saturates to the 8-bit carrier; the Clip narrows it to the N-bit codes.
                base.g.addInitializer(bytes(name + ".min", carrier, new long[0], new byte[] {(byte) aq.minCode()}));
                base.g.addInitializer(bytes(name + ".max", carrier, new long[0], new byte[] {(byte) aq.maxCode()}));
                String c = name + ".clipped";
                base.op("Clip", name + ".clip", List.of(q, name + ".min", name + ".max"), c);
                q = c;
            }
            base.op("DequantizeLinear", name + ".dequantize", List.of(q, name + ".scale", name + ".zero_point"), name);
        } else {
            quant(name, x, name, new float[] {s}, new long[0], aq.bits(), aq.signed(), false);
        }
    }

    /** One QONNX Quant node with all its parameters as initializers and all attributes explicit. */
    private void quant(String node, String x, String out, float[] scale, long[] scaleDims, int bits, boolean signed,
                       boolean narrow) {
        base.g.addInitializer(OnnxTensors.floats(node + ".scale", scaleDims, scale));
        base.g.addInitializer(OnnxTensors.floats(node + ".zeropt", new long[0], new float[] {0f}));
        base.g.addInitializer(OnnxTensors.floats(node + ".bitwidth", new long[0], new float[] {bits}));
        Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder().setOpType("Quant").setDomain(QONNX_DOMAIN)
                .setName(node + ".quant_node").addOutput(out)
                .addAllInput(List.of(x, node + ".scale", node + ".zeropt", node + ".bitwidth"))
                .addAttribute(OnnxExporter.integer("signed", signed ? 1 : 0))
                .addAttribute(OnnxExporter.integer("narrow", narrow ? 1 : 0))
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("rounding_mode")
                        .setType(Onnx.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8("ROUND")));
        base.g.addNode(b);
    }

    // ------------------------------------------------------------------ conv / linear

    private void weightLayer(Graph.Node n) {
        String name = n.name();
        IntegerLayer il = layers.get(name);
        if (il == null) {
            throw new EngineException("layer '" + name + "' has no integer form");
        }
        int cout = il.outputChannels();
        int k = il.dotLength();
        double[] ws = il.weightScales();
        float[] scale = new float[cout];
        for (int c = 0; c < cout; c++) {
            scale[c] = (float) ws[c];
        }
        Layer l = n.layer();
        long[] dims = l instanceof Conv2d c
                ? new long[] {c.outChannels(), c.inChannels(), c.kernelH(), c.kernelW()}
                : new long[] {cout, k};
        String weight = name + ".weight";
        List<String> in = new ArrayList<>(n.inputs());
        if (style == Style.QCDQ) {
            if (il.weightBits() > QCDQ_MAX_BITS) {
                throw new EngineException("layer '" + name + "' has " + il.weightBits() + "-bit weights; QCDQ stores "
                        + "weights as int8 (use --format qonnx or int-json)");
            }
            byte[] q = new byte[cout * k];
            for (int c = 0; c < cout; c++) {
                int[] row = il.weights().row(c);
                for (int i = 0; i < k; i++) {
                    q[c * k + i] = (byte) row[i];
                }
            }
            int int8 = Onnx.TensorProto.DataType.INT8_VALUE;
            base.g.addInitializer(bytes(name + ".weight_q", int8, dims, q));
            base.g.addInitializer(OnnxTensors.floats(name + ".weight_scale", new long[] {cout}, scale));
            base.g.addInitializer(bytes(name + ".weight_zero_point", int8, new long[] {cout}, new byte[cout]));
            base.op("DequantizeLinear", name + ".weight_dequantize",
                    List.of(name + ".weight_q", name + ".weight_scale", name + ".weight_zero_point"), weight,
                    OnnxExporter.integer("axis", 0));
        } else {
            // FINN folds a float initializer that already lies on the grid: W = s·q, then Quant(W) is exact.
            float[] w = new float[cout * k];
            for (int c = 0; c < cout; c++) {
                int[] row = il.weights().row(c);
                for (int i = 0; i < k; i++) {
                    w[c * k + i] = row[i] * scale[c];
                }
            }
            long[] sdims = new long[dims.length];
            Arrays.fill(sdims, 1);
            sdims[0] = cout;
            if (l instanceof Linear) {
                // MatMul wants [in, out]; transposed here so no Transpose node sits between Quant and MatMul.
                float[] t = new float[w.length];
                for (int c = 0; c < cout; c++) {
                    for (int i = 0; i < k; i++) {
                        t[i * cout + c] = w[c * k + i];
                    }
                }
                w = t;
                dims = new long[] {k, cout};
                sdims = new long[] {1, cout};
            }
            base.g.addInitializer(OnnxTensors.floats(name + ".weight_float", dims, w));
            quant(name + ".weight", name + ".weight_float", weight, scale, sdims, il.weightBits(), true, true);
        }
        in.add(weight);
        double[] bias = il.bias();
        boolean hasBias = l instanceof Conv2d c ? c.bias() != null : ((Linear) l).bias() != null;
        float[] b = new float[cout];
        for (int c = 0; c < cout; c++) {
            b[c] = (float) bias[c];
        }
        if (l instanceof Conv2d c) {
            if (hasBias) {
                base.g.addInitializer(OnnxTensors.floats(name + ".bias", new long[] {cout}, b));
                in.add(name + ".bias");
            }
            base.op("Conv", name, in, name, OnnxExporter.ints("kernel_shape", c.kernelH(), c.kernelW()),
                    OnnxExporter.ints("strides", c.strideH(), c.strideW()),
                    OnnxExporter.ints("pads", c.padH(), c.padW(), c.padH(), c.padW()),
                    OnnxExporter.ints("dilations", 1, 1), OnnxExporter.integer("group", 1));
        } else if (style == Style.QCDQ) {
            if (hasBias) {
                base.g.addInitializer(OnnxTensors.floats(name + ".bias", new long[] {cout}, b));
                in.add(name + ".bias");
            }
            base.op("Gemm", name, in, name, OnnxExporter.real("alpha", 1f), OnnxExporter.real("beta", 1f),
                    OnnxExporter.integer("transB", 1));
        } else {
            String mm = hasBias ? name + ".matmul" : name;
            base.op("MatMul", name + ".matmul_node", in, mm);
            if (hasBias) {
                base.g.addInitializer(OnnxTensors.floats(name + ".bias", new long[] {cout}, b));
                base.op("Add", name + ".bias_add", List.of(mm, name + ".bias"), name);
            }
        }
    }

    private static Onnx.TensorProto bytes(String name, int type, long[] dims, byte[] v) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type)
                .setRawData(ByteString.copyFrom(v));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    // ------------------------------------------------------------------ FINN lint (peers §2.7)

    /**
     * The FINN ingestion rules that an exported graph can break, checked on the written graph so the
     * check sees what FINN will see. Findings are warnings: the file is still valid QONNX.
     */
    public static List<String> lint(Onnx.GraphProtoOrBuilder g) {
        List<String> warnings = new ArrayList<>();
        Map<String, Onnx.NodeProto> producer = new LinkedHashMap<>();
        Map<String, List<Onnx.NodeProto>> consumers = new LinkedHashMap<>();
        for (Onnx.NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
            for (String i : n.getInputList()) {
                consumers.computeIfAbsent(i, x -> new ArrayList<>()).add(n);
            }
        }
        Map<String, Onnx.TensorProto> inits = new LinkedHashMap<>();
        for (Onnx.TensorProto t : g.getInitializerList()) {
            inits.put(t.getName(), t);
        }
        for (Onnx.NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("Quant")) {
                continue;
            }
            String who = "Quant '" + n.getName() + "'";
            for (int i = 1; i < 4; i++) {
                if (!inits.containsKey(n.getInput(i))) {
                    warnings.add(who + ": input " + i + " is not an initializer; FINN needs constant quantizer parameters");
                }
            }
            Onnx.TensorProto zp = inits.get(n.getInput(2));
            if (zp != null && anyNonZero(OnnxTensors.decode(zp, who).floats())) {
                warnings.add(who + ": non-zero zero-point; FINN rejects it");
            }
            int bits = inits.containsKey(n.getInput(3)) ? (int) OnnxTensors.decode(inits.get(n.getInput(3)), who).floats()[0] : 0;
            boolean signed = attr(n, "signed") == 1;
            boolean narrow = attr(n, "narrow") == 1;
            boolean weight = inits.containsKey(n.getInput(0));
            List<Onnx.NodeProto> users = consumers.getOrDefault(n.getOutput(0), List.of());
            if (weight) {
                if (users.size() > 1) {
                    warnings.add(who + ": a weight Quant feeding " + users.size() + " nodes; FINN expects one consumer");
                }
                for (Onnx.NodeProto u : users) {
                    if (!List.of("Mul", "Div", "Conv", "MatMul", "Gather", "ConvTranspose", "Add", "Sub")
                            .contains(u.getOpType())) {
                        warnings.add(who + ": weight Quant feeds " + u.getOpType() + ", which FINN cannot fold it into");
                    }
                }
                continue;
            }
            Onnx.NodeProto src = producer.get(n.getInput(0));
            String srcOp = src == null ? "graph input" : src.getOpType();
            if (srcOp.equals("Relu") && (signed || narrow)) {
                warnings.add(who + ": after Relu it must be unsigned and non-narrow for FINN (signed=" + (signed ? 1 : 0)
                        + ", narrow=" + (narrow ? 1 : 0) + ")");
            }
            if (List.of("BatchNormalization", "Add", "Mul", "Sub", "Div").contains(srcOp) && !signed) {
                warnings.add(who + ": an identity-style activation Quant after " + srcOp
                        + " must be signed for FINN");
            }
            if (srcOp.equals("graph input") && !signed) {
                warnings.add(who + ": unsigned Quant at the graph input; FINN requires identity-style activation "
                        + "Quants (at the graph input or after BatchNormalization/Add/Mul/Sub/Div) to be signed");
            }
            if (bits > 8) {
                warnings.add(who + ": " + bits + "-bit activation; FINN leaves activation Quants wider than 8 bits "
                        + "unconverted by default (max_multithreshold_bit_width=8)");
            }
            if (bits < 2 || bits > 8) {
                warnings.add(who + ": " + bits + " bits is outside 2..8, so qonnx-convert cannot turn it into QCDQ");
            }
        }
        return warnings;
    }

    private static boolean anyNonZero(float[] v) {
        for (float f : v) {
            if (f != 0f) {
                return true;
            }
        }
        return false;
    }

    private static long attr(Onnx.NodeProto n, String name) {
        for (Onnx.AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return -1;
    }
}
