package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.a2q.engine.io.onnx.OnnxExporter;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Clip;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.GlobalAvgPool;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Identity;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.ReLU;
import org.a2q.engine.nn.Reshape;
import org.a2q.engine.quant.QuantConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Engine graphs exported as float ONNX run identically in onnxruntime and import back bit for bit. */
class OnnxExportTest {
    @TempDir Path dir;

    /** Every exportable op in one graph, BatchNorm with non-trivial statistics. */
    static Graph allOps() {
        SplittableRandom rng = new SplittableRandom(11);
        Graph.Builder b = Graph.builder(1, 28, 28)
                .add("conv1", new Conv2d("conv1", 1, 4, 3, 3, 1, 1, 1, 1, true, rng))
                .add("bn1", new BatchNorm2d("bn1", 4, 1e-5, 0.1))
                .add("relu1", new ReLU())
                .add("pool1", new Pool2d(Pool2d.Kind.MAX, 2, 2, 2, 2, 0, 0, false))
                .add("conv2", new Conv2d("conv2", 4, 4, 3, 3, 1, 1, 1, 1, false, rng))
                .add("clip", new Clip(-0.5, 0.75))
                .add("res", new org.a2q.engine.nn.Add(), "clip", "pool1")
                .add("id", new Identity())
                .add("avg", new Pool2d(Pool2d.Kind.AVG, 3, 3, 2, 2, 1, 1, false))
                .add("avg2", new Pool2d(Pool2d.Kind.AVG, 2, 2, 1, 1, 1, 1, true))
                .add("gap", new GlobalAvgPool())
                .add("reshape", new Reshape(4))
                .add("drop", new Dropout(0.3))
                .add("fc", new Linear("fc", 4, 10, true, rng));
        b.add("flat_branch", Reshape.flatten(), "pool1");
        b.add("fc_branch", new Linear("fc_branch", 4 * 14 * 14, 10, false, rng), "flat_branch");
        b.add("sum", new org.a2q.engine.nn.Add(), "fc", "fc_branch");
        Graph g = b.build("sum");
        BatchNorm2d bn = (BatchNorm2d) g.node("bn1").layer();
        bn.runningMean().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(0.1f, -0.2f, 0.3f, 0.05f));
        bn.runningVar().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(0.5f, 1.5f, 2.0f, 0.8f));
        bn.gamma().value().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(1.2f, 0.7f, 1.0f, 0.9f));
        bn.beta().value().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(0.1f, 0.0f, -0.1f, 0.2f));
        return g;
    }

    static Graph graph(String name) {
        return name.equals("all-ops") ? allOps() : ModelTemplates.create(name, 5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lenet", "resnet", "all-ops"})
    void exportRunsInOnnxruntimeAndImportsBackIdentically(String name) throws Exception {
        Graph g = graph(name);
        Path f = dir.resolve(name + ".onnx");
        OnnxExporter.write(g, f);
        byte[] bytes = Files.readAllBytes(f);
        INDArray x = OnnxTestSupport.images(32);
        float[][] engine = OnnxTestSupport.rows(g.forward(x, false));
        float[][] ref = OnnxTestSupport.ort(bytes, x);
        double diff = OnnxTestSupport.maxAbsDiff(engine, ref);
        System.out.printf(Locale.ROOT, "export %s: %,d bytes, max |engine - onnxruntime| = %.3g%n", name, bytes.length, diff);
        assertTrue(diff < 1e-4, name + ": max |diff| " + diff);
        assertArrayEquals(OnnxTestSupport.argmax(engine), OnnxTestSupport.argmax(ref));

        Graph back = OnnxImporter.load(f);
        assertEquals(g.nodes().stream().map(n -> n.layer().type()).toList(),
                back.nodes().stream().map(n -> n.layer().type()).toList());
        List<Param> p = g.params();
        List<Param> q = back.params();
        assertEquals(p.size(), q.size());
        for (int i = 0; i < p.size(); i++) {
            assertArrayEquals(p.get(i).value().data().asFloat(), q.get(i).value().data().asFloat(), 0f,
                    "parameter " + p.get(i).name() + " vs " + q.get(i).name());
        }
        float[][] again = OnnxTestSupport.rows(back.forward(x, false));
        for (int i = 0; i < again.length; i++) {
            assertArrayEquals(engine[i], again[i], 0f, "engine → ONNX → engine logits differ in row " + i);
        }
    }

    @Test
    void exportedModelHasDynamicBatchAndRawFloatInitializers() throws Exception {
        Onnx.ModelProto m = OnnxExporter.toModel(ModelTemplates.create("lenet", 1));
        assertEquals(13, m.getOpsetImport(0).getVersion());
        Onnx.ValueInfoProto in = m.getGraph().getInput(0);
        assertEquals("input", in.getName());
        assertEquals("batch", in.getType().getTensorType().getShape().getDim(0).getDimParam());
        for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
            assertTrue(t.getFloatDataCount() == 0 && !t.getRawData().isEmpty(), t.getName());
        }
        INDArray x = OnnxTestSupport.images(3); // a batch size never seen at export time
        assertEquals(3, OnnxTestSupport.ort(m.toByteArray(), x).length);
    }

    @Test
    void importedNormalisationExportsAsMulAddAndMatchesOnnxruntime() throws Exception {
        Graph g = OnnxImporter.read("normalized.onnx", OnnxTestSupport.fixture("normalized.onnx")).graph();
        Onnx.ModelProto m = OnnxExporter.toModel(g);
        INDArray x = OnnxTestSupport.images(16);
        double diff = OnnxTestSupport.maxAbsDiff(OnnxTestSupport.rows(g.forward(x, false)), OnnxTestSupport.ort(m.toByteArray(), x));
        assertTrue(diff < 1e-5, "max |diff| " + diff);
    }

    @Test
    void quantizedModelIsRefusedWithAClearMessage() {
        Graph g = ModelTemplates.create("mlp", 1);
        Graph q = org.a2q.engine.quant.Quantization.apply(g, QuantConfig.of(org.a2q.engine.quant.QuantMethod.A2Q, 4, 4, 16), org.a2q.engine.TestData.sample().train(), 1);
        EngineException e = assertThrows(EngineException.class, () -> OnnxExporter.toModel(q));
        assertTrue(e.getMessage().contains("float ONNX export takes float models only"), e.getMessage());
    }

    @Test
    void failedWriteLeavesThePreviousFile() throws Exception {
        Path f = dir.resolve("m.onnx");
        Files.writeString(f, "previous");
        Graph g = ModelTemplates.create("mlp", 1);
        Graph q = org.a2q.engine.quant.Quantization.apply(g, QuantConfig.of(org.a2q.engine.quant.QuantMethod.A2Q, 4, 4, 16), org.a2q.engine.TestData.sample().train(), 1);
        assertThrows(EngineException.class, () -> OnnxExporter.write(q, f));
        assertEquals("previous", Files.readString(f));
        OnnxExporter.write(ModelTemplates.create("mlp", 2), f);
        assertTrue(Files.size(f) > 1000);
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp files left behind");
        }
    }
}
