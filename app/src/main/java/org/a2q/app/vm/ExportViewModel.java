package org.a2q.app.vm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.FoldingConfig;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.TraceExport;
import org.a2q.engine.io.export.GoldenVectors;
import org.a2q.engine.io.export.IntegerModelJson;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.a2q.engine.nn.Graph;

/**
 * The hardware hand-off: what an FPGA/ASIC flow takes from the workbench. Each export is the same
 * engine call as the CLI's twin ({@code a2q export --format int-json|golden|qonnx|qcdq},
 * {@code simulate --folding-json}, {@code trace --csv/--json}), run on the worker; the engine writes
 * every file atomically, so a failed export never leaves half a file behind.
 */
public final class ExportViewModel {
    /** Test images in a golden-vector file, as {@code a2q export --format golden} writes by default. */
    public static final int GOLDEN_IMAGES = 8;

    private final SessionViewModel session;
    private final MacArrayViewModel mac;

    public ExportViewModel(SessionViewModel session, MacArrayViewModel mac) {
        this.session = session;
        this.mac = mac;
    }

    /** Integer weights, scales, accumulator widths and the graph as one JSON document. */
    public void exportIntegerModel(Path target) {
        Graph g = quantizedGraph("the integer model");
        if (g == null) {
            return;
        }
        Path file = SessionViewModel.withExtension(target, ".json");
        submit("Exporting the integer model", file, () -> IntegerModelJson.write(g, file), "integer model");
    }

    /** Input codes, accumulators, output codes and logits of the first test images, checked by the engine. */
    public void exportGoldenVectors(Path target) {
        Graph g = quantizedGraph("golden vectors");
        if (g == null) {
            return;
        }
        DatasetSplit d = session.data();
        if (d == null) {
            session.errors().report("No test images for golden vectors", "Golden vectors run test images through the "
                    + "integer model. Load the sample or an IDX folder in Data, then export again.");
            return;
        }
        Path file = SessionViewModel.withExtension(target, ".json");
        int n = Math.min(GOLDEN_IMAGES, d.test().size());
        submit("Exporting golden vectors", file, () -> GoldenVectors.write(g, d.test(), n, file),
                "golden vectors for the first " + n + " test images");
    }

    /** QONNX (Quant nodes, for FINN) or QCDQ (standard QuantizeLinear/Clip/DequantizeLinear). */
    public void exportOnnx(Path target, QuantizedOnnxExporter.Style style) {
        Graph g = quantizedGraph(style == QuantizedOnnxExporter.Style.QONNX ? "a QONNX model" : "a QCDQ model");
        if (g == null) {
            return;
        }
        Path file = SessionViewModel.withExtension(target, ".onnx");
        String title = "Exporting " + (style == QuantizedOnnxExporter.Style.QONNX ? "QONNX" : "QCDQ ONNX");
        session.runner().submit(title, false, p -> writing(file, () -> QuantizedOnnxExporter.write(g, style, file)),
                r -> session.runner().setOutcome("exported " + file.getFileName() + " (" + style
                        + (r.warnings().isEmpty() ? "" : "; FINN notes: " + String.join("; ", r.warnings())) + ")"));
    }

    /**
     * FINN's folding config: every conv/linear layer with the PE × SIMD the MAC array view asks for,
     * each layer taking the largest legal values not above them (as {@code simulate --pe --simd}).
     */
    public void exportFoldingConfig(Path target) {
        Graph g = quantizedGraph("a folding config");
        if (g == null) {
            return;
        }
        Path file = SessionViewModel.withExtension(target, ".json");
        Folding requested = new Folding(mac.peProperty().get(), mac.simdProperty().get());
        session.runner().submit("Exporting the folding config", false, p -> writing(file, () -> {
            List<FoldingConfig.Entry> entries =
                    FoldingConfig.entriesOf(IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED, requested));
            FoldingConfig.write(file, entries);
            return entries.size();
        }), n -> session.runner().setOutcome(String.format(Locale.ROOT, "exported %s (%d layers, PE ≤ %d, SIMD ≤ %d)",
                file.getFileName(), n, requested.pe(), requested.simd())));
    }

    /**
     * The shown simulation's two traces, wrap and saturate, each as CSV (one row per lane per
     * cycle) and JSON (the trace's own structure), into a folder.
     *
     * @return the four files, in the order written (empty when there is no trace to export)
     */
    public List<Path> exportTraces(Path dir) {
        MacArrayViewModel.Simulation s = mac.simulation();
        if (s == null) {
            session.errors().report("No trace to export", "Trace a channel in the MAC array view first (Trace), "
                    + "then export: the files hold the trace shown there.");
            return List.of();
        }
        String base = traceBaseName(s);
        List<Path> files = List.of(dir.resolve(base + "-wrap.csv"), dir.resolve(base + "-wrap.json"),
                dir.resolve(base + "-saturate.csv"), dir.resolve(base + "-saturate.json"));
        session.runner().submit("Exporting traces", false, p -> writing(dir, () -> {
            TraceExport.writeCsv(files.get(0), s.wrap());
            TraceExport.writeJson(files.get(1), s.wrap());
            TraceExport.writeCsv(files.get(2), s.saturate());
            TraceExport.writeJson(files.get(3), s.saturate());
            return files;
        }), f -> session.runner().setOutcome("exported " + base + "-{wrap,saturate}.{csv,json}"));
        return files;
    }

    /** "trace-conv2-ch0-adversarial-P10": layer, channel, input and width, so exports of several runs sit side by side. */
    public static String traceBaseName(MacArrayViewModel.Simulation s) {
        String input = switch (s.inputChoice()) {
            case ADVERSARIAL_MAX -> "adversarial";
            case ADVERSARIAL_MIN -> "adversarial-min";
            case TEST_IMAGE -> "image" + s.image() + "-px" + s.pixel();
        };
        return ("trace-" + s.layer() + "-ch" + s.channel() + "-" + input + "-P" + s.accBits())
                .replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private Graph quantizedGraph(String what) {
        Graph g = session.graph();
        if (g == null || !session.quantized()) {
            session.errors().report("Nothing to export yet", "Exporting " + what + " needs a quantized model. "
                    + "Quantize it in Bit widths (Apply), train it if you like, then export again.");
            return null;
        }
        return g;
    }

    private void submit(String title, Path file, Runnable write, String what) {
        session.runner().submit(title, false, p -> writing(file, () -> {
            write.run();
            return file;
        }), f -> session.runner().setOutcome("exported " + f.getFileName() + " (" + what + ")"));
    }

    /** A write that failed on the file system gets the missing half of its message: what to do. */
    private static <T> T writing(Path where, java.util.concurrent.Callable<T> write) throws Exception {
        try {
            return write.call();
        } catch (EngineException e) {
            if (e.getCause() instanceof IOException) {
                throw new EngineException(e.getMessage() + ". Check that " + where + " is in a folder you can write "
                        + "to and that the disk has room, or choose another place", e);
            }
            throw e;
        }
    }
}
