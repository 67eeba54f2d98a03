package org.a2q.app.view;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import org.a2q.app.vm.TrainViewModel.Point;
import org.a2q.engine.EngineException;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Every chart of the workbench is built here, so they share one look, follow the light/dark
 * theme and the text size, and can be written to PNG for reports.
 */
public final class Charts {
    /** A curve: its legend name, colour, and whether points are marked (epoch values) or joined only. */
    public record Curve(String name, Color color, boolean markers, boolean faint) { }

    static final Color BLUE = new Color(0x1f, 0x77, 0xb4);
    static final Color ORANGE = new Color(0xe3, 0x6c, 0x09);
    static final Color GREEN = new Color(0x2c, 0xa0, 0x2c);
    static final Color PURPLE = new Color(0x94, 0x67, 0xbd);
    static final Color RED = new Color(0xd6, 0x27, 0x28);

    private Charts() { }

    /** An XY line chart whose series follow the given lists of points. */
    public static JFreeChart lines(String title, String xLabel, String yLabel, List<Curve> curves,
                                   List<ObservableList<Point>> data) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        for (int i = 0; i < curves.size(); i++) {
            Curve c = curves.get(i);
            XYSeries s = new XYSeries(c.name(), false, true);
            dataset.addSeries(s);
            follow(data.get(i), s);
            Color col = c.faint() ? new Color(c.color().getRed(), c.color().getGreen(), c.color().getBlue(), 70) : c.color();
            renderer.setSeriesPaint(i, col);
            renderer.setSeriesStroke(i, new BasicStroke(c.faint() ? 1f : 2f));
            renderer.setSeriesShapesVisible(i, c.markers());
            renderer.setSeriesLinesVisible(i, true);
        }
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        x.setAutoRangeIncludesZero(true);
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, curves.size() > 1);
        LegendTitle legend = chart.getLegend();
        if (legend != null) {
            legend.setPosition(RectangleEdge.TOP);
            legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        }
        chart.setPadding(new RectangleInsets(4, 4, 4, 8));
        style(chart, false, 1.0);
        return chart;
    }

    /** Applies the theme's colours and the text scale; called again whenever either changes. */
    public static void style(JFreeChart chart, boolean dark, double fontScale) {
        Color bg = dark ? new Color(0x0d, 0x11, 0x17) : Color.WHITE;
        Color fg = dark ? new Color(0xc9, 0xd1, 0xd9) : new Color(0x24, 0x29, 0x2f);
        Color grid = dark ? new Color(0x30, 0x36, 0x3d) : new Color(0xd0, 0xd7, 0xde);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, (int) Math.round(14 * fontScale));
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, (int) Math.round(12 * fontScale));
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, (int) Math.round(11 * fontScale));
        chart.setBackgroundPaint(bg);
        chart.getTitle().setPaint(fg);
        chart.getTitle().setFont(titleFont);
        if (chart.getLegend() != null) {
            chart.getLegend().setBackgroundPaint(bg);
            chart.getLegend().setItemPaint(fg);
            chart.getLegend().setItemFont(tickFont);
        }
        List<org.jfree.chart.axis.Axis> axes;
        if (chart.getPlot() instanceof org.jfree.chart.plot.CategoryPlot cp) {
            cp.setBackgroundPaint(bg);
            cp.setOutlineVisible(false);
            cp.setRangeGridlinePaint(grid);
            cp.setRangeGridlineStroke(new BasicStroke(0.8f));
            for (Object m : cp.getRangeMarkers(org.jfree.chart.ui.Layer.FOREGROUND) == null ? List.of()
                    : cp.getRangeMarkers(org.jfree.chart.ui.Layer.FOREGROUND)) {
                ((org.jfree.chart.plot.Marker) m).setLabelPaint(fg);
                ((org.jfree.chart.plot.Marker) m).setLabelFont(tickFont);
            }
            axes = List.of(cp.getDomainAxis(), cp.getRangeAxis());
        } else {
            XYPlot plot = chart.getXYPlot();
            plot.setBackgroundPaint(bg);
            plot.setOutlineVisible(false);
            plot.setDomainGridlinePaint(grid);
            plot.setRangeGridlinePaint(grid);
            plot.setDomainGridlineStroke(new BasicStroke(0.8f));
            plot.setRangeGridlineStroke(new BasicStroke(0.8f));
            axes = List.of(plot.getDomainAxis(), plot.getRangeAxis());
        }
        for (org.jfree.chart.axis.Axis a : axes) {
            a.setLabelPaint(fg);
            a.setTickLabelPaint(fg);
            a.setAxisLinePaint(grid);
            a.setTickMarkPaint(grid);
            a.setLabelFont(labelFont);
            a.setTickLabelFont(tickFont);
        }
    }

    /** Writes the chart as it looks now to a PNG file. */
    public static void savePng(JFreeChart chart, Path file, int width, int height) {
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
        } catch (IOException e) {
            throw new EngineException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Mirrors a list of points into a series. Additions arrive in batches (see the Coalescer);
     * each batch is added with notifications off and then announced once, so the chart redraws
     * once per batch, not once per point.
     */
    static void follow(ObservableList<Point> points, XYSeries series) {
        addAll(series, points);
        points.addListener((ListChangeListener<Point>) ch -> {
            List<Point> added = new ArrayList<>();
            boolean removed = false;
            while (ch.next()) {
                removed |= ch.wasRemoved();
                added.addAll(ch.getAddedSubList());
            }
            if (removed) {
                series.clear();
                addAll(series, points);
            } else {
                addAll(series, added);
            }
        });
    }

    private static void addAll(XYSeries series, List<Point> points) {
        if (points.isEmpty()) {
            return;
        }
        series.setNotify(false);
        for (Point p : points) {
            series.add(p.x(), p.y(), false);
        }
        series.setNotify(true);
    }
}
