package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.a2q.engine.EngineException;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.export.IntegerModelDocument;
import org.a2q.engine.io.export.IntegerModelJson;
import org.a2q.engine.io.export.IntegerModelRunner;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The integer-model JSON: written, read back to the engine's exact integers, and run from the document alone. */
class QexportIntJsonTest {
    @TempDir Path dir;

    @Test
    void engineRoundingSendsHalvesToEvenAsTheDocumentSays() {
        float[] x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 2.5000002f};
        // the fake quantizer (training, float model) and the Java integer path (simulator and this
        // document's reader) round the same ties the same way
        org.a2q.engine.quant.ActivationQuantizer q = org.a2q.engine.quant.ActivationQuantizer.fixed("q", 8, true, 1.0);
        INDArray codes = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, x.length);
        q.codes(Nd4j.createFromArray(x), codes);
        // as torch.round (the reference's quantizers), ONNX QuantizeLinear and QONNX ROUND
        assertArrayEquals(new float[] {0, 2, 2, 0, -2, -2, 0, 3}, codes.data().asFloat());
        int[] javaCodes = new int[x.length];
        org.a2q.engine.hw.IntegerModel.quantizeCodes(x, 0, 1f, -128f, 127f, javaCodes);
        assertArrayEquals(new int[] {0, 2, 2, 0, -2, -2, 0, 3}, javaCodes);
        assertEquals("half_to_even", IntegerModelJson.ROUNDING);
    }

    @Test
    void readBackReproducesTheEngineIntegersExactly() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        Path f = dir.resolve("m.int.json");
        IntegerModelJson.write(g, f);
        IntegerModelDocument doc = IntegerModelDocument.read(f);
        IntegerModel im = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        List<IntegerLayer> layers = im.layers();
        assertEquals(layers.size(), doc.layers().size());
        List<QuantReport.LayerReport> report = QuantReport.of(g);
        for (int i = 0; i < layers.size(); i++) {
            IntegerLayer l = layers.get(i);
            IntegerModelDocument.LayerDoc d = doc.layers().get(i);
            assertEquals(l.name(), d.name());
            for (int c = 0; c < l.outputChannels(); c++) {
                int[] row = l.weights().row(c);
                long[] back = d.q()[c];
                assertEquals(row.length, back.length);
                for (int k = 0; k < row.length; k++) {
                    assertEquals(row[k], back[k], l.name() + " c" + c + " k" + k);
                }
            }
            assertArrayEquals(l.weightScales(), d.weightScale());
            assertArrayEquals(l.bias(), d.bias());
            assertEquals(l.accBits(), d.accBits());
            assertEquals(l.inputScale(), d.inputScale());
            assertEquals(l.format().bits(), d.inputBits());
            assertEquals(report.get(i).name(), d.name());
        }
        // the A2Q+ hidden layers carry P = 12 and their certified width fits it
        var tree = new ObjectMapper().readTree(f.toFile());
        assertEquals("a2q-integer-model", tree.get("format").asText());
        var conv2 = tree.get("layers").get(1);
        assertEquals("conv2", conv2.get("name").asText());
        assertEquals("a2q+", conv2.get("method").asText());
        assertEquals(12, conv2.get("acc_bits").asInt());
        assertTrue(conv2.get("acc_width").get("a2q_plus").asInt() <= 12);
        assertTrue(conv2.get("acc_width").get("exact").asInt() <= conv2.get("acc_width").get("a2q_plus").asInt());
        assertEquals(4, conv2.get("weight_bits").asInt());
        assertEquals("relu2.quant", conv2.get("output_quant").get("name").asText());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp files left behind");
        }
    }

    @Test
    void documentRunsLikeTheIntegerModel() {
        Graph g = QuantFixtures.lenetA2qPlus();
        IntegerModelDocument doc = IntegerModelDocument.parse(
                new ObjectMapper().valueToTree(IntegerModelJson.toDocument(g)), "doc");
        IntegerModelRunner runner = new IntegerModelRunner(doc);
        IntegerModel im = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        INDArray x = OnnxTestSupport.images(64);
        double[][] ref = im.forward(x, AccumulatorMode.EXACT, null);
        int agreeing = 0;
        for (int b = 0; b < 64; b++) {
            INDArray one = x.get(NDArrayIndex.interval(b, b + 1)).dup('c');
            IntegerModelRunner.Trace t = runner.run(one.data().asFloat());
            if (equal(ref[b], t.output())) {
                agreeing++;
            }
            if (b < 3) {
                // accumulators equal the dot products of the engine's own input patches
                for (IntegerLayer l : im.layers()) {
                    int[][] patches = im.layerInput(l.name(), one, AccumulatorMode.EXACT);
                    long[] acc = t.accumulators().get(l.name());
                    int pixels = patches.length;
                    for (int c = 0; c < l.outputChannels(); c++) {
                        int[] q = l.weights().row(c);
                        for (int p = 0; p < pixels; p++) {
                            long s = 0;
                            for (int k = 0; k < q.length; k++) {
                                s += (long) q[k] * patches[p][k];
                            }
                            assertEquals(s, acc[c * pixels + p], l.name() + " c" + c + " p" + p);
                        }
                    }
                }
            }
        }
        assertEquals(64, agreeing, "runner and IntegerModel logits are bit-identical on every image");
    }

    private static boolean equal(double[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if ((float) a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    @Test
    void malformedDocumentsAreRefusedBeforeAllocating() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        ObjectMapper om = new ObjectMapper();
        ObjectNode good = om.valueToTree(IntegerModelJson.toDocument(g));

        ObjectNode shortWeights = good.deepCopy();
        ArrayNode w = (ArrayNode) shortWeights.get("layers").get(0).get("weights");
        w.remove(w.size() - 1);
        EngineException e = assertThrows(EngineException.class, () -> IntegerModelDocument.parse(shortWeights, "t"));
        assertTrue(e.getMessage().contains("needs 150 weights, the document holds 149"), e.getMessage());

        ObjectNode huge = good.deepCopy();
        ArrayNode shape = (ArrayNode) huge.get("layers").get(0).get("weight_shape");
        shape.set(0, om.getNodeFactory().numberNode(1L << 40));
        e = assertThrows(EngineException.class, () -> IntegerModelDocument.parse(huge, "t"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());

        ObjectNode wide = good.deepCopy();
        ((ArrayNode) wide.get("layers").get(1).get("weights")).set(0, om.getNodeFactory().numberNode(8));
        e = assertThrows(EngineException.class, () -> IntegerModelDocument.parse(wide, "t"));
        assertTrue(e.getMessage().contains("narrow 4-bit range"), e.getMessage());

        ObjectNode version = good.deepCopy();
        version.put("version", 2);
        assertThrows(EngineException.class, () -> IntegerModelDocument.parse(version, "t"));
    }
}
