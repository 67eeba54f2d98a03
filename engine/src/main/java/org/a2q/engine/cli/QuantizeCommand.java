package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quantize", description = "Quantize a float model (initialise and calibrate, no training) and save it as a run.")
final class QuantizeCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin QuantOptions quant;
    @Spec CommandSpec spec;

    @Option(names = "--model", description = "Built-in model (used when --from is not given).", defaultValue = "lenet")
    String model;
    @Option(names = "--from", description = "Run directory or model file with the float weights.") Path from;
    @Option(names = "--data", description = "IDX directory for calibration and evaluation (default: bundled sample).") Path data;
    @Option(names = "--out", required = true, description = "Run directory to write.") Path out;

    @Override
    public Integer call() {
        common.apply();
        if (quant.method == null) {
            throw new EngineException("quantize needs --method (ptq, qat, a2q or a2q+)");
        }
        PrintWriter w = spec.commandLine().getOut();
        DatasetSplit split = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData());
        Graph g = from != null ? ModelSource.load(from).graph() : ModelSource.fresh(model, 0);
        QuantConfig cfg = quant.config();
        Graph q = Quantization.apply(g, cfg, split.train(), quant.calibrationBatches);
        List<QuantReport.LayerReport> report = QuantReport.of(q);
        ReportCommand.printSummary(w, report);
        Evaluation.Result r = Evaluation.evaluate(q, split.test(), 256);
        w.printf(java.util.Locale.ROOT, "test accuracy after quantization (no training): %.2f%%%n", r.accuracy() * 100);
        RunFile.save(out.resolve(RunFile.MODEL_FILE), q, null, 0, List.of(),
                Map.of(Quantization.SECTION, Quantization.section(q, cfg)));
        w.println("saved " + out.resolve(RunFile.MODEL_FILE));
        return 0;
    }
}
