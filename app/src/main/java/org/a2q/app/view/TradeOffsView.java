package org.a2q.app.view;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.File;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.TradeOffsViewModel;
import org.a2q.app.vm.TradeOffsViewModel.Point;
import org.jfree.chart.fx.interaction.ChartMouseEventFX;
import org.jfree.chart.fx.interaction.ChartMouseListenerFX;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.entity.XYItemEntity;
import org.jfree.chart.fx.ChartViewer;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;

/**
 * Trade-offs view: a sweep's test accuracy against accumulator width, one curve per method, and
 * its rows as a table. A click on a point or a row opens that point's model when the sweep kept it.
 */
final class TradeOffsView extends BorderPane {
    private final XYSeriesCollection dataset = new XYSeriesCollection();
    /** The points behind each chart item, series by series, in item order. */
    private final List<List<Point>> seriesPoints = new ArrayList<>();
    private final JFreeChart chart;
    private final ThemeManager theme;
    private final TradeOffsViewModel vm;

    TradeOffsView(TradeOffsViewModel vm, ThemeManager theme, Supplier<File> chooseFolder) {
        this.vm = vm;
        this.theme = theme;
        getStyleClass().add("view");

        Button open = new Button("Open sweep…", new FontIcon(Material2AL.FOLDER_OPEN));
        open.setId("openSweep");
        open.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        Ui.tip(open, "Open the output folder of a2q sweep (it holds results.csv and the points' models).");
        open.setOnAction(e -> {
            File f = chooseFolder.get();
            if (f != null) {
                vm.openSweep(f.toPath());
            }
        });
        Label source = Ui.wrapping("", "muted");
        source.setId("sweepSource");
        source.textProperty().bind(vm.sourceProperty());
        Label message = Ui.wrapping("");
        message.setId("sweepMessage");
        message.textProperty().bind(vm.messageProperty());
        message.visibleProperty().bind(message.textProperty().isNotEmpty());
        message.managedProperty().bind(message.visibleProperty());

        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        NumberAxis x = new NumberAxis("accumulator width P (bits; qat at the width its weights need)");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis("test accuracy (%)");
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        chart = new JFreeChart("Accuracy against accumulator width", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.TOP);
        legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        ChartViewer viewer = new ChartViewer(chart);
        viewer.setId("tradeOffChart");
        viewer.setMinSize(300, 220);
        viewer.addChartMouseListener(new ChartMouseListenerFX() {
            @Override
            public void chartMouseClicked(ChartMouseEventFX e) {
                if (e.getEntity() instanceof XYItemEntity item) {
                    openItem(item.getSeriesIndex(), item.getItem());
                }
            }

            @Override
            public void chartMouseMoved(ChartMouseEventFX e) { }
        });

        TableView<Point> table = new TableView<>(vm.points());
        table.setId("sweepTable");
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        TableColumn<Point, String> method = col("Method", Point::method);
        method.setMinWidth(84); // the bold header needs more than the short values
        table.getColumns().add(method);
        table.getColumns().add(col("M", p -> Integer.toString(p.weightBits())));
        table.getColumns().add(col("N", p -> Integer.toString(p.actBits())));
        table.getColumns().add(col("P", p -> Integer.toString(p.accBits())));
        table.getColumns().add(col("Init", Point::init));
        table.getColumns().add(col("Accuracy", p -> String.format(Locale.ROOT, "%.2f %%", 100 * p.accuracy())));
        table.getColumns().add(col("Exact width", p -> Integer.toString(p.exactWidth())));
        table.getColumns().add(col("At risk", p -> String.format(Locale.ROOT, "%,d", p.channelsAtRisk())));
        table.getColumns().add(col("Sparsity", p -> String.format(Locale.ROOT, "%.1f %%", 100 * p.sparsity())));
        table.getColumns().add(col("Mean util.", p -> String.format(Locale.ROOT, "%.2f", p.meanUtilisation())));
        table.getColumns().add(col("Train s", p -> String.format(Locale.ROOT, "%.1f", p.trainSeconds())));
        TableColumn<Point, String> model = col("Model", Point::run);
        model.setPrefWidth(240); // "points/a2qplus-P16/model.a2q" in full, not "points…"
        model.setMinWidth(200);
        table.getColumns().add(model);
        // Headers and values grow with the text size; below these widths the table scrolls sideways
        // rather than cutting them to "…".
        for (TableColumn<Point, ?> c : table.getColumns()) {
            double base = c.getMinWidth() > 10 ? c.getMinWidth() : c.getPrefWidth();
            c.minWidthProperty().bind(theme.fontScaleProperty().multiply(base));
        }
        table.setRowFactory(t -> {
            TableRow<Point> row = new TableRow<>();
            row.setOnMouseClicked(e -> {
                if (!row.isEmpty()) {
                    vm.openPoint(row.getItem());
                }
            });
            return row;
        });
        table.setPlaceholder(Ui.wrapping("No sweep opened. Open the output folder of a2q sweep.", "muted"));
        VBox.setVgrow(table, Priority.ALWAYS);

        vm.points().addListener((ListChangeListener<Point>) c -> show());
        theme.darkProperty().addListener((o, a, b) -> restyle());
        theme.fontScaleProperty().addListener((o, a, b) -> restyle());
        show();

        VBox top = Ui.card(null, Ui.row(open, source), message, viewer);
        VBox.setVgrow(viewer, Priority.ALWAYS);
        SplitPane split = new SplitPane(top, Ui.card("Sweep rows (click one to open its model)", table));
        split.setOrientation(javafx.geometry.Orientation.VERTICAL);
        split.setDividerPositions(0.6);
        setTop(Ui.header("Trade-offs", "What a narrower accumulator costs in accuracy, per method, from a sweep "
                + "(a2q sweep). Click a point or a row to open that model in the session.", "trade-offs"));
        setCenter(split);
    }

