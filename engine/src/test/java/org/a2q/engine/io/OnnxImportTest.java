package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.a2q.engine.io.onnx.ScaleShift;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.SoftmaxCrossEntropy;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** PyTorch-made fixtures imported into the engine agree with onnxruntime on real images. */
class OnnxImportTest {
    static final int N = 64;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.onnx", "lenet.onnx", "resnet.onnx", "normalized.onnx"})
    void engineMatchesOnnxruntimeOnFashionMnist(String fixture) throws Exception {
        byte[] bytes = OnnxTestSupport.fixture(fixture);
        OnnxImporter.Result r = OnnxImporter.read(fixture, bytes);
        INDArray x = OnnxTestSupport.images(N);
        float[][] engine = OnnxTestSupport.rows(r.graph().forward(x, false));
        float[][] ref = OnnxTestSupport.ort(bytes, x);
        // The MLP ends in Softmax, which the importer drops: compare probabilities there.
        boolean softmax = !r.notes().isEmpty();
        if (softmax) {
            engine = OnnxTestSupport.softmax(engine);
        }
        double diff = OnnxTestSupport.maxAbsDiff(engine, ref);
        System.out.printf(Locale.ROOT, "%s: opset %d, %d images, max |engine - onnxruntime| = %.3g%s%n", fixture,
                r.opset(), N, diff, softmax ? " (probabilities)" : " (logits)");
        assertEquals(N, ref.length);
        assertEquals(10, ref[0].length);
        assertTrue(diff < 1e-4, fixture + ": max |diff| " + diff);
        assertArrayEquals(OnnxTestSupport.argmax(ref), OnnxTestSupport.argmax(engine), fixture + ": argmax differs");
    }

    @Test
    void layersAreNamedAfterTheirWeightsAndKeepBatchNormAndNormalisation() {
        Graph mlp = OnnxImporter.read("mlp.onnx", OnnxTestSupport.fixture("mlp.onnx")).graph();
        assertTrue(mlp.node("fc1").layer() instanceof Linear);
        assertEquals(784, ((Linear) mlp.node("fc1").layer()).inFeatures());
        assertEquals("clip", mlp.nodes().stream().filter(n -> n.layer().type().equals("clip")).findFirst().orElseThrow()
                .layer().type());

        OnnxImporter.Result res = OnnxImporter.read("resnet.onnx", OnnxTestSupport.fixture("resnet.onnx"));
        List<String> names = res.graph().nodes().stream().map(Graph.Node::name).toList();
        for (String n : List.of("stem", "bn", "block.conv1", "block.bn1", "block.conv2", "block.bn2", "fc")) {
            assertTrue(names.contains(n), "missing " + n + " in " + names);
        }
        BatchNorm2d bn = (BatchNorm2d) res.graph().node("block.bn1").layer();
        assertEquals(8, bn.channels());
        assertTrue(bn.runningVar().minNumber().doubleValue() >= 0.5, "running variance came from the file");
        assertEquals(1, res.graph().nodes().stream().filter(n -> n.layer().type().equals("add")).count());

        Graph norm = OnnxImporter.read("normalized.onnx", OnnxTestSupport.fixture("normalized.onnx")).graph();
        List<ScaleShift> ss = norm.nodes().stream().filter(n -> n.layer() instanceof ScaleShift)
                .map(n -> (ScaleShift) n.layer()).toList();
        assertEquals(2, ss.size());
        assertEquals(-0.2860, ss.get(0).shift().getDouble(0), 1e-6);
        assertEquals(1 / 0.3530, ss.get(1).scale().getDouble(0), 1e-4);
        // MatMul + Add fused into one Linear named after the weight initializer.
        Linear head = (Linear) norm.node("head_weight").layer();
        assertEquals(676, head.inFeatures());
        assertTrue(head.bias() != null);
    }

    @Test
    void importedLeNetTrainsAndLossFalls() {
        Graph g = OnnxImporter.read("lenet.onnx", OnnxTestSupport.fixture("lenet.onnx")).graph();
        Batcher b = new Batcher(TestData.sample().train(), 32, DataType.FLOAT);
        Batch batch = b.inOrder().iterator().next();
        INDArray x = batch.features().dup();
        int[] labels = batch.labels().clone();
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        Optimizer opt = Optimizer.adam(0);
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 8; step++) {
            double l = loss.compute(g.forward(x, true), labels, labels.length);
            g.backward(loss.gradient());
            opt.step(g, 5e-3);
            if (step == 0) {
                first = l;
            }
            last = l;
        }
        System.out.printf(Locale.ROOT, "imported lenet: loss %.4f -> %.4f over 8 steps%n", first, last);
        assertTrue(Double.isFinite(last) && last < first * 0.9, "loss " + first + " -> " + last);
    }
}
