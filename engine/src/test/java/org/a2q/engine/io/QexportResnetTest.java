package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.a2q.engine.TestData;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.export.IntegerModelDocument;
import org.a2q.engine.io.export.IntegerModelJson;
import org.a2q.engine.io.export.IntegerModelRunner;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The quantized exports on a graph with batch-norm, residual adds and global average pooling. */
class QexportResnetTest {
    @Test
    void resnetExportsRunLikeTheEngine() throws Exception {
        Graph g = Quantization.apply(ModelTemplates.create("resnet", 2), QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12),
                TestData.sample().train(), 2);
        INDArray x = OnnxTestSupport.images(32);
        IntegerModel im = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        double[][] ref = im.forward(x, AccumulatorMode.EXACT, null);
        IntegerModelRunner runner = new IntegerModelRunner(IntegerModelDocument.parse(
                new ObjectMapper().valueToTree(IntegerModelJson.toDocument(g)), "doc"));
        double maxDiff = 0;
        int agree = 0;
        int n = (int) x.size(0);
        int[] engineClass = OnnxTestSupport.argmax(toFloat(ref));
        for (int b = 0; b < n; b++) {
            float[] out = runner.run(x.get(NDArrayIndex.interval(b, b + 1)).dup('c').data().asFloat()).output();
            for (int k = 0; k < out.length; k++) {
                maxDiff = Math.max(maxDiff, Math.abs(out[k] - ref[b][k]));
            }
            agree += OnnxTestSupport.argmax(new float[][] {out})[0] == engineClass[b] ? 1 : 0;
        }
        System.out.printf("resnet: document runner vs IntegerModel max |diff| %.3g, argmax agree %d/%d%n", maxDiff, agree, n);
        float[][] ort = OnnxTestSupport.ort(QuantizedOnnxExporter.toModel(g, QuantizedOnnxExporter.Style.QCDQ)
                .model().toByteArray(), x);
        float[][] fq = OnnxTestSupport.rows(g.forward(x, false));
        System.out.printf("resnet: QCDQ vs engine max |diff| %.3g, argmax agree %d/%d%n",
                OnnxTestSupport.maxAbsDiff(fq, ort), agreeCount(fq, ort), n);
        assertTrue(agree >= n - 1);
        assertTrue(agreeCount(fq, ort) >= n - 1);
        assertEquals(1, QuantizedOnnxExporter.toModel(g, QuantizedOnnxExporter.Style.QONNX).warnings().stream()
                .filter(w -> w.contains("graph input")).count());
    }

    private static int agreeCount(float[][] a, float[][] b) {
        int[] x = OnnxTestSupport.argmax(a);
        int[] y = OnnxTestSupport.argmax(b);
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            n += x[i] == y[i] ? 1 : 0;
        }
        return n;
    }

    private static float[][] toFloat(double[][] d) {
        float[][] f = new float[d.length][d[0].length];
        for (int i = 0; i < d.length; i++) {
            for (int j = 0; j < d[i].length; j++) {
                f[i][j] = (float) d[i][j];
            }
        }
        return f;
    }
}
