package org.a2q.engine.cli;

import java.io.PrintWriter;
import org.a2q.engine.train.TrainListener;

/**
 * Training progress on the terminal: one self-overwriting line per epoch when attached to a
 * console, otherwise a line every 10 % of an epoch (readable in CI logs), then an epoch summary.
 */
final class ProgressBar implements TrainListener {
    private static final int WIDTH = 24;
    private final PrintWriter out;
    private final boolean console;
    private long lastPrint;
    private int lastDecile = -1;

    ProgressBar(PrintWriter out, boolean console) {
        this.out = out;
        this.console = console;
    }

    @Override
    public void onStep(StepEvent e) {
        long now = System.nanoTime();
        int decile = (int) (10L * e.step() / Math.max(1, e.stepsPerEpoch()));
        boolean last = e.step() == e.stepsPerEpoch();
        if (console) {
            if (now - lastPrint < 100_000_000L && !last) {
                return;
            }
            lastPrint = now;
            out.print("\r" + line(e));
            out.flush();
        } else if (decile != lastDecile && decile > 0 && !last) {
            lastDecile = decile;
            out.println(line(e));
            out.flush();
        }
    }

    private String line(StepEvent e) {
        double frac = (double) e.step() / Math.max(1, e.stepsPerEpoch());
        int filled = (int) Math.round(frac * WIDTH);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        return String.format("epoch %d [%s] %3.0f%%  loss %.4f  acc %5.1f%%  %,7.0f img/s  lr %.2e  ETA %s",
                e.epoch() + 1, bar, frac * 100, e.loss(), e.batchAccuracy() * 100, e.imagesPerSecond(),
                e.learningRate(), duration(e.etaSeconds()));
    }

    @Override
    public void onEpoch(EpochEvent e) {
        if (console) {
            out.print("\r" + " ".repeat(110) + "\r");
        }
        lastDecile = -1;
        out.println(String.format("epoch %d/%d  train loss %.4f  train acc %.2f%%%s  %,.0f img/s  %.1f s",
                e.epoch() + 1, e.epochs(), e.trainLoss(), e.trainAccuracy() * 100,
                Double.isNaN(e.testAccuracy()) ? "" : String.format("  test acc %.2f%%", e.testAccuracy() * 100),
                e.imagesPerSecond(), e.seconds()));
        out.flush();
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                         : String.format("%d:%02d", s / 60, s % 60);
    }
}
