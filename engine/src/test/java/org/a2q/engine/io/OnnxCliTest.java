package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.a2q.engine.TestData;
import org.a2q.engine.cli.CliRun;
import org.a2q.engine.io.onnx.OnnxImporter;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The command line: export a run to ONNX, and use an .onnx file wherever a model is expected. */
class OnnxCliTest {
    @TempDir Path dir;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void exportRunToOnnxAndRefuseQuantizedFormatsForAFloatModel() throws Exception {
        Graph g = ModelTemplates.create("lenet", 4);
        Path runDir = dir.resolve("run");
        RunFile.save(runDir.resolve(RunFile.MODEL_FILE), g, null, 0, null, null);
        Path onnx = dir.resolve("lenet.onnx");
        CliRun r = run("export", runDir.toString(), "--format", "onnx", "--out", onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote") && Files.size(onnx) > 1000, r.out());
        INDArray x = OnnxTestSupport.images(8);
        assertEquals(g.forward(x, false).dup(), OnnxImporter.load(onnx).forward(x, false));

        // the quantized formats need a quantized model and say so
        for (String f : new String[] {"qonnx", "qcdq", "int-json", "golden"}) {
            CliRun bad = run("export", runDir.toString(), "--format", f, "--data", org.a2q.engine.TestData.sampleDir().toString(),
                    "--out", dir.resolve("x").toString());
            assertEquals(1, bad.code());
            assertTrue(bad.err().contains("is not quantized"), bad.err());
        }
        CliRun unknown = run("export", runDir.toString(), "--format", "tflite", "--out", dir.resolve("x").toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown export format 'tflite'; supported: onnx, int-json, golden, qcdq, qonnx"),
                unknown.err());
    }

    @Test
    void infoAndTrainAcceptAnOnnxModel() throws Exception {
        Path f = dir.resolve("resnet.onnx");
        Files.write(f, OnnxTestSupport.fixture("resnet.onnx"));
        CliRun info = run("info", "--model", f.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("block.bn1") && info.out().contains("batchnorm"), info.out());

        Path lenet = dir.resolve("lenet.onnx");
        Files.write(lenet, OnnxTestSupport.fixture("lenet.onnx"));
        Path out = dir.resolve("trained");
        CliRun train = run("train", "--model", lenet.toString(), "--epochs", "1", "--steps-per-epoch", "5",
                "--data", TestData.sampleDir().toString(), "--out", out.toString());
        assertEquals(0, train.code(), train.err());
        assertTrue(Files.exists(out.resolve(RunFile.MODEL_FILE)));
        CliRun from = run("train", "--from", lenet.toString(), "--epochs", "1", "--steps-per-epoch", "2",
                "--data", TestData.sampleDir().toString());
        assertEquals(0, from.code(), from.err());

        // A run of a model with input normalisation saves and reloads its ScaleShift layers. (Saved
        // directly: training it would need Conv2d's stride-2 backward, which fails in this ND4J build.)
        Graph norm = OnnxImporter.read("normalized.onnx", OnnxTestSupport.fixture("normalized.onnx")).graph();
        Path normRun = dir.resolve("normrun");
        RunFile.save(normRun.resolve(RunFile.MODEL_FILE), norm, null, 0, null, null);
        Graph reloaded = RunFile.load(normRun.resolve(RunFile.MODEL_FILE), null).graph();
        assertEquals(2, reloaded.nodes().stream().filter(n -> n.layer().type().equals("scaleshift")).count());
        INDArray x = OnnxTestSupport.images(4);
        assertEquals(norm.forward(x, false).dup(), reloaded.forward(x, false));
        CliRun export = run("export", normRun.toString(), "--out", dir.resolve("n2.onnx").toString());
        assertEquals(0, export.code(), export.err());

        CliRun missing = run("info", "--model", dir.resolve("nope.onnx").toString());
        assertEquals(1, missing.code());
    }
}
