package org.a2q.engine.hw;

import org.a2q.engine.EngineException;

/**
 * The inputs that drive one output channel to its §2.5 extremes. For y = Σ q_i·x_i each term is
 * maximised independently by x_i = x_max when q_i &gt; 0 and x_i = x_min when q_i &lt; 0, giving
 * y = x_max·Pos − x_min·Neg = hi; the reverse choice gives lo. Where q_i = 0 the input does not
 * matter; it is set to 0 (in range for every format) so the trace shows a zero product.
 *
 * <p>Every product of the maximising input is ≥ 0 (x_max ≥ 0, x_min ≤ 0), so its partial sums rise
 * monotonically: a register that cannot hold hi overflows on this input in every schedule, and a
 * saturating one ends exactly at 2^(P−1)−1. Symmetrically for the minimising input and lo.
 */
public final class AdversarialInput {
    private AdversarialInput() {
    }

    /** x with Σ q_i·x_i = hi. */
    public static int[] maximizing(int[] q, InputFormat format) {
        return choose(q, format, format.max(), format.min());
    }

    /** x with Σ q_i·x_i = lo. */
    public static int[] minimizing(int[] q, InputFormat format) {
        return choose(q, format, format.min(), format.max());
    }

    /** The maximising input of an engine's channel. */
    public static int[] maximizing(MatVecEngine engine, int channel) {
        return maximizing(engine.weights().row(channel), engine.format());
    }

    /** The minimising input of an engine's channel. */
    public static int[] minimizing(MatVecEngine engine, int channel) {
        return minimizing(engine.weights().row(channel), engine.format());
    }

    /** The accumulator trace of channel c on its maximising input. */
    public static MacTrace maximizingTrace(MatVecEngine engine, int channel) {
        return engine.trace(channel, maximizing(engine, channel));
    }

    /** The accumulator trace of channel c on its minimising input. */
    public static MacTrace minimizingTrace(MatVecEngine engine, int channel) {
        return engine.trace(channel, minimizing(engine, channel));
    }

    private static int[] choose(int[] q, InputFormat format, int whenPositive, int whenNegative) {
        if (q == null || format == null) {
            throw new EngineException("a weight vector and an input format are required for the adversarial input");
        }
        int[] x = new int[q.length];
        for (int i = 0; i < q.length; i++) {
            x[i] = q[i] > 0 ? whenPositive : (q[i] < 0 ? whenNegative : 0);
        }
        return x;
    }
}