    JFreeChart chart() { return chart; }

    /** The points behind chart series {@code s}, in item order. */
    List<Point> seriesPoints(int s) { return seriesPoints.get(s); }

    /** What a click on chart item (series, item) does. */
    void openItem(int series, int item) {
        if (series >= 0 && series < seriesPoints.size() && item >= 0 && item < seriesPoints.get(series).size()) {
            vm.openPoint(seriesPoints.get(series).get(item));
        }
    }

    private void show() {
        dataset.removeAllSeries();
        seriesPoints.clear();
        Map<String, List<Point>> byMethod = new LinkedHashMap<>();
        for (Point p : vm.points()) {
            List<Point> l = byMethod.computeIfAbsent(p.method(), k -> new ArrayList<>());
            // qat is trained once and listed for every P: one model, one point.
            boolean same = l.stream().anyMatch(q -> q.plotWidth() == p.plotWidth() && q.accuracy() == p.accuracy()
                    && q.run().equals(p.run()));
            if (!same) {
                l.add(p);
            }
        }
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        int i = 0;
        for (Map.Entry<String, List<Point>> e : byMethod.entrySet()) {
            List<Point> pts = new ArrayList<>(e.getValue());
            pts.sort(Comparator.comparingInt(Point::plotWidth));
            XYSeries s = new XYSeries(e.getKey(), false, true);
            for (Point p : pts) {
                s.add(p.plotWidth(), 100 * p.accuracy());
            }
            dataset.addSeries(s);
            seriesPoints.add(pts);
            r.setSeriesPaint(i, colour(e.getKey(), i));
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesShapesVisible(i, true);
            i++;
        }
        restyle();
    }

    private static Color colour(String method, int i) {
        return switch (method.toLowerCase(Locale.ROOT)) {
            case "qat" -> Charts.ORANGE;
            case "a2q" -> Charts.BLUE;
            case "a2q+" -> Charts.GREEN;
            default -> List.of(Charts.PURPLE, Charts.RED).get(i % 2);
        };
    }

    private static TableColumn<Point, String> col(String title, Function<Point, String> value) {
        TableColumn<Point, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(value.apply(d.getValue())));
        c.setPrefWidth(Math.max(48, 8 * title.length() + 18));
        return c;
    }

    private void restyle() {
        Charts.style(chart, theme.darkProperty().get(), theme.fontScaleProperty().get());
    }
}
