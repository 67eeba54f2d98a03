package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * An integer weight matrix q[Cout][K], output channel first (row c is the dot-product vector of
 * output c). Immutable: the constructor copies, accessors copy. Each row is its own zero-offset
 * array so the engine's inner loops index plain {@code int[]}s.
 */
public final class IntWeights {
    private final int[][] rows;
    private final int length;

    public IntWeights(int[][] rows) {
        if (rows == null || rows.length == 0) {
            throw new EngineException("the weight matrix has no output channels; pass int[Cout][K] with Cout ≥ 1");
        }
        if (rows[0] == null || rows[0].length == 0) {
            throw new EngineException("weight row 0 is empty; every row needs the dot-product length K ≥ 1");
        }
        this.length = rows[0].length;
        this.rows = new int[rows.length][];
        for (int c = 0; c < rows.length; c++) {
            if (rows[c] == null || rows[c].length != length) {
                throw new EngineException("weight row " + c + " has " + (rows[c] == null ? 0 : rows[c].length)
                        + " elements but row 0 has " + length + "; all rows of int[Cout][K] need the same K");
            }
            this.rows[c] = rows[c].clone();
        }
    }

    /** A single-output layer, convenient for one vector q. */
    public static IntWeights ofRow(int... q) {
        return new IntWeights(new int[][] {q});
    }

    /** Cout (FINN's MH). */
    public int outputs() {
        return rows.length;
    }

    /** K, the dot-product length (FINN's MW). */
    public int length() {
        return length;
    }

    public int weight(int channel, int i) {
        return rows[channel][i];
    }

    /** A copy of row c. */
    public int[] row(int channel) {
        checkChannel(channel);
        return rows[channel].clone();
    }

    /** A deep copy of the matrix. */
    public int[][] toArray() {
        int[][] copy = new int[rows.length][];
        for (int c = 0; c < rows.length; c++) {
            copy[c] = rows[c].clone();
        }
        return copy;
    }

    /** §2.5 worst case of row c for the given input format. */
    public WorstCase worstCase(int channel, InputFormat format) {
        checkChannel(channel);
        return WorstCase.of(rows[channel], format);
    }

    /** The internal row, for the engine's loops only; never handed out. */
    int[] rowRef(int channel) {
        return rows[channel];
    }

    void checkChannel(int channel) {
        if (channel < 0 || channel >= rows.length) {
            throw new EngineException("output channel " + channel + " does not exist; this layer has channels 0.."
                    + (rows.length - 1));
        }
    }
}
