package org.a2q.engine.io.export;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.io.export.IntegerModelDocument.LayerDoc;
import org.a2q.engine.nn.Graph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Golden vectors for an RTL testbench: for a few real inputs, the input codes, every layer's
 * accumulators and output codes, and the logits. They come from executing the integer-model
 * document ({@link IntegerModelRunner}), and every case is checked against the engine's integer
 * pipeline ({@link IntegerModel}, exact accumulators) before it is written, so a vector that the two
 * disagree on is never shipped.
 */
public final class GoldenVectors {
    public static final String FORMAT = "a2q-golden-vectors";
    public static final int VERSION = 1;

    private GoldenVectors() { }

    /** The first {@code count} images of a data set (in order) as golden cases. */
    public static Map<String, Object> toDocument(Graph g, ImageDataset data, int count) {
        if (count < 1 || count > data.size()) {
            throw new EngineException("golden vectors need 1.." + data.size() + " images, asked for " + count);
        }
        Batch b = new Batcher(data, count, DataType.FLOAT).inOrder().iterator().next();
        return toDocument(g, b.features(), b.labels());
    }

    /** Golden cases for images [n, C, H, W] (pixel/255) with their labels (or null). */
    public static Map<String, Object> toDocument(Graph g, INDArray images, int[] labels) {
        Map<String, Object> model = IntegerModelJson.toDocument(g);
        IntegerModelDocument doc = IntegerModelDocument.parse(new ObjectMapper().valueToTree(model), "integer model");
        IntegerModelRunner runner = new IntegerModelRunner(doc);
        IntegerModel engine = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        INDArray x = images.castTo(DataType.FLOAT);
        double[][] ref = engine.forward(x, AccumulatorMode.EXACT, null);
        Map<String, String> outputQuant = new LinkedHashMap<>();
        for (Object o : (List<?>) model.get("layers")) {
            Map<?, ?> l = (Map<?, ?>) o;
            Map<?, ?> oq = (Map<?, ?>) l.get("output_quant");
            outputQuant.put((String) l.get("name"), oq == null ? null : (String) oq.get("name"));
        }
        List<Object> cases = new ArrayList<>();
        for (int i = 0; i < x.size(0); i++) {
            float[] one = x.get(NDArrayIndex.interval(i, i + 1)).dup('c').data().asFloat();
            IntegerModelRunner.Trace t = runner.run(one);
            for (int k = 0; k < t.output().length; k++) {
                if ((float) ref[i][k] != t.output()[k]) {
                    throw new EngineException("image " + i + ": the document's output " + t.output()[k]
                            + " differs from the integer pipeline's " + (float) ref[i][k] + " at " + k
                            + "; not writing golden vectors that the engine does not reproduce");
                }
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("index", i);
            c.put("label", labels == null ? null : labels[i]);
            c.put("input_codes", t.inputCodes());
            Map<String, Object> layers = new LinkedHashMap<>();
            for (LayerDoc l : doc.layers()) {
                long[] acc = t.accumulators().get(l.name());
                long lo = 0;
                long hi = 0;
                for (long a : acc) {
                    lo = Math.min(lo, a);
                    hi = Math.max(hi, a);
                }
                Map<String, Object> lv = new LinkedHashMap<>();
                lv.put("acc", acc);
                lv.put("acc_min", lo);
                lv.put("acc_max", hi);
                lv.put("acc_bits_needed", signedWidth(lo, hi));
                String q = outputQuant.get(l.name());
                lv.put("output_quant", q);
                lv.put("output_codes", q == null ? null : t.codes().get(q));
                layers.put(l.name(), lv);
            }
            c.put("layers", layers);
            c.put("quant_codes", t.codes());
            c.put("output", t.output());
            c.put("prediction", argmax(t.output()));
            cases.add(c);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format", FORMAT);
        out.put("version", VERSION);
        out.put("model_format", IntegerModelJson.FORMAT);
        out.put("model_version", IntegerModelJson.VERSION);
        out.put("cases", cases);
        return out;
    }

    public static void write(Graph g, ImageDataset data, int count, Path file) {
        Map<String, Object> doc = toDocument(g, data, count);
        ObjectMapper m = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .disable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, out -> m.writeValue(out, doc));
    }

    /** Bits of the smallest two's-complement register holding [lo, hi] (lo ≤ 0 ≤ hi). */
    static int signedWidth(long lo, long hi) {
        int bits = 1;
        while (lo < -(1L << (bits - 1)) || hi > (1L << (bits - 1)) - 1) {
            bits++;
        }
        return bits;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
