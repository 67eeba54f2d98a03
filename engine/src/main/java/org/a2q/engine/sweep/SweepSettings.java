package org.a2q.engine.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.a2q.engine.EngineException;
import org.a2q.engine.quant.QuantMethod;

/**
 * A sweep's full configuration: the grid (methods × P) and the training recipe every point shares.
 *
 * @param dir         the sweep directory (results.csv, chart.png, report.md, points/)
 * @param jobs        points trained at the same time
 * @param commandLine how the sweep was started, quoted in the report so a result can be reproduced
 */
public record SweepSettings(Path dir, String model, Path from, Path data, List<String> methods, List<Integer> accBits,
                            int weightBits, int actBits, String init, int epochs, int stepsPerEpoch, int batch, double lr,
                            long seed, int calibrationBatches, int jobs, String commandLine) {
    public SweepSettings {
        if (methods.isEmpty()) {
            throw new EngineException("--methods is empty; use e.g. qat,a2q,a2q+");
        }
        if (accBits.isEmpty()) {
            throw new EngineException("--acc-bits is empty; use e.g. 10..16 or 10,12,14");
        }
        if (jobs < 1) {
            throw new EngineException("--jobs must be ≥ 1, got " + jobs);
        }
        methods = List.copyOf(methods);
        accBits = List.copyOf(accBits);
    }

    /** One job per (constrained method, P) and a single job for QAT, in a stable order. */
    public List<SweepJob> pointJobs() {
        List<SweepJob> out = new ArrayList<>();
        for (String m : methods) {
            QuantMethod qm = QuantMethod.parse(m);
            List<Integer> ps = qm == QuantMethod.QAT ? java.util.Collections.singletonList(null) : accBits;
            for (Integer p : ps) {
                out.add(new SweepJob(SweepJob.FORMAT, model, from.toAbsolutePath().normalize().toString(),
                        data.toAbsolutePath().normalize().toString(), m, weightBits, actBits, p, init.toLowerCase(Locale.ROOT),
                        epochs, stepsPerEpoch, batch, lr, seed, calibrationBatches));
            }
        }
        return out;
    }

    /** "10..16", "10,11,12,14" or a mix such as "10..12,14": sorted, without duplicates. */
    public static List<Integer> parseAccBits(String spec) {
        TreeSet<Integer> set = new TreeSet<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            try {
                int dots = s.indexOf("..");
                if (dots >= 0) {
                    int lo = Integer.parseInt(s.substring(0, dots).strip());
                    int hi = Integer.parseInt(s.substring(dots + 2).strip());
                    if (hi < lo) {
                        throw new EngineException("--acc-bits range " + s + " runs backwards");
                    }
                    for (int p = lo; p <= hi; p++) {
                        set.add(check(p));
                    }
                } else {
                    set.add(check(Integer.parseInt(s)));
                }
            } catch (NumberFormatException e) {
                throw new EngineException("--acc-bits: '" + s + "' is not a number or range; use e.g. 10..16 or 10,12,14");
            }
        }
        if (set.isEmpty()) {
            throw new EngineException("--acc-bits is empty; use e.g. 10..16 or 10,12,14");
        }
        return List.copyOf(set);
    }

    public static List<String> parseMethods(String spec) {
        List<String> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            QuantMethod m = QuantMethod.parse(s);
            if (m != QuantMethod.QAT && !m.constrained()) {
                throw new EngineException("--methods: " + s + " cannot be swept; use qat, a2q and/or a2q+");
            }
            if (!out.contains(m.label())) {
                out.add(m.label());
            }
        }
        return out;
    }

    private static int check(int p) {
        if (p < 2 || p > 32) {
            throw new EngineException("--acc-bits: P must be in 2..32, got " + p);
        }
        return p;
    }
}
