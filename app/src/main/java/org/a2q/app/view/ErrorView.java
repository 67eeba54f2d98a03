package org.a2q.app.view;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.ListChangeListener;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.ErrorViewModel;
import org.a2q.app.vm.ErrorViewModel.Distribution;
import org.a2q.app.vm.ErrorViewModel.Row;
import org.a2q.engine.analysis.QuantizationError;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.fx.ChartViewer;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;

/**
 * Error view: per layer, how far the quantized weights are from the float ones (MSE), what that
 * does to the layer's output (SQNR) and how many integer weights are zero; for one layer the
 * error per output channel and the weights' distribution against the quantization grid.
 */
final class ErrorView extends BorderPane {
    private final DefaultCategoryDataset channels = new DefaultCategoryDataset();
    private final XYSeriesCollection histogram = new XYSeriesCollection();
    private final JFreeChart channelChart;
    private final JFreeChart histogramChart;
    private final ThemeManager theme;

    ErrorView(ErrorViewModel vm, ThemeManager theme, Runnable openBitWidths) {
        this.theme = theme;
        getStyleClass().add("view");

        ChoiceBox<String> layer = new ChoiceBox<>(vm.layerNames());
        layer.setId("errorLayer");
        layer.valueProperty().bindBidirectional(vm.selectedLayerProperty());
        Label summary = Ui.wrapping("", "muted");
        summary.setId("errorSummary");
        summary.textProperty().bind(vm.summaryProperty());
        Label status = Ui.wrapping("", "muted");
        status.setId("errorStatus");
        status.textProperty().bind(vm.statusProperty());

        BarRenderer bars = new BarRenderer();
        bars.setShadowVisible(false);
        bars.setBarPainter(new StandardBarPainter());
        bars.setDrawBarOutline(false);
        bars.setMaximumBarWidth(0.05);
        bars.setSeriesPaint(0, Charts.BLUE);
        CategoryPlot cp = new CategoryPlot(channels, new CategoryAxis("output channel"),
                new NumberAxis("weight MSE"), bars);
        cp.setOrientation(PlotOrientation.VERTICAL);
        channelChart = new JFreeChart("Weight error per channel", JFreeChart.DEFAULT_TITLE_FONT, cp, false);
        ChartViewer channelViewer = new ChartViewer(channelChart);
        channelViewer.setId("errorChannelChart");
        channelViewer.setMinSize(260, 200);

        XYBarRenderer hr = new XYBarRenderer(0.05);
        hr.setShadowVisible(false);
        hr.setBarPainter(new StandardXYBarPainter());
        hr.setDrawBarOutline(false);
        hr.setSeriesPaint(0, new Color(0x1f, 0x77, 0xb4, 190));
        NumberAxis hx = new NumberAxis("float weight / channel scale s (grid lines: the values q·s can take)");
        hx.setAutoRangeIncludesZero(false);
        XYPlot hp = new XYPlot(histogram, hx, new NumberAxis("weights"), hr);
        histogramChart = new JFreeChart("Float weights and the quantization grid", JFreeChart.DEFAULT_TITLE_FONT, hp,
                false);
        ChartViewer histogramViewer = new ChartViewer(histogramChart);
        histogramViewer.setId("errorHistogram");
        histogramViewer.setMinSize(260, 200);

        vm.currentProperty().addListener((o, a, b) -> showChannels(b));
        vm.distributionProperty().addListener((o, a, b) -> showDistribution(b));
        theme.darkProperty().addListener((o, a, b) -> restyle());
        theme.fontScaleProperty().addListener((o, a, b) -> restyle());
        showChannels(vm.currentProperty().get());
        showDistribution(vm.distributionProperty().get());

        HBox charts = new HBox(Ui.GAP, channelViewer, histogramViewer);
        HBox.setHgrow(channelViewer, Priority.ALWAYS);
        HBox.setHgrow(histogramViewer, Priority.ALWAYS);
        VBox.setVgrow(charts, Priority.ALWAYS);
        VBox top = Ui.card(null, Ui.row(new Label("Layer"), layer), summary, charts);

        TableView<Row> table = new TableView<>(vm.rows());
        table.setId("errorTable");
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.getColumns().add(col("Layer", Row::name, "Conv/linear layer in graph order."));
        table.getColumns().add(col("M", r -> Integer.toString(r.error().weightBits()), "Weight bits."));
        table.getColumns().add(col("Weight MSE", r -> ErrorViewModel.formatMse(r.mse()),
                "Mean over the layer's weights of (w − ŵ)², w the unrounded float weight the quantizer rounds."));
        table.getColumns().add(col("Output SQNR", r -> ErrorViewModel.formatDb(r.sqnrDb()),
                "10·log10(Σ y² / Σ (y − ŷ)²) of the layer's output on test images: y from the model with unrounded "
                        + "weights, ŷ from the quantized model (activation quantizers in both)."));
        table.getColumns().add(col("Sparsity", r -> String.format(java.util.Locale.ROOT, "%.1f %%", 100 * r.sparsity()),
                "Share of integer weights q that are zero."));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.selectedLayerProperty().set(b.name());
            }
        });
        table.setPlaceholder(Ui.wrapping("No quantized layers to show.", "muted"));
        VBox.setVgrow(table, Priority.ALWAYS);

        SplitPane split = new SplitPane(top, Ui.card("All layers", status, table));
        split.setOrientation(javafx.geometry.Orientation.VERTICAL);
        split.setDividerPositions(0.58);

        // Empty state: a float model has no quantization error; say what to do instead.
        FontIcon icon = new FontIcon(Material2AL.INSIGHTS);
        icon.setIconSize(36);
        Label emptyText = Ui.wrapping("");
        emptyText.setId("errorEmpty");
        emptyText.textProperty().bind(vm.statusProperty());
        javafx.scene.control.Button go = new javafx.scene.control.Button("Go to Bit widths",
                new FontIcon(Material2AL.ARROW_FORWARD));
        go.setOnAction(e -> openBitWidths.run());
        VBox empty = Ui.card("Nothing quantized yet", icon, emptyText, go);
        empty.setMaxWidth(640);
        VBox emptyBox = new VBox(empty);

        Runnable swap = () -> setCenter(vm.rows().isEmpty() && !vm.statusProperty().get().startsWith("Measuring")
                ? emptyBox : split);
        vm.rows().addListener((ListChangeListener<Row>) c -> swap.run());
        vm.statusProperty().addListener((o, a, b) -> swap.run());
        swap.run();
        setTop(Ui.header("Error", "What quantization costs in precision: weight error per layer and channel, the "
                + "output's signal-to-quantization-noise ratio, and where the float weights sit on the integer grid. "
                + "Recomputed whenever the weights change.", "error"));
    }

    JFreeChart channelChart() { return channelChart; }
    JFreeChart histogramChart() { return histogramChart; }

    private void showChannels(Row r) {
        channels.setNotify(false);
        channels.clear();
        if (r != null) {
            double[] mse = r.error().weights().channelMse();
            for (int c = 0; c < mse.length; c++) {
                channels.addValue(mse[c], "MSE", Integer.toString(c));
            }
            channelChart.getCategoryPlot().getDomainAxis().setTickLabelsVisible(mse.length <= 64);
        }
        channels.setNotify(true);
        restyle();
    }

    private void showDistribution(Distribution d) {
        XYPlot plot = histogramChart.getXYPlot();
        histogram.removeAllSeries();
        plot.clearDomainMarkers();
        if (d == null) {
            return;
        }
        QuantizationError.Histogram h = d.histogram();
        XYSeries s = new XYSeries("weights");
        for (int i = 0; i < h.counts().length; i++) {
            s.add(h.binStart(i) + h.binWidth() / 2, h.counts()[i], false);
        }
        histogram.addSeries(s);
        // Bars exactly one bin wide: the automatic width follows the data and made bars overlap.
        histogram.setIntervalWidth(h.binWidth());
        long max = d.levels()[d.levels().length - 1];
        // For 8-bit layers 255 lines would fill the plot; mark every level only where they stay apart.
        long step = max <= 15 ? 1 : Math.max(1, Math.round(max / 8.0));
        for (long level : d.levels()) {
            if (level % step == 0 && level >= h.lo() && level <= h.hi()) {
                ValueMarker m = new ValueMarker(level, level == 0 ? Charts.RED : Charts.ORANGE,
                        new BasicStroke(level == 0 ? 1.6f : 1.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f,
                                new float[] {4f, 3f}, 0f));
                plot.addDomainMarker(m, Layer.FOREGROUND);
            }
        }
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setRange(h.lo(), h.hi());
        // Short enough to stay whole at projector text sizes; the help text explains the grid in full.
        x.setLabel(step == 1 ? "float weight / scale s  (dashes: q = ±1 … ±" + max + ")"
                : "float weight / scale s  (dashes: every " + step + "th q up to ±" + max + ")");
        restyle();
    }

    private static TableColumn<Row, String> col(String title, Function<Row, String> value, String tip) {
        TableColumn<Row, String> c = new TableColumn<>();
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(value.apply(d.getValue())));
        c.setSortable(false);
        Label header = new Label(title);
        Ui.tip(header, tip);
        c.setGraphic(header);
        c.setPrefWidth(Math.max(70, 9 * title.length() + 24));
        return c;
    }

    private void restyle() {
        // Channel numbers turn upright once they would crowd each other (many channels or large text),
        // instead of being cut to "…".
        double scale = theme.fontScaleProperty().get();
        channelChart.getCategoryPlot().getDomainAxis().setCategoryLabelPositions(
                channels.getColumnCount() * scale > 20 ? CategoryLabelPositions.UP_90 : CategoryLabelPositions.STANDARD);
        Charts.style(channelChart, theme.darkProperty().get(), theme.fontScaleProperty().get());
        Charts.style(histogramChart, theme.darkProperty().get(), theme.fontScaleProperty().get());
    }
}
