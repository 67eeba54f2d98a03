package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.io.export.GoldenVectors;
import org.a2q.engine.io.export.IntegerModelJson;
import org.a2q.engine.io.onnx.OnnxExporter;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "export", description = "Export a run's model: float ONNX; a quantized model as an integer-model "
        + "JSON document, golden vectors, QCDQ ONNX or QONNX.")
final class ExportCommand implements Callable<Integer> {
    static final List<String> SUPPORTED = List.of("onnx", "int-json", "golden", "qcdq", "qonnx");

    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "Run directory, model file (.a2q) or .onnx model.")
    Path run;

    @Option(names = "--format", defaultValue = "onnx", description = "onnx (float model); int-json (quantized model: "
            + "integer weights, scales, accumulator widths and the graph, see engine/docs/integer-model.md); golden "
            + "(input codes, accumulators, output codes and logits for test images); "
            + "qcdq (standard ONNX with QuantizeLinear/Clip/DequantizeLinear); qonnx (QONNX Quant nodes for FINN).")
    String format;

    @Option(names = "--golden", defaultValue = "8", paramLabel = "N",
            description = "With --format golden: how many test images (the first N, in order; default 8).")
    int golden;

    @Option(names = "--data", description = "With --format golden: directory with IDX files (default: the bundled sample).")
    Path data;

    @Option(names = "--out", required = true, description = "File to write.")
    Path out;

    @Override
    public Integer call() {
        common.apply();
        String f = format.toLowerCase(Locale.ROOT);
        if (!SUPPORTED.contains(f)) {
            throw new EngineException("unknown export format '" + format + "'; supported: " + String.join(", ", SUPPORTED));
        }
        if (!Files.exists(run)) {
            throw new EngineException(run + ": no such run directory or model file");
        }
        Graph g = ModelSource.load(run).graph();
        PrintWriter w = spec.commandLine().getOut();
        switch (f) {
            case "int-json" -> {
                IntegerModelJson.write(g, out);
                w.printf(Locale.ROOT, "wrote %s (integer model, %s v%d, %d conv/linear layers)%n", out,
                        IntegerModelJson.FORMAT, IntegerModelJson.VERSION, QuantReport.of(g).size());
            }
            case "golden" -> {
                ImageDataset test = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData()).test();
                GoldenVectors.write(g, test, golden, out);
                w.printf(Locale.ROOT, "wrote %s (golden vectors for the first %d test images, checked against the "
                        + "integer pipeline)%n", out, golden);
            }
            case "qcdq", "qonnx" -> {
                QuantizedOnnxExporter.Style style = f.equals("qcdq") ? QuantizedOnnxExporter.Style.QCDQ
                        : QuantizedOnnxExporter.Style.QONNX;
                QuantizedOnnxExporter.Result r = QuantizedOnnxExporter.write(g, style, out);
                w.printf(Locale.ROOT, "wrote %s (%s, opset %d%s)%n", out,
                        f.equals("qcdq") ? "quantized ONNX, QuantizeLinear/Clip/DequantizeLinear"
                                : "QONNX, Quant nodes in " + QuantizedOnnxExporter.QONNX_DOMAIN,
                        QuantizedOnnxExporter.OPSET, f.equals("qonnx") ? ", accumulator widths in metadata_props" : "");
                for (String warning : r.warnings()) {
                    w.println("warning (FINN): " + warning);
                }
            }
            default -> {
                OnnxExporter.write(g, out);
                w.printf(Locale.ROOT, "wrote %s (float ONNX, opset %d, %,d parameters)%n", out, OnnxExporter.OPSET,
                        g.parameterCount());
            }
        }
        return 0;
    }
}
