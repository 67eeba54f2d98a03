package org.a2q.engine.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Param;

/** The per-layer overview the CLI's info and the GUI's Model view show. */
public final class LayerTable {
    private LayerTable() { }

    /**
     * @param dotProductLength K of conv/linear layers (Cin·kh·kw or in_features), else 0
     */
    public record Row(String name, String op, long[] outputShape, long dotProductLength, long parameters,
                      double weightMin, double weightMax, double weightMeanAbs) { }

    public static List<Row> of(Graph g) {
        Map<String, long[]> shapes = g.shapes(1);
        List<Row> rows = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            long k = 0;
            double min = Double.NaN;
            double max = Double.NaN;
            double meanAbs = Double.NaN;
            Param w = null;
            if (n.layer() instanceof Conv2d c) {
                k = c.fanIn();
                w = c.weight();
            } else if (n.layer() instanceof Linear l) {
                k = l.fanIn();
                w = l.weight();
            }
            if (w != null) {
                min = w.value().minNumber().doubleValue();
                max = w.value().maxNumber().doubleValue();
                meanAbs = w.value().ameanNumber().doubleValue();
            }
            long params = 0;
            for (Param p : n.layer().params()) {
                params += p.length();
            }
            rows.add(new Row(n.name(), n.layer().type(), shapes.get(n.name()), k, params, min, max, meanAbs));
        }
        return rows;
    }
}
