package org.a2q.engine.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.a2q.engine.quant.AccumulatorBound;
import org.a2q.engine.quant.QuantMethod;

/** The sweep's rows, derived only from point results so that results.csv can always be rebuilt. */
public final class SweepTable {
    private SweepTable() { }

    /**
     * One line of results.csv.
     *
     * @param accBits               the P the row is judged at
     * @param channelsAtRisk        hidden channels whose exact worst-case width exceeds P (0 means no
     *                              input can overflow a P-bit accumulator; more than 0 means some input may)
     * @param meanBudgetUtilisation mean over hidden channels of ‖q‖₁ / ⌊T⌋; for QAT, T is A2Q's bound at P
     */
    public record Row(String method, int weightBits, int actBits, int accBits, String init, double accuracy,
                      int exactWidthNeeded, int channelsAtRisk, double sparsity, double meanBudgetUtilisation,
                      double trainSeconds, String run, long wrapOverflows, double wrapAccuracy) { }

    public static final String HEADER = "method,M,N,P,init,accuracy,exact_width_needed,channels_at_risk,sparsity,"
            + "mean_budget_utilisation,train_seconds,run,wrap_overflows,wrap_accuracy";

    /** Constrained points give one row at their own P; the single QAT point gives one row per swept P. */
    public static List<Row> rows(List<PointResult> results, List<Integer> accBits, String runPrefix) {
        List<Row> rows = new ArrayList<>();
        for (PointResult r : results) {
            SweepJob j = r.job();
            String run = runPrefix + j.pointName() + "/" + r.run();
            List<Integer> ps = j.accBits() != null ? List.of(j.accBits()) : accBits;
            for (int p : ps) {
                double util = j.accBits() != null ? ownUtilisation(r) : a2qUtilisationAt(r, p);
                // Measured where simulated; at or above the exact width needed none can overflow (proved),
                // below the narrowest simulated width it is unknown (−1 / NaN).
                PointResult.WrapCheck w = r.wrapAt(p);
                long wrapOverflows = w != null ? w.wrongDotProducts() : p >= r.exactWidthNeeded() ? 0 : -1;
                double wrapAccuracy = w != null ? w.accuracy() : Double.NaN;
                rows.add(new Row(j.method(), j.weightBits(), j.actBits(), p, j.init(), r.accuracy(), r.exactWidthNeeded(),
                        r.channelsAtRisk(p), r.sparsity(), util, r.trainSeconds(), run, wrapOverflows, wrapAccuracy));
            }
        }
        rows.sort(Comparator.comparingInt((Row x) -> QuantMethod.parse(x.method()).ordinal()).thenComparingInt(Row::accBits));
        return rows;
    }

    /** Channel-weighted mean of what QuantReport measured against each layer's own bound. */
    static double ownUtilisation(PointResult r) {
        double sum = 0;
        int n = 0;
        for (PointResult.HiddenLayer l : r.hiddenLayers()) {
            sum += l.meanUtilisation() * l.exactWidths().length;
            n += l.exactWidths().length;
        }
        return n == 0 ? 0 : sum / n;
    }

    /** For unconstrained weights: how full A2Q's l1 budget at P would be (above 1: the weights do not fit it). */
    static double a2qUtilisationAt(PointResult r, int p) {
        double sum = 0;
        int n = 0;
        for (PointResult.HiddenLayer l : r.hiddenLayers()) {
            long budget = AccumulatorBound.floorA2q(p, l.inputBits(), l.inputSigned());
            for (long v : l.l1()) {
                sum += budget > 0 ? (double) v / budget : (v == 0 ? 0 : Double.POSITIVE_INFINITY);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    public static String csv(List<Row> rows) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%.6f,%d,%d,%.6f,%.6f,%.3f,%s,%d,%s%n", r.method(), r.weightBits(),
                    r.actBits(), r.accBits(), r.init(), r.accuracy(), r.exactWidthNeeded(), r.channelsAtRisk(), r.sparsity(),
                    r.meanBudgetUtilisation(), r.trainSeconds(), csvField(r.run()), r.wrapOverflows(),
                    Double.isNaN(r.wrapAccuracy()) ? "" : String.format(Locale.ROOT, "%.6f", r.wrapAccuracy())));
        }
        return sb.toString();
    }

    static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
