package org.a2q.engine.sweep;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.a2q.engine.EngineRuntime;
import org.a2q.engine.Version;

/** report.md: everything needed to cite or reproduce a sweep, next to its chart and table. */
public final class SweepReport {
    private SweepReport() { }

    public static String markdown(SweepSettings s, Sweep.Outcome o) {
        StringBuilder b = new StringBuilder();
        b.append("# Sweep: ").append(s.model()).append(", W").append(s.weightBits()).append('A').append(s.actBits())
                .append(", P ∈ ").append(s.accBits()).append("\n\n");
        if (!o.complete()) {
            b.append("**Incomplete:** ").append(o.results().size()).append(" of ").append(o.planned())
                    .append(" point(s) finished").append(o.cancelled() ? " (cancelled)" : "")
                    .append(". Rerun the same command to finish the rest.\n\n");
        }
        for (Map.Entry<String, String> f : o.failed().entrySet()) {
            b.append("- point `").append(f.getKey()).append("` failed: ").append(f.getValue()).append('\n');
        }
        if (!o.failed().isEmpty()) {
            b.append('\n');
        }
        b.append("![accuracy vs accumulator width](").append(Sweep.CHART_FILE).append(")\n\n");
        b.append("## Results\n\n");
        b.append("| method | M | N | P | init | accuracy | exact width needed | channels at risk | wrap overflows | "
                + "accuracy with wrapping P-bit registers | sparsity | mean budget utilisation | train s | run |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (SweepTable.Row r : o.rows()) {
            String wrapAcc = Double.isNaN(r.wrapAccuracy()) ? (r.wrapOverflows() == 0 ? "= accuracy" : "—")
                    : String.format(Locale.ROOT, "%.2f%%", 100 * r.wrapAccuracy());
            b.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %.2f%% | %d | %d | %s | %s | %.3f | %.3f | %.1f | `%s` |%n",
                    r.method(), r.weightBits(), r.actBits(), r.accBits(), r.init(), 100 * r.accuracy(), r.exactWidthNeeded(),
                    r.channelsAtRisk(), r.wrapOverflows() < 0 ? "—" : String.format(Locale.ROOT, "%,d", r.wrapOverflows()),
                    wrapAcc, r.sparsity(), r.meanBudgetUtilisation(), r.trainSeconds(), r.run()));
        }
        b.append("\nThe same rows are in [").append(Sweep.CSV_FILE).append("](").append(Sweep.CSV_FILE).append(").\n\n");
        b.append("Columns, over the hidden conv/linear layers (the first and last layer are 8-bit and unconstrained):\n\n");
        b.append("- *exact width needed*: the largest exact worst-case accumulator width any channel's integer weights need.\n");
        b.append("- *channels at risk*: channels whose exact worst-case width exceeds P. 0 means no input can overflow a "
                + "P-bit accumulator; a positive count means some input may (it is not a measured overflow count).\n");
        b.append("- *wrap overflows*: measured — the model run bit-exactly with wrapping P-bit accumulators in its hidden "
                + "layers on the first " + PointRunner.WRAP_CHECK_IMAGES + " test images; dot products whose wrapped "
                + "result differs from the exact one, and the accuracy with those registers. Where no check ran and "
                + "P is at least the exact width needed, the count is 0 by proof (\"= accuracy\").\n");
        b.append("- *mean budget utilisation*: mean over channels of ‖q‖₁ / ⌊T⌋ at the row's P, with T the method's own "
                + "bound; for qat, T is A2Q's bound (above 1: the weights do not fit that budget).\n");
        b.append("- qat is trained once (P does not enter its training) and judged against every P; the chart draws it "
                + "at the width its weights need.\n\n");
        b.append("## Configuration\n\n");
        b.append("| setting | value |\n|---|---|\n");
        row(b, "model", s.model());
        row(b, "float run (--from)", s.from().toAbsolutePath().normalize().toString());
        row(b, "data", s.data().toAbsolutePath().normalize().toString());
        row(b, "methods", String.join(", ", s.methods()));
        row(b, "accumulator widths P", s.accBits().toString());
        row(b, "weight bits M (hidden layers)", Integer.toString(s.weightBits()));
        row(b, "activation bits N", Integer.toString(s.actBits()));
        row(b, "init", s.init());
        row(b, "epochs", Integer.toString(s.epochs()));
        row(b, "steps per epoch", s.stepsPerEpoch() == 0 ? "all" : Integer.toString(s.stepsPerEpoch()));
        row(b, "batch", Integer.toString(s.batch()));
        row(b, "optimizer", "Adam, cosine schedule, lr " + s.lr());
        row(b, "seed", Long.toString(s.seed()));
        row(b, "calibration batches", Integer.toString(s.calibrationBatches()));
        row(b, "parallel points", Integer.toString(s.jobs()));
        b.append("\n## Software and machine\n\n");
        b.append("- ").append(Version.describe()).append('\n');
        b.append("- ").append(EngineRuntime.describe()).append('\n');
        b.append("- ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(" (").append(System.getProperty("os.arch")).append("), ")
                .append(Runtime.getRuntime().availableProcessors()).append(" processor(s)\n");
        b.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        b.append("- points trained by this run: ").append(o.computed()).append(", reused: ").append(o.skipped()).append("\n\n");
        b.append("## Command\n\n```\n").append(s.commandLine()).append("\n```\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n");
    }
}
