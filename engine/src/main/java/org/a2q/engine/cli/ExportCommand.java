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
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "export", description = "Export a run's model: float ONNX, or a quantized model as an integer-model JSON document.")
final class ExportCommand implements Callable<Integer> {
    static final List<String> SUPPORTED = List.of("onnx", "int-json", "golden");
    static final List<String> PLANNED = List.of("qonnx", "qcdq");

    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "Run directory, model file (.a2q) or .onnx model.")
    Path run;

    @Option(names = "--format", defaultValue = "onnx", description = "onnx (float model); int-json (quantized model: integer weights, scales, accumulator widths and the graph, see engine/docs/integer-model.md); golden (input codes, accumulators, output codes and logits for test images).")
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
            String why = PLANNED.contains(f) ? "export format '" + format + "' is not yet supported"
                    : "unknown export format '" + format + "'";
            throw new EngineException(why + "; supported: " + String.join(", ", SUPPORTED)
                    + " (planned: " + String.join(", ", PLANNED) + ")");
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
            default -> {
                OnnxExporter.write(g, out);
                w.printf(Locale.ROOT, "wrote %s (float ONNX, opset %d, %,d parameters)%n", out, OnnxExporter.OPSET,
                        g.parameterCount());
            }
        }
        return 0;
    }
}
