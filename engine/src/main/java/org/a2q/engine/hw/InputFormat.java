package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * The integer format of a layer's input x: N bits, signed range [−2^(N−1), 2^(N−1)−1] or unsigned
 * [0, 2^N−1]. In both cases x_max − x_min = 2^N − 1, which is what the A2Q+ bound uses.
 * N is limited so that every value fits a Java {@code int}: 1..32 signed, 1..31 unsigned.
 */
public record InputFormat(int bits, boolean signed) {

    public InputFormat {
        int maxBits = signed ? 32 : 31;
        if (bits < 1 || bits > maxBits) {
            throw new EngineException("input width N=" + bits + " is not supported for " + (signed ? "signed" : "unsigned")
                    + " inputs; use 1.." + maxBits + " bits");
        }
    }

    public static InputFormat signed(int bits) {
        return new InputFormat(bits, true);
    }

    public static InputFormat unsigned(int bits) {
        return new InputFormat(bits, false);
    }

    /** x_min: −2^(N−1) when signed, else 0. */
    public int min() {
        return signed ? (int) (-1L << (bits - 1)) : 0;
    }

    /** x_max: 2^(N−1) − 1 when signed, else 2^N − 1. */
    public int max() {
        return signed ? (int) ((1L << (bits - 1)) - 1) : (int) ((1L << bits) - 1);
    }

    /** FINN-style datatype name, e.g. INT8 or UINT4. */
    public String finnName() {
        return (signed ? "INT" : "UINT") + bits;
    }

    /**
     * Checks that x has the expected length and every element is in [x_min, x_max].
     * {@code what} names the vector in the error message, e.g. "input vector 12".
     */
    public void check(int[] x, int expectedLength, String what) {
        if (x == null) {
            throw new EngineException(what + " is missing; pass an int array of length " + expectedLength);
        }
        if (x.length != expectedLength) {
            throw new EngineException(what + " has " + x.length + " elements but the layer's dot-product length is "
                    + expectedLength + "; pass vectors of exactly " + expectedLength + " elements");
        }
        if (!contains(x, 0, x.length)) {
            int lo = min();
            int hi = max();
            for (int i = 0; i < x.length; i++) {
                if (x[i] < lo || x[i] > hi) {
                    throw new EngineException(what + ": element " + i + " is " + x[i] + ", outside the " + finnName()
                            + " range [" + lo + ", " + hi + "]; quantize the inputs to " + finnName()
                            + " or declare a format wide enough for them");
                }
            }
        }
    }

    /**
     * True when x[from..to) all lie in [x_min, x_max]: a branch-free min/max scan (cheap,
     * vectorisable), so callers locate a culprit only on failure.
     */
    public boolean contains(int[] x, int from, int to) {
        int mn = Integer.MAX_VALUE;
        int mx = Integer.MIN_VALUE;
        for (int i = from; i < to; i++) {
            mn = Math.min(mn, x[i]);
            mx = Math.max(mx, x[i]);
        }
        return from >= to || (mn >= min() && mx <= max());
    }

    @Override
    public String toString() {
        return finnName();
    }
}
