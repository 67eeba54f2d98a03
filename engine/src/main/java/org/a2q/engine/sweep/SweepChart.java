package org.a2q.engine.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.quant.QuantMethod;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Accuracy against accumulator width, one series per method, rendered to PNG without a display. */
public final class SweepChart {
    public static final int WIDTH = 800;
    public static final int HEIGHT = 500;

    private SweepChart() { }

    /**
     * Constrained methods are drawn at the P they were trained for. QAT is one model whose width is
     * not chosen but measured, so it is drawn once, at the exact width its weights need: that is the
     * accumulator it must be given to be safe, which is the comparison the trade-off is about.
     */
    public static JFreeChart build(List<PointResult> results, String title) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        results.stream()
                .sorted(java.util.Comparator.comparingInt((PointResult r) -> r.job().quantMethod().ordinal()))
                .forEach(r -> {
                    SweepJob j = r.job();
                    String name = j.quantMethod() == QuantMethod.QAT ? "qat (at the width it needs)" : j.method();
                    int x = j.accBits() != null ? j.accBits() : r.exactWidthNeeded();
                    series.computeIfAbsent(name, k -> new XYSeries(k, true, true)).addOrUpdate(x, 100 * r.accuracy());
                });
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(title, "accumulator width P (bits)", "test accuracy (%)", data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        return chart;
    }

    /**
     * Loads AWT and fonts now, before training, so that drawing the chart after Ctrl-C (while the
     * JVM shuts down) does no first-time initialisation that might need the JVM's full services.
     */
    public static void prepare() {
        build(List.of(), "").createBufferedImage(WIDTH / 4, HEIGHT / 4);
    }

    /** Writes the PNG atomically: a reader never sees half an image. */
    public static void writePng(Path file, List<PointResult> results, String title) {
        BufferedImage image = build(results, title).createBufferedImage(WIDTH, HEIGHT);
        AtomicFiles.write(file, out -> {
            // A memory-cached stream, not ImageIO's default file cache: that one registers a JVM shutdown
            // hook per stream and so fails after Ctrl-C, when the chart of the finished points is drawn.
            ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(image);
            } finally {
                writer.dispose();
            }
        });
    }
}
