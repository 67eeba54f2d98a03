package org.a2q.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javafx.animation.PauseTransition;
import javafx.application.Platform;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.image.WritableImage;
import javafx.stage.Window;
import javafx.util.Duration;
import javax.imageio.ImageIO;
import org.a2q.app.view.NavItem;
import org.a2q.engine.quant.QuantMethod;

/**
 * Walks through the workbench like a user and writes a PNG of each view: waits for the sample
 * to load, trains briefly for real so the charts hold real curves, then visits every view (and
 * a few variants: dark theme, large text, an error dialog). Runs on the JavaFX thread in small
 * steps so the window keeps rendering between them.
 */
final class ScreenshotTour {
    private static final Logger LOG = Logger.getLogger("org.a2q.app");
    /** Time for layout and chart redraw after a change, before the snapshot. */
    private static final Duration SETTLE = Duration.millis(700);

    private final Workbench wb;
    private final Path dir;
    private final Deque<Runnable> steps = new ArrayDeque<>();

    ScreenshotTour(Workbench wb, Path dir) {
        this.wb = wb;
        this.dir = dir;
    }

    void start() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LOG.severe("cannot create " + dir + ": " + e.getMessage());
            Platform.exit();
            return;
        }
        waitFor(this::idleWithModel);
        view(NavItem.MODEL, "model");
        view(NavItem.DATA, "data");
        then(() -> {
            wb.train().epochsProperty().set(3);
            wb.train().quickRunProperty().set(true);
            wb.train().quickBatchesProperty().set(40);
            wb.window().select(NavItem.TRAIN);
            wb.train().start();
        });
        waitFor(() -> !wb.runner().isBusy() && !wb.train().runningProperty().get());
        view(NavItem.TRAIN, "train");
        view(NavItem.LEARN, "learn");
        // The paper's W4A4 setting with a 12-bit accumulator: previewed, applied, then a short QAT run.
        then(() -> {
            wb.bits().methodProperty().set(QuantMethod.A2Q_PLUS);
            wb.bits().weightBitsProperty().set(4);
            wb.bits().actBitsProperty().set(4);
            wb.bits().accBitsProperty().set(12);
            wb.window().select(NavItem.BIT_WIDTHS);
        });
        waitFor(() -> !wb.runner().isBusy() && wb.bits().previewTextProperty().get().startsWith("Preview"));
        view(NavItem.BIT_WIDTHS, "bit-widths");
        then(() -> wb.bits().apply());
        waitFor(() -> !wb.runner().isBusy() && wb.session().quantized());
        then(() -> {
            wb.train().epochsProperty().set(1);
            wb.train().quickBatchesProperty().set(60);
            wb.window().select(NavItem.TRAIN);
            wb.train().start();
        });
        waitFor(() -> !wb.runner().isBusy() && !wb.train().runningProperty().get());
        view(NavItem.BUDGETS, "budgets");
        // The error analysis runs on the worker after training; shoot its numbers, not "Measuring…".
        waitFor(() -> !wb.runner().isBusy() && !wb.error().rows().isEmpty()
                && !wb.error().statusProperty().get().startsWith("Measuring"));
        view(NavItem.ERROR, "error");
        // Below the layer's 12-bit target, so the picture shows where a wrapping register goes wrong.
        then(() -> {
            wb.window().select(NavItem.MAC_ARRAY);
            wb.mac().simdProperty().set(5);
            wb.mac().accBitsProperty().set(10);
            wb.mac().run();
        });
        waitFor(() -> !wb.runner().isBusy() && wb.mac().simulation() != null);
        // Mid-animation, a few cycles after the registers part: wrap has jumped, saturate sits at the top.
        then(() -> {
            var sim = wb.mac().simulation();
            int at = sim.divergenceStep() >= 0 ? sim.divergenceStep() + 2 : sim.steps() / 2;
            wb.mac().seek(Math.min(at, sim.steps() - 1));
        });
        view(NavItem.MAC_ARRAY, "mac-array");
        waitFor(() -> !wb.runner().isBusy() && !wb.tradeOffs().points().isEmpty());
        view(NavItem.TRADE_OFFS, "trade-offs");
        then(() -> wb.theme().darkProperty().set(true));
        view(NavItem.TRAIN, "train-dark");
        view(NavItem.LEARN, "learn-dark");
        view(NavItem.ERROR, "error-dark");
        view(NavItem.MAC_ARRAY, "mac-array-dark");
        view(NavItem.TRADE_OFFS, "trade-offs-dark");
        then(() -> {
            wb.theme().darkProperty().set(false);
            wb.theme().fontScaleProperty().set(1.5);
        });
        view(NavItem.LEARN, "learn-projector");
        view(NavItem.ERROR, "error-projector");
        view(NavItem.TRADE_OFFS, "trade-offs-projector");
        then(() -> {
            wb.theme().fontScaleProperty().set(1.0);
            wb.window().select(NavItem.TRAIN);
            wb.train().learningRateProperty().set("fast");
            wb.train().start();
        });
        pause();
        then(() -> {
            for (Window w : Window.getWindows()) {
                if (w != wb.stage() && w.getScene() != null) {
                    shoot(w.getScene(), "error-dialog");
                }
            }
            Platform.exit();
        });
        next();
    }

    private boolean idleWithModel() {
        return !wb.runner().isBusy() && !wb.model().layers().isEmpty() && wb.session().data() != null
                && !Double.isNaN(wb.model().accuracy());
    }

    private void view(NavItem item, String name) {
        then(() -> wb.window().select(item));
        pause();
        then(() -> shoot(wb.stage().getScene(), name));
    }

    private void then(Runnable r) {
        steps.add(() -> {
            r.run();
            next();
        });
    }

    private void pause() {
        steps.add(() -> {
            PauseTransition p = new PauseTransition(SETTLE);
            p.setOnFinished(e -> next());
            p.play();
        });
    }

    private void waitFor(BooleanSupplier condition) {
        steps.add(new Runnable() {
            @Override
            public void run() {
                if (condition.getAsBoolean()) {
                    next();
                } else {
                    PauseTransition p = new PauseTransition(Duration.millis(200));
                    p.setOnFinished(e -> run());
                    p.play();
                }
            }
        });
    }

    private void next() {
        Runnable r = steps.poll();
        if (r != null) {
            r.run();
        }
    }

    private void shoot(Scene scene, String name) {
        WritableImage img = scene.snapshot(null);
        Path file = dir.resolve(name + ".png");
        try {
            ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", file.toFile());
            LOG.info("wrote " + file);
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "could not write " + file, e);
        }
    }
}
