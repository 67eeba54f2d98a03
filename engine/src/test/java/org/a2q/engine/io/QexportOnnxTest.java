package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter.Style;
import org.a2q.engine.nn.Graph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** QCDQ runs in onnxruntime like the fake-quantized model; QONNX carries FINN's conventions and is linted. */
class QexportOnnxTest {
    private static final int IMAGES = 500;

    @Test
    void qcdqInOnnxruntimeMatchesTheFakeQuantizedModel() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        Onnx.ModelProto m = QuantizedOnnxExporter.toModel(g, Style.QCDQ).model();
        INDArray x = OnnxTestSupport.images(IMAGES);
        float[][] ref = OnnxTestSupport.rows(g.forward(x, false));
        // With graph optimisations on, onnxruntime rewrites DequantizeLinear → Conv/Gemm → ... → QuantizeLinear
        // into integer kernels that round the float bias to the s_x·s_w grid: a per-channel offset of up to
        // s_x·s_w/2 that the model does not contain (measured: constant over images, per channel). Without
        // optimisations it runs the model as written, which is what is compared here.
        float[][] ort = ort(m.toByteArray(), x, OrtSession.SessionOptions.OptLevel.NO_OPT);
        float[][] fused = ort(m.toByteArray(), x, OrtSession.SessionOptions.OptLevel.ALL_OPT);
        System.out.printf("QCDQ with all onnxruntime optimisations: max |diff| %.3g, argmax agree %d of %d%n",
                OnnxTestSupport.maxAbsDiff(ref, fused), agreement(OnnxTestSupport.argmax(ref),
                        OnnxTestSupport.argmax(fused)), IMAGES);
        double maxDiff = OnnxTestSupport.maxAbsDiff(ref, ort);
        int[] a = OnnxTestSupport.argmax(ref);
        int[] b = OnnxTestSupport.argmax(ort);
        double[] tie = nearestTie(g, x);
        int agree = 0;
        int rowsOver = 0;
        double worstTie = 0;
        double restMax = 0;
        for (int i = 0; i < IMAGES; i++) {
            agree += a[i] == b[i] ? 1 : 0;
            double d = OnnxTestSupport.maxAbsDiff(new float[][] {ref[i]}, new float[][] {ort[i]});
            if (d > 1e-4) {
                rowsOver++;
                worstTie = Math.max(worstTie, tie[i]);
            } else {
                restMax = Math.max(restMax, d);
            }
        }
        System.out.printf("QCDQ vs engine, images without a code flip: max |diff| %.3g%n", restMax);
        System.out.printf("QCDQ vs engine on %d test images: max |diff| %.3g, rows over 1e-4: %d (their nearest "
                + "rounding tie at most %.2g code steps away), argmax agree %d%n", IMAGES, maxDiff, rowsOver, worstTie, agree);
        // Conv/Gemm sum in a different order than ND4J, so an activation within float error of a
        // rounding boundary can land on the neighbouring code; every image that differs by more than
        // 1e-4 must have such a near-tie, and such images must stay rare.
        assertTrue(worstTie < 1e-5, "an image differs without a near-tie activation: " + worstTie);
        assertTrue(rowsOver <= IMAGES / 50, rowsOver + " images over 1e-4");
        assertTrue(agree >= IMAGES - 2, "argmax agreement " + agree);
        long ops = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("QuantizeLinear")).count();
        assertEquals(5, ops, "input quantizer + four ReLU quantizers");
    }

    /**
     * Per image, the smallest distance (in code steps) of any activation quantizer's input x/s from a
     * rounding boundary k + 1/2, over the quantizers with learned scales (the image quantizer's inputs
     * are exact pixel codes).
     */
    private static double[] nearestTie(Graph g, INDArray x) {
        g.forward(x, false);
        double[] out = new double[(int) x.size(0)];
        java.util.Arrays.fill(out, Double.MAX_VALUE);
        for (Graph.Node n : g.nodes()) {
            if (!(n.layer() instanceof org.a2q.engine.quant.ActivationQuantizer aq) || !aq.learnedScale()) {
                continue;
            }
            float s = (float) aq.scale();
            float[] v = g.activation(n.inputs().get(0)).dup('c').data().asFloat();
            int per = v.length / out.length;
            for (int i = 0; i < v.length; i++) {
                float t = Math.min(Math.max(v[i] / s, aq.minCode()), aq.maxCode());
                double dist = Math.abs(t - Math.floor(t) - 0.5);
                if (t > aq.minCode() && t < aq.maxCode()) {
                    out[i / per] = Math.min(out[i / per], dist);
                }
            }
        }
        return out;
    }

    private static int agreement(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] == b[i] ? 1 : 0;
        }
        return n;
    }

    private static float[][] ort(byte[] model, INDArray x, OrtSession.SessionOptions.OptLevel level) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            o.setOptimizationLevel(level);
            try (OrtSession s = env.createSession(model, o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()), x.shape());
                 OrtSession.Result r = s.run(Map.of("input", t))) {
                return (float[][]) r.get(0).getValue();
            }
        }
    }

    @Test
    void qonnxCarriesFinnConventionsAndAccumulatorWidths() {
        Graph g = QuantFixtures.lenetA2qPlus();
        QuantizedOnnxExporter.Result r = QuantizedOnnxExporter.toModel(g, Style.QONNX);
        Onnx.ModelProto m = r.model();
        assertTrue(m.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals("qonnx.custom_op.general")
                && o.getVersion() == 1));
        Map<String, Onnx.TensorProto> inits = new HashMap<>();
        for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
            inits.put(t.getName(), t);
        }
        int quants = 0;
        for (Onnx.NodeProto n : m.getGraph().getNodeList()) {
            if (!n.getOpType().equals("Quant")) {
                continue;
            }
            quants++;
            assertEquals("qonnx.custom_op.general", n.getDomain());
            List<String> attrs = n.getAttributeList().stream().map(Onnx.AttributeProto::getName).toList();
            assertTrue(attrs.containsAll(List.of("signed", "narrow", "rounding_mode")), attrs.toString());
            for (int i = 1; i < 4; i++) {
                assertTrue(inits.containsKey(n.getInput(i)), n.getName() + " input " + i);
            }
        }
        assertEquals(5 + 5, quants, "five activation and five weight quantizers");
        Map<String, String> meta = new HashMap<>();
        m.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        assertEquals("12", meta.get("a2q.conv2.acc_bits"));
        assertEquals("a2q+", meta.get("a2q.fc1.method"));
        // weights are stored on the grid: W = s·q, and the MatMul layout is [in, out]
        IntegerLayer fc1 = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED).layer("fc1");
        Onnx.TensorProto w = inits.get("fc1.weight_float");
        assertArrayEquals(new long[] {400, 120}, w.getDimsList().stream().mapToLong(Long::longValue).toArray());
        java.nio.FloatBuffer f = w.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float s3 = (float) fc1.weightScales()[3];
        assertEquals(fc1.weights().weight(3, 7) * s3, f.get(7 * 120 + 3));
        // the only FINN finding on this model is the unsigned 8-bit image quantizer at the graph input
        System.out.println("QONNX lint: " + r.warnings());
        assertEquals(1, r.warnings().size(), r.warnings().toString());
        assertTrue(r.warnings().get(0).contains("graph input"), r.warnings().get(0));
    }

    /**
     * QONNX's Quant spelled in standard ops (Div → Clip → Round → Mul; Round is half-to-even like
     * ROUND, zero points are 0) so onnxruntime can execute the QONNX graph as written: this checks
     * the graph's wiring, weight layout and parameters numerically, not just its structure.
     */
    @Test
    void qonnxGraphComputesTheFakeQuantizedModel() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        Onnx.ModelProto m = QuantizedOnnxExporter.toModel(g, Style.QONNX).model();
        Map<String, Onnx.TensorProto> inits = new HashMap<>();
        for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
            inits.put(t.getName(), t);
        }
        Onnx.GraphProto.Builder gb = m.getGraph().toBuilder().clearNode();
        for (Onnx.NodeProto n : m.getGraph().getNodeList()) {
            if (!n.getOpType().equals("Quant")) {
                gb.addNode(n);
                continue;
            }
            long signed = 0;
            long narrow = 0;
            for (Onnx.AttributeProto a : n.getAttributeList()) {
                signed = a.getName().equals("signed") ? a.getI() : signed;
                narrow = a.getName().equals("narrow") ? a.getI() : narrow;
            }
            int bits = (int) inits.get(n.getInput(3)).getRawData().asReadOnlyByteBuffer()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
            float lo = signed == 1 ? -(1 << (bits - 1)) + narrow : 0;
            float hi = signed == 1 ? (1 << (bits - 1)) - 1 : (1 << bits) - 1 - narrow;
            String p = n.getName();
            gb.addInitializer(floatScalar(p + ".lo", lo)).addInitializer(floatScalar(p + ".hi", hi));
            gb.addNode(node("Div", List.of(n.getInput(0), n.getInput(1)), p + ".t"));
            gb.addNode(node("Clip", List.of(p + ".t", p + ".lo", p + ".hi"), p + ".c"));
            gb.addNode(node("Round", List.of(p + ".c"), p + ".r"));
            gb.addNode(node("Mul", List.of(p + ".r", n.getInput(1)), n.getOutput(0)));
        }
        Onnx.ModelProto std = m.toBuilder().clearOpsetImport()
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(gb).build();
        INDArray x = OnnxTestSupport.images(IMAGES);
        float[][] ref = OnnxTestSupport.rows(g.forward(x, false));
        float[][] out = ort(std.toByteArray(), x, OrtSession.SessionOptions.OptLevel.NO_OPT);
        double[] tie = nearestTie(g, x);
        int over = 0;
        double worstTie = 0;
        for (int i = 0; i < IMAGES; i++) {
            if (OnnxTestSupport.maxAbsDiff(new float[][] {ref[i]}, new float[][] {out[i]}) > 1e-4) {
                over++;
                worstTie = Math.max(worstTie, tie[i]);
            }
        }
        System.out.printf("QONNX (as standard ops) vs engine: max |diff| %.3g, rows over 1e-4: %d, argmax agree %d%n",
                OnnxTestSupport.maxAbsDiff(ref, out), over,
                agreement(OnnxTestSupport.argmax(ref), OnnxTestSupport.argmax(out)));
        assertTrue(worstTie < 1e-5, "an image differs without a near-tie activation: " + worstTie);
        assertTrue(over <= IMAGES / 50, over + " images over 1e-4");
    }

    private static Onnx.TensorProto floatScalar(String name, float v) {
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(v).build();
    }

    private static Onnx.NodeProto node(String op, List<String> in, String out) {
        return Onnx.NodeProto.newBuilder().setOpType(op).setName(out + ".node").addAllInput(in).addOutput(out).build();
    }

    @Test
    void lintFindsWhatFinnRejects() {
        Graph g = QuantFixtures.lenetA2qPlus();
        Onnx.GraphProto.Builder gb = QuantizedOnnxExporter.toModel(g, Style.QONNX).model().getGraph().toBuilder();
        for (int i = 0; i < gb.getNodeCount(); i++) {
            Onnx.NodeProto n = gb.getNode(i);
            if (n.getOpType().equals("Quant") && n.getOutput(0).equals("relu2.quant")) {
                Onnx.NodeProto.Builder nb = n.toBuilder().clearAttribute();
                for (Onnx.AttributeProto a : n.getAttributeList()) {
                    nb.addAttribute(a.getName().equals("signed") ? a.toBuilder().setI(1).build() : a);
                }
                gb.setNode(i, nb);
            }
        }
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            if (gb.getInitializer(i).getName().equals("relu3.quant.zeropt")) {
                gb.setInitializer(i, gb.getInitializer(i).toBuilder().setRawData(
                        org.nd4j.shade.protobuf.ByteString.copyFrom(new byte[] {0, 0, (byte) 0x80, 0x3f})));
            }
        }
        List<String> w = QuantizedOnnxExporter.lint(gb);
        assertTrue(w.stream().anyMatch(s -> s.contains("relu2.quant") && s.contains("unsigned and non-narrow")), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.contains("relu3.quant") && s.contains("non-zero zero-point")), w.toString());
    }
}
