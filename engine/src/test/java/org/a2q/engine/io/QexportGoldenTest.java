package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.a2q.engine.TestData;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.export.GoldenVectors;
import org.a2q.engine.nn.Graph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Golden vectors: input codes are the pixels, accumulators the engine's, A2Q+ layers within their P. */
class QexportGoldenTest {
    @TempDir Path dir;

    @Test
    void goldenVectorsMatchTheIntegerPipeline() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        Path f = dir.resolve("golden.json");
        GoldenVectors.write(g, TestData.sample().test(), 5, f);
        JsonNode doc = new ObjectMapper().readTree(f.toFile());
        assertEquals("a2q-golden-vectors", doc.get("format").asText());
        assertEquals(5, doc.get("cases").size());
        IntegerModel im = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        INDArray x = OnnxTestSupport.images(5);
        int[] pred = OnnxTestSupport.argmax(OnnxTestSupport.rows(
                org.nd4j.linalg.factory.Nd4j.createFromArray(im.forward(x, AccumulatorMode.EXACT, null))));
        for (int i = 0; i < 5; i++) {
            JsonNode c = doc.get("cases").get(i);
            assertEquals(TestData.sample().test().label(i), c.get("label").asInt());
            assertEquals(pred[i], c.get("prediction").asInt());
            // the 8-bit input codes are the pixel values themselves
            byte[] px = TestData.sample().test().image(i);
            JsonNode in = c.get("input_codes");
            assertEquals(px.length, in.size());
            for (int k = 0; k < px.length; k++) {
                assertEquals(px[k] & 0xff, in.get(k).asInt());
            }
            INDArray one = x.get(NDArrayIndex.interval(i, i + 1)).dup('c');
            for (IntegerLayer l : im.layers()) {
                JsonNode lv = c.get("layers").get(l.name());
                int[][] patches = im.layerInput(l.name(), one, AccumulatorMode.EXACT);
                int pixels = patches.length;
                long max = Long.MIN_VALUE;
                for (int ch = 0; ch < l.outputChannels(); ch++) {
                    int[] q = l.weights().row(ch);
                    for (int p = 0; p < pixels; p++) {
                        long s = 0;
                        for (int k = 0; k < q.length; k++) {
                            s += (long) q[k] * patches[p][k];
                        }
                        assertEquals(s, lv.get("acc").get(ch * pixels + p).asLong());
                        max = Math.max(max, s);
                    }
                }
                assertEquals(max, lv.get("acc_max").asLong());
                assertTrue(lv.get("acc_bits_needed").asInt() <= l.accBits(), l.name());
                if (!lv.get("output_quant").isNull()) {
                    JsonNode codes = lv.get("output_codes");
                    assertEquals((long) l.outputChannels() * pixels, codes.size());
                    for (JsonNode v : codes) {
                        assertTrue(v.asInt() >= 0 && v.asInt() <= 15, l.name() + " code " + v);
                    }
                }
            }
        }
    }
}
