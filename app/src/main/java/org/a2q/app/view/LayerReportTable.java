package org.a2q.app.view;

import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ObservableList;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import org.a2q.app.vm.AccumulatorBounds;
import org.a2q.app.vm.BudgetsViewModel;
import org.a2q.engine.quant.QuantReport.LayerReport;

/**
 * One table of the engine's per-layer reports, shared by Bit widths (preview) and Budgets
 * (overview), so both views name and format the same numbers the same way.
 */
final class LayerReportTable {
    private LayerReportTable() { }

    static TableView<LayerReport> create(String id, ObservableList<LayerReport> items, boolean training) {
        TableView<LayerReport> t = new TableView<>(items);
        t.setId(id);
        // Many columns: scroll sideways rather than squeeze every header into "…".
        t.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY);
        t.setPlaceholder(Ui.wrapping("No quantized layers to show.", "muted"));
        TableColumn<LayerReport, String> name = col("Layer", LayerReport::name, "Conv/linear layer in graph order.");
        name.setPrefWidth(90);
        t.getColumns().add(name);
        t.getColumns().add(col("Method", l -> l.method().label(), "First and last layers stay 8-bit qat without a budget."));
        t.getColumns().add(col("K", l -> String.format(Locale.ROOT, "%,d", l.dotProductLength()),
                "Dot-product length: inputs summed per output."));
        TableColumn<LayerReport, String> input = col("Input", l -> l.inputBits() + "-bit "
                + (l.inputSigned() ? "signed" : "unsigned"), "Format N of the layer's input, from the activation "
                + "quantizer in front of it.");
        input.setPrefWidth(120);
        t.getColumns().add(input);
        t.getColumns().add(col("M", l -> Integer.toString(l.weightBits()), "Weight bits."));
        t.getColumns().add(col("P", l -> l.method().constrained() ? Integer.toString(l.accBits()) : "—",
                "Target accumulator width (only budgeted layers have one)."));
        // Unconstrained layers have no budget: their T at P = 32 would be a meaningless huge number.
        t.getColumns().add(col("T_A2Q", l -> l.method().constrained() ? AccumulatorBounds.format(l.tA2q()) : "—",
                "A2Q's l1 budget at this P and N."));
        t.getColumns().add(col("⌊T_A2Q⌋", l -> l.method().constrained() ? Long.toString(BudgetsViewModel.floorA2q(l))
                : "—", "Largest integer ‖q‖₁ A2Q allows."));
        t.getColumns().add(col("T₊", l -> l.method().constrained() ? AccumulatorBounds.format(l.tPlus()) : "—",
                "A2Q+'s l1 budget (zero-centred weights)."));
        t.getColumns().add(col("⌊T₊⌋", l -> l.method().constrained() ? Long.toString(BudgetsViewModel.floorPlus(l))
                : "—", "Largest integer ‖q‖₁ A2Q+ allows."));
        t.getColumns().add(col(training ? "Clamped" : "Clipped now", l -> l.method().constrained()
                ? l.clampedChannels() + " / " + l.channels().size() : "—",
                "Channels whose norm parameter g is held at the budget by the constraint."));
        if (training) {
            t.getColumns().add(col("Mean util.", l -> !l.method().constrained() ? "—"
                    : String.format(Locale.ROOT, "%.1f %%", 100 * l.meanUtilisation()),
                    "Mean over channels of ‖q‖₁ / ⌊T⌋."));
            t.getColumns().add(col("Sparsity", l -> String.format(Locale.ROOT, "%.1f %%", 100 * l.sparsity()),
                    "Share of integer weights that are zero."));
        }
        t.getColumns().add(col("P_dt", l -> Integer.toString(l.widths().dataType()),
                "Width plain QAT must assume: any M-bit weights, any N-bit inputs."));
        t.getColumns().add(col("P_A2Q", l -> Integer.toString(l.widths().a2q()), "Smallest P from ‖q‖₁ (A2Q rule)."));
        t.getColumns().add(col("P₊ safe", l -> Integer.toString(l.widths().a2qPlusSafe()),
                "Smallest P from max(Pos, Neg) (A2Q+ rule, safe for any weights)."));
        t.getColumns().add(col("P_exact", l -> Integer.toString(l.widths().exact()),
                "Smallest P holding the exact worst-case range of the current integer weights."));
        TableColumn<LayerReport, String> note = col("Note", l -> l.zeroBudget() ? "⌊T⌋ = 0: all weights forced to zero"
                : l.method().constrained() && !l.overflowSafe() ? "exceeds P" : "", "Warnings.");
        note.setPrefWidth(230);
        t.getColumns().add(note);
        return t;
    }

    private static TableColumn<LayerReport, String> col(String title, Function<LayerReport, String> value, String tip) {
        TableColumn<LayerReport, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(value.apply(d.getValue())));
        c.setSortable(false);
        javafx.scene.control.Label header = new javafx.scene.control.Label(title);
        Ui.tip(header, tip);
        header.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        c.setText("");
        c.setGraphic(header);
        // Wide enough for the header and short values; the layer column for names like "features.3".
        c.setPrefWidth(Math.max(64, 9 * title.length() + 24));
        if (title.startsWith("T")) {
            c.setPrefWidth(96); // "16,843,008.9961" fits; budgets are shown to 4 decimals
        }
        return c;
    }
}
