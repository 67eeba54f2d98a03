package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * Which output pixel of a conv layer is worth watching when one test image is traced: every pixel
 * is a separate dot product, and most of them stay far from the register's limits. The CLI's
 * {@code trace} command and the workbench's MAC array view both pick the same one.
 */
public final class TracePixels {
    private TracePixels() {
    }

    /** The largest |exact partial sum| along a trace: how close this dot product comes to overflowing. */
    public static long maxAbsPartialSum(MacTrace t) {
        long a = 0;
        for (TraceStep s : t.steps()) {
            a = Math.max(a, Math.abs(s.exactPartialSum()));
        }
        return a;
    }

    /**
     * The pixel whose exact partial sums reach the largest magnitude (the first such pixel on a
     * tie), given the layer's input patches [pixels][K] from {@link IntegerModel#layerInput}.
     */
    public static int furthest(MatVecEngine engine, int channel, int[][] patches) {
        if (patches == null || patches.length == 0) {
            throw new EngineException("no input patches to choose a pixel from");
        }
        int best = 0;
        long bestAbs = -1;
        for (int p = 0; p < patches.length; p++) {
            long a = maxAbsPartialSum(engine.trace(channel, patches[p], p));
            if (a > bestAbs) {
                bestAbs = a;
                best = p;
            }
        }
        return best;
    }
}
