package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.a2q.engine.quant.QuantReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", description = "Per-layer and per-channel accumulator report of a quantized run.")
final class ReportCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Run directory or model file.") Path run;
    @Option(names = "--channels", description = "Also list every output channel.") boolean channels;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        List<QuantReport.LayerReport> report = QuantReport.of(ModelSource.load(run).graph());
        if (report.isEmpty()) {
            w.println("this run is not quantized; use 'a2q quantize' or 'a2q train --method ...'");
            return 0;
        }
        printSummary(w, report);
        if (channels) {
            for (QuantReport.LayerReport l : report) {
                w.printf(Locale.ROOT, "%n%s (%s, M=%d, N=%d %s, P=%d, T=%.4f, budget %d)%n", l.name(), l.method(),
                        l.weightBits(), l.inputBits(), l.inputSigned() ? "signed" : "unsigned", l.accBits(), l.bound(), l.budget());
                w.printf(Locale.ROOT, "%7s %7s %7s %7s %7s %8s %8s %4s %4s %5s %5s %5s%n", "channel", "|q|1", "Pos", "Neg",
                        "util", "clamped", "sparsity", "dt", "a2q", "a2q+", "a2q+s", "exact");
                for (QuantReport.Channel c : l.channels()) {
                    w.printf(Locale.ROOT, "%7d %7d %7d %7d %7.3f %8s %7.1f%% %4d %4d %5d %5d %5d%n", c.channel(), c.l1(), c.pos(),
                            c.neg(), c.utilisation(), c.normClamped() ? "yes" : "", c.sparsity() * 100, c.widths().dataType(),
                            c.widths().a2q(), c.widths().a2qPlusNaive(), c.widths().a2qPlusSafe(), c.widths().exact());
                }
            }
        }
        return 0;
    }

    /** One line per layer: method, bits, budget use and the widths every rule asks for. */
    static void printSummary(PrintWriter w, List<QuantReport.LayerReport> report) {
        w.printf(Locale.ROOT, "%-10s %-5s %2s %2s %-3s %3s %6s %9s %7s %9s %8s | %4s %4s %5s %6s %5s %s%n", "layer", "meth",
                "M", "N", "sgn", "P", "K", "T", "budget", "mean util", "sparsity", "dt", "a2q", "a2q+", "a2q+s", "exact",
                "clamped");
        for (QuantReport.LayerReport l : report) {
            w.printf(Locale.ROOT, "%-10s %-5s %2d %2d %-3s %3d %6d %9.3f %7d %9.3f %7.1f%% | %4d %4d %5d %6d %5d %d/%d%s%n",
                    l.name(), l.method(), l.weightBits(), l.inputBits(), l.inputSigned() ? "s" : "u", l.accBits(),
                    l.dotProductLength(), l.bound(), l.budget(), l.meanUtilisation(), l.sparsity() * 100,
                    l.widths().dataType(), l.widths().a2q(), l.widths().a2qPlusNaive(), l.widths().a2qPlusSafe(),
                    l.widths().exact(), l.clampedChannels(), l.channels().size(),
                    l.zeroBudget() ? "  WARNING: budget < 1, every weight is zero" : "");
        }
        w.println("widths: dt = data-type bound, a2q = ‖q‖₁ rule, a2q+ = naive zero-sum rule, a2q+s = max(Pos,Neg) rule, "
                + "exact = two's-complement worst case");
    }
}
