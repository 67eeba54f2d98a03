package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.a2q.engine.EngineException;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.PBitArithmetic;
import org.a2q.engine.hw.ChannelOverflow;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.hw.OverflowTally;
import org.a2q.engine.quant.AccumulatorWidths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "simulate", description = "Bit-exact integer inference with P-bit accumulators: overflows per layer, "
        + "accuracy, agreement with the float model, cycles and LUTs of the MAC array.")
final class SimulateCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Run directory or model file of a quantized model.") Path run;
    @Option(names = "--acc-bits", description = "Accumulator width P for every hidden conv/linear layer "
            + "(default: each A2Q/A2Q+ layer's own P, 32 for unconstrained layers).")
    Integer accBits;
    @Option(names = "--all-layers", description = "Apply --acc-bits to the first and last layers too.")
    boolean allLayers;
    @Option(names = "--overflow", defaultValue = "wrap", description = "Register behaviour: exact, wrap or saturate "
            + "(default: ${DEFAULT-VALUE}).")
    String overflow;
    @Option(names = "--data", description = "Directory with IDX files (default: the bundled sample).") Path data;
    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N test images (0: all).") int limit;
    @Option(names = "--pe", defaultValue = "1", description = "Processing elements per layer (largest divisor of "
            + "the layer's outputs not above it).") int pe;
    @Option(names = "--simd", defaultValue = "1", description = "SIMD lanes per PE (largest divisor of the "
            + "dot-product length not above it).") int simd;
    @Option(names = "--channels", description = "Also list the output channels that overflowed.") boolean channels;
    @Option(names = "--batch", defaultValue = "250") int batch;
    @Option(names = "--folding-json", description = "Also write the per-layer PE/SIMD folding as a FINN folding config JSON.")
    java.nio.file.Path foldingJson;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        AccumulatorMode mode = parseMode(overflow);
        AccumulatorPolicy policy = policy(accBits, allLayers);
        if (limit < 0 || batch < 1) {
            throw new EngineException("--limit must be ≥ 0 and --batch ≥ 1");
        }
        IntegerModel m = IntegerModel.compile(ModelSource.load(run).graph(), policy, new Folding(pe, simd));
        if (foldingJson != null) {
            org.a2q.engine.hw.FoldingConfig.write(foldingJson, org.a2q.engine.hw.FoldingConfig.entriesOf(m));
            w.println("wrote " + foldingJson);
        }
        DatasetSplit split = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData());
        // A short untimed pass of every run below first, so no timing includes compiling its loops.
        int warmUp = Math.min(4 * batch, limit > 0 ? limit : split.test().size());
        m.evaluate(split.test(), warmUp, mode, true, false, batch);
        for (AccumulatorMode each : AccumulatorMode.values()) {
            m.evaluate(split.test(), warmUp, each, false, false, batch);
        }
        IntegerModel.Result r = m.evaluate(split.test(), limit, mode, true, true, batch);
        // Every mode again without statistics (the fast path), timed: one call compares the three
        // registers' accuracy and speed. Statistics do not change any register, only the time.
        java.util.Map<AccumulatorMode, IntegerModel.Result> byMode = new java.util.EnumMap<>(AccumulatorMode.class);
        for (AccumulatorMode each : AccumulatorMode.values()) {
            byMode.put(each, m.evaluate(split.test(), limit, each, false, false, batch));
        }
        IntegerModel.Result exact = byMode.get(AccumulatorMode.EXACT);
        printTable(w, m, r);
        w.printf(Locale.ROOT, "%nimages %d, mode %s%n", r.images(), mode);
        w.printf(Locale.ROOT, "integer accuracy %.2f%% (%d/%d)%s%n", r.accuracy() * 100, r.correct(), r.images(),
                mode == AccumulatorMode.EXACT ? "" : String.format(Locale.ROOT, "; EXACT registers: %.2f%%",
                        exact.accuracy() * 100));
        w.printf(Locale.ROOT, "accuracy by register mode: EXACT %.2f%%, WRAP %.2f%%, SATURATE %.2f%%%n",
                byMode.get(AccumulatorMode.EXACT).accuracy() * 100, byMode.get(AccumulatorMode.WRAP).accuracy() * 100,
                byMode.get(AccumulatorMode.SATURATE).accuracy() * 100);
        w.printf(Locale.ROOT, "float (fake-quantized) accuracy %.2f%%; same class as the float model: %d/%d (%.2f%%)%n",
                r.floatAccuracy() * 100, r.agreeing(), r.images(), r.agreement() * 100);
        printSpeed(w, m, byMode, r);
        if (channels) {
            for (IntegerLayer l : m.layers()) {
                OverflowTally t = r.tallies().get(l.name());
                List<ChannelOverflow> bad = t.channels().stream().filter(c -> c.rangeExcursions() > 0).toList();
                if (bad.isEmpty()) {
                    continue;
                }
                w.printf(Locale.ROOT, "%n%s at P=%d: %d of %d channels overflowed%n", l.name(), l.accBits(), bad.size(),
                        l.outputChannels());
                w.printf(Locale.ROOT, "%7s %12s %12s %12s %12s %5s%n", "channel", "dot prods", "wrong", "excursions",
                        "max|psum|", "bits");
                for (ChannelOverflow c : bad) {
                    w.printf(Locale.ROOT, "%7d %12d %12d %12d %12d %5d%n", c.channel(), c.dotProducts(),
                            c.resultMismatches(), c.rangeExcursions(), c.maxAbsPartialSum(), c.bitsNeeded());
                }
            }
        }
        return 0;
    }

    static void printTable(PrintWriter w, IntegerModel m, IntegerModel.Result r) {
        w.printf(Locale.ROOT, "%-8s %-5s %-7s %3s %6s %-7s %12s %12s %10s %5s | %4s %4s %5s %5s | %10s %8s%n",
                "layer", "meth", "in", "P", "K", "PExSIMD", "wrong", "excursions", "max|psum|", "data",
                "dt", "a2q", "a2q+s", "exact", "cycles", "LUT");
        long cycles = 0;
        long luts = 0;
        for (IntegerLayer l : m.layers()) {
            OverflowTally t = r.tallies().get(l.name());
            long maxAbs = t.channels().stream().mapToLong(ChannelOverflow::maxAbsPartialSum).max().orElse(0);
            AccumulatorWidths wd = l.widths();
            long c = l.macArray().cycles();
            long lut = l.lutEstimate().total();
            cycles += c;
            luts += lut;
            w.printf(Locale.ROOT, "%-8s %-5s %-7s %3d %6d %-7s %12d %12d %10d %5d | %4d %4d %5d %5d | %10d %8d%n",
                    l.name(), l.method(), l.format().finnName(), l.accBits(), l.dotLength(),
                    l.folding().pe() + "x" + l.folding().simd(), t.totalMismatches(), t.totalExcursions(), maxAbs,
                    t.bitsNeeded(), wd.dataType(), wd.a2q(), wd.a2qPlusSafe(), wd.exact(), c, lut);
        }
        w.printf(Locale.ROOT, "%-8s %-96s %10d %8d%n", "total", "", cycles, luts);
        w.println("wrong = dot products whose register ended wrong; excursions = dot products with a partial sum outside "
                + "P bits; data = bits the data needed; dt/a2q/a2q+s/exact = widths the rules ask for; "
                + "cycles per image; LUT = FINN-R estimate at P");
    }

    /** Images/s and MACs/s of the integer model alone (not the float reference), per register mode. */
    static void printSpeed(PrintWriter w, IntegerModel m, java.util.Map<AccumulatorMode, IntegerModel.Result> fast,
                           IntegerModel.Result withStats) {
        int threads = org.a2q.engine.EngineRuntime.threads();
        w.printf(Locale.ROOT, "speed of the integer model (%,d MACs per image, %d thread%s):%n", m.macsPerImage(),
                threads, threads == 1 ? "" : "s");
        for (IntegerModel.Result x : fast.values()) {
            w.printf(Locale.ROOT, "  %-34s %,10.0f images/s %8.3f GMAC/s%n", x.mode(), x.imagesPerSecond(),
                    x.macsPerSecond() / 1e9);
        }
        w.printf(Locale.ROOT, "  %-34s %,10.0f images/s %8.3f GMAC/s%n", withStats.mode() + " with overflow statistics",
                withStats.imagesPerSecond(), withStats.macsPerSecond() / 1e9);
    }

    static AccumulatorMode parseMode(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "exact" -> AccumulatorMode.EXACT;
            case "wrap" -> AccumulatorMode.WRAP;
            case "saturate" -> AccumulatorMode.SATURATE;
            default -> throw new EngineException("--overflow must be exact, wrap or saturate, got " + s);
        };
    }

    static AccumulatorPolicy policy(Integer accBits, boolean allLayers) {
        if (accBits == null) {
            if (allLayers) {
                throw new EngineException("--all-layers needs --acc-bits");
            }
            return AccumulatorPolicy.AS_TRAINED;
        }
        // A simulated register is either a narrow hardware accumulator (2..32) or the exact 64-bit
        // reference (PBitArithmetic); widths in between describe no hardware anyone maps to.
        if (accBits < PBitArithmetic.MIN_WIDTH || (accBits > 32 && accBits != PBitArithmetic.MAX_WIDTH)) {
            throw new EngineException("--acc-bits must be 2..32 (a hardware accumulator register) or 64 "
                    + "(the exact reference), got " + accBits);
        }
        return new AccumulatorPolicy(accBits, allLayers);
    }
}
