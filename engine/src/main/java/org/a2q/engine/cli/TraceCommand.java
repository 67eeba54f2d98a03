package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AdversarialInput;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.MatVecEngine;
import org.a2q.engine.hw.TraceExport;
import org.a2q.engine.hw.TracePixels;
import org.a2q.engine.hw.TraceStep;
import org.a2q.engine.hw.WorstCase;
import org.a2q.engine.hw.LaneOp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "trace", description = "One output channel's accumulation, step by step, on a test image or on the "
        + "channel's adversarial (worst-case) input.")
final class TraceCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Run directory or model file of a quantized model.") Path run;
    @Option(names = "--layer", required = true, description = "Conv/linear layer name, e.g. conv2.") String layer;
    @Option(names = "--channel", required = true, description = "Output channel.") int channel;
    @Option(names = "--input", defaultValue = "adversarial", description = "'adversarial', 'adversarial-min', or the "
            + "index of a test image (default: ${DEFAULT-VALUE}).") String input;
    @Option(names = "--pixel", description = "Output pixel of a conv for an image input (default: the pixel whose "
            + "partial sums reach furthest).") Integer pixel;
    @Option(names = "--acc-bits", description = "Accumulator width P for hidden layers (default: as trained).")
    Integer accBits;
    @Option(names = "--all-layers", description = "Apply --acc-bits to the first and last layers too.")
    boolean allLayers;
    @Option(names = "--overflow", defaultValue = "wrap", description = "exact, wrap or saturate (default: ${DEFAULT-VALUE}).")
    String overflow;
    @Option(names = "--pe", defaultValue = "1") int pe;
    @Option(names = "--simd", defaultValue = "1") int simd;
    @Option(names = "--data", description = "Directory with IDX files (default: the bundled sample).") Path data;
    @Option(names = "--csv", description = "Also write the trace as CSV.") Path csv;
    @Option(names = "--json", description = "Also write the trace as JSON.") Path json;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        AccumulatorMode mode = SimulateCommand.parseMode(overflow);
        IntegerModel m = IntegerModel.compile(ModelSource.load(run).graph(), SimulateCommand.policy(accBits, allLayers),
                new Folding(pe, simd));
        IntegerLayer l = m.layer(layer);
        if (channel < 0 || channel >= l.outputChannels()) {
            throw new EngineException("layer '" + layer + "' has channels 0.." + (l.outputChannels() - 1) + ", not " + channel);
        }
        MatVecEngine engine = l.engine(mode);
        MacTrace t;
        String what;
        String in = input.toLowerCase(Locale.ROOT);
        if (in.equals("adversarial") || in.equals("adversarial-max")) {
            t = AdversarialInput.maximizingTrace(engine, channel);
            what = "adversarial input (x_max where q > 0, x_min where q < 0)";
        } else if (in.equals("adversarial-min")) {
            t = AdversarialInput.minimizingTrace(engine, channel);
            what = "adversarial input (x_min where q > 0, x_max where q < 0)";
        } else {
            int index;
            try {
                index = Integer.parseInt(input);
            } catch (NumberFormatException e) {
                throw new EngineException("--input must be 'adversarial', 'adversarial-min' or a test image index, got "
                        + input);
            }
            DatasetSplit split = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData());
            if (index < 0 || index >= split.test().size()) {
                throw new EngineException("test image " + index + " does not exist; the test set has 0.."
                        + (split.test().size() - 1));
            }
            var image = new Batcher(split.test(), 1).fill(new int[] {index}, 0, 1).features();
            int[][] patches = m.layerInput(layer, image, mode);
            int px = pixel != null ? pixel : TracePixels.furthest(engine, channel, patches);
            if (px < 0 || px >= patches.length) {
                throw new EngineException("layer '" + layer + "' has output pixels 0.." + (patches.length - 1) + ", not " + px);
            }
            t = engine.trace(channel, patches[px], px);
            what = "test image " + index + " (label " + split.test().label(index) + "), output pixel " + px
                    + (l.isConv() ? " (row " + px / l.outW() + ", col " + px % l.outW() + ")" : "");
        }
        WorstCase wc = engine.worstCase(channel);
        w.printf(Locale.ROOT, "%s channel %d, %s, K=%d, inputs %s, P=%d, %s, PE=%d SIMD=%d (PE %d)%n", l.name(), channel,
                l.method(), l.dotLength(), l.format().finnName(), l.accBits(), mode, t.folding().pe(), t.folding().simd(),
                t.pe());
        w.printf(Locale.ROOT, "input: %s%n", what);
        w.printf(Locale.ROOT, "channel worst case [%d, %d] needs %d bits; Pos=%d Neg=%d%n", wc.lo(), wc.hi(),
                wc.exactBits(), wc.positiveSum(), wc.negativeSum());
        int bitsWidth = Math.max(8, t.accBits());
        w.printf(Locale.ROOT, "%5s %8s %-24s %10s %12s %12s %-" + bitsWidth + "s %s%n", "step", "cycle", "w·x (lanes)",
                "lane sum", "exact psum", "register", "register bits", "");
        for (TraceStep s : t.steps()) {
            StringBuilder lanes = new StringBuilder();
            for (LaneOp op : s.lanes()) {
                if (lanes.length() > 0) {
                    lanes.append(' ');
                }
                lanes.append(op.weight()).append('·').append(op.input());
            }
            String ls = lanes.length() > 24 ? lanes.substring(0, 21) + "..." : lanes.toString();
            w.printf(Locale.ROOT, "%5d %8d %-24s %10d %12d %12d %-" + bitsWidth + "s %s%n", s.step(),
                    s.cycle(), ls, s.laneSum(), s.exactPartialSum(), s.register(),
                    mode == AccumulatorMode.EXACT ? "" : s.registerBits(), s.overflow() ? "OVERFLOW" : "");
        }
        w.printf(Locale.ROOT, "exact result %d, register %d%s; exact partial sums needed %d bits; %s%n", t.exactResult(),
                t.result(), t.resultWrong() ? " (WRONG)" : "", t.exactBitsNeeded(),
                t.overflowed() ? "first overflow at step " + t.firstOverflowStep() : "no overflow");
        if (csv != null) {
            TraceExport.writeCsv(csv, t);
            w.println("wrote " + csv);
        }
        if (json != null) {
            TraceExport.writeJson(json, t);
            w.println("wrote " + json);
        }
        return 0;
    }
}
