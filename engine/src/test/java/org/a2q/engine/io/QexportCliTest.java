package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import onnx.Onnx;
import org.a2q.engine.io.export.IntegerModelDocument;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `a2q export` on a saved quantized run, every quantized format. */
class QexportCliTest {
    @TempDir Path dir;

    @Test
    void everyQuantizedFormatFromASavedRun() throws Exception {
        Graph g = QuantFixtures.lenetA2qPlus();
        Path runDir = dir.resolve("run");
        RunFile.save(runDir.resolve(RunFile.MODEL_FILE), g, null, 1, null,
                Map.of(Quantization.SECTION, Quantization.section(g, QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12))));

        Path json = dir.resolve("m.int.json");
        org.a2q.engine.cli.CliRun r = OnnxCliTest.run("export", runDir.toString(), "--format", "int-json", "--out", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("5 conv/linear layers"), r.out());
        assertEquals(12, IntegerModelDocument.read(json).layer("fc2").accBits());

        Path golden = dir.resolve("golden.json");
        r = OnnxCliTest.run("export", runDir.toString(), "--format", "golden", "--golden", "2",
                "--data", org.a2q.engine.TestData.sampleDir().toString(), "--out", golden.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, new ObjectMapper().readTree(golden.toFile()).get("cases").size());

        Path qcdq = dir.resolve("m.qcdq.onnx");
        r = OnnxCliTest.run("export", runDir.toString(), "--format", "qcdq", "--out", qcdq.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Onnx.ModelProto.parseFrom(Files.readAllBytes(qcdq)).getGraph().getNodeList().stream()
                .anyMatch(n -> n.getOpType().equals("DequantizeLinear")));

        Path qonnx = dir.resolve("m.qonnx.onnx");
        r = OnnxCliTest.run("export", runDir.toString(), "--format", "qonnx", "--out", qonnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("warning (FINN): Quant 'input.quant.quant_node'"), r.out());
        assertTrue(Onnx.ModelProto.parseFrom(Files.readAllBytes(qonnx)).getMetadataPropsList().stream()
                .anyMatch(e -> e.getKey().equals("a2q.conv2.acc_bits") && e.getValue().equals("12")));
    }
}
