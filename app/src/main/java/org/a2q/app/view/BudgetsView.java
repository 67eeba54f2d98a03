package org.a2q.app.view;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.BudgetsViewModel;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.a2q.engine.quant.QuantReport.LayerReport;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.fx.ChartViewer;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Budgets view: for one layer, a bar per output channel of ‖q_c‖₁ (Pos and Neg stacked for A2Q+)
 * against ⌊T_A2Q⌋ and ⌊T₊⌋; channels whose norm is held by the clamp drawn darker. Below, every
 * layer's numbers. All values are the engine's report, refreshed during training.
 */
final class BudgetsView extends BorderPane {
    static final String POS = "Pos(q)";
    static final String NEG = "Neg(q)";
    static final String L1 = "‖q‖₁";

    private final DefaultCategoryDataset dataset = new DefaultCategoryDataset();
    private final JFreeChart chart;
    private final ThemeManager theme;
    private boolean[] clamped = new boolean[0];

    BudgetsView(BudgetsViewModel vm, ThemeManager theme) {
        this.theme = theme;
        getStyleClass().add("view");

        ChoiceBox<String> layer = new ChoiceBox<>(vm.layerNames());
        layer.setId("budgetLayer");
        layer.valueProperty().bindBidirectional(vm.selectedLayerProperty());
        Label summary = Ui.wrapping("", "muted");
        summary.setId("budgetSummary");
        summary.textProperty().bind(vm.summaryProperty());

        StackedBarRenderer renderer = new StackedBarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                Paint p = super.getItemPaint(row, column);
                // Clamped channels: g sits on the budget, so the constraint is active right now.
                return column < clamped.length && clamped[column] && p instanceof Color c ? c.darker().darker() : p;
            }
        };
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        renderer.setDrawBarOutline(false);
        renderer.setMaximumBarWidth(0.05);
        CategoryAxis x = new CategoryAxis("output channel (darker: g clamped at the budget)");
        x.setUpperMargin(0.14); // room for the budget lines' labels, clear of the bars
        NumberAxis y = new NumberAxis("integer l1 norm");
        CategoryPlot plot = new CategoryPlot(dataset, x, y, renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        chart = new JFreeChart("Per-channel l1 norm against the budgets", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.TOP);
        legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        ChartViewer viewer = new ChartViewer(chart);
        viewer.setId("budgetChart");
        viewer.setMinSize(300, 200);

        vm.currentProperty().addListener((o, a, b) -> show(b));
        theme.darkProperty().addListener((o, a, b) -> restyle());
        theme.fontScaleProperty().addListener((o, a, b) -> restyle());
        show(vm.current());

        TableView<LayerReport> table = LayerReportTable.create("budgetTable", vm.layers(), true);
        VBox top = new VBox(8, Ui.row(new Label("Layer"), layer), summary, viewer);
        VBox.setVgrow(viewer, Priority.ALWAYS);
        VBox chartCard = Ui.card(null, top);
        VBox.setVgrow(top, Priority.ALWAYS);
        SplitPane split = new SplitPane(chartCard, Ui.card("All layers", table));
        VBox.setVgrow(table, Priority.ALWAYS);
        split.setOrientation(javafx.geometry.Orientation.VERTICAL);
        split.setDividerPositions(0.64);
        setTop(Ui.header("Budgets", "Where each output channel stands against its accumulator budget: bars are the "
                + "integer weights' l1 norm, lines the floors of T_A2Q and T₊. Updates while Train runs.", "budgets"));
        setCenter(split);
    }

    /** The chart, for tests and export. */
    JFreeChart chart() {
        return chart;
    }

    private void show(LayerReport l) {
        CategoryPlot plot = chart.getCategoryPlot();
        dataset.clear();
        plot.clearRangeMarkers();
        if (l == null) {
            clamped = new boolean[0];
            return;
        }
        boolean split = l.method() == QuantMethod.A2Q_PLUS;
        clamped = new boolean[l.channels().size()];
        // Build with notifications off: one redraw for the whole layer, not one per bar.
        dataset.setNotify(false);
        long max = 0;
        for (QuantReport.Channel c : l.channels()) {
            String col = Integer.toString(c.channel());
            clamped[c.channel()] = c.normClamped();
            if (split) {
                dataset.addValue(c.pos(), POS, col);
                dataset.addValue(c.neg(), NEG, col);
            } else {
                dataset.addValue(c.l1(), L1, col);
            }
            max = Math.max(max, c.l1());
        }
        StackedBarRenderer r = (StackedBarRenderer) plot.getRenderer();
        r.setSeriesPaint(0, split ? Charts.BLUE : Charts.BLUE);
        r.setSeriesPaint(1, Charts.ORANGE);
        long fa = BudgetsViewModel.floorA2q(l);
        long fp = BudgetsViewModel.floorPlus(l);
        plot.addRangeMarker(marker(fa, "⌊T_A2Q⌋ = " + fa, Charts.RED), Layer.FOREGROUND);
        plot.addRangeMarker(marker(fp, "⌊T₊⌋ = " + fp, Charts.GREEN), Layer.FOREGROUND);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        if (l.method().constrained()) {
            y.setRange(0, 1.2 * Math.max(Math.max(max, fa), fp));
        } else {
            y.setAutoRange(true); // unconstrained edge layers: budgets at P = 32 would flatten the bars
        }
        plot.getDomainAxis().setTickLabelsVisible(l.channels().size() <= 64);
        dataset.setNotify(true);
        restyle();
    }

    private static ValueMarker marker(long value, String label, Color color) {
        ValueMarker m = new ValueMarker(value, color, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                1f, new float[] {6f, 4f}, 0f));
        m.setLabel(label);
        // Label above the line in the empty strip right of the last bar (see the axis' upper margin).
        m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        m.setLabelOffset(new org.jfree.chart.ui.RectangleInsets(2, 4, 2, 4));
        m.setLabelBackgroundColor(new Color(0, 0, 0, 0));
        return m;
    }

    private void restyle() {
        Charts.style(chart, theme.darkProperty().get(), theme.fontScaleProperty().get());
    }
}
