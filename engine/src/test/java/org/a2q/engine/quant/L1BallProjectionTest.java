package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

/** a2q-math.md §7.5 and the properties of §9. */
class L1BallProjectionTest {
    private static final double TOL = 1e-6;

    @Test
    void table75FirstRow() {
        check(new double[] {0.8, -0.6, 0.3, -0.1, 0.05}, 1.0,
                new double[] {0.566667, -0.366667, 0.066667, 0, 0}, 0.233333, 3);
    }

    @Test
    void table75TwoElements() {
        check(new double[] {3, 1}, 2, new double[] {2, 0}, 1, 1);
    }

    @Test
    void table75EqualElements() {
        check(new double[] {1, 1, 1}, 1.5, new double[] {0.5, 0.5, 0.5}, 0.5, 3);
    }

    @Test
    void table75WithZeroEntry() {
        check(new double[] {2, -2, 1, 0}, 3, new double[] {4.0 / 3, -4.0 / 3, 1.0 / 3, 0}, 2.0 / 3, 3);
    }

    @Test
    void table75InsideTheBallIsUnchanged() {
        double[] w = {0.5, -0.2};
        L1BallProjection.Result r = L1BallProjection.project(w, 1.0);
        assertFalse(r.projected());
        assertArrayEquals(w, r.values(), 0.0);
    }

    @Test
    void radiusMustBePositive() {
        assertThrows(EngineException.class, () -> L1BallProjection.project(new double[] {1}, 0));
        assertThrows(EngineException.class, () -> L1BallProjection.project(new double[] {1}, Double.NaN));
    }

    /** ‖out‖₁ = min(‖w‖₁, r), signs kept, |out_i| ≤ |w_i|, idempotent, and no random feasible point is closer. */
    @Test
    void propertiesOnRandomVectors() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 500; trial++) {
            int k = 1 + rnd.nextInt(30);
            double[] w = new double[k];
            double l1 = 0;
            for (int i = 0; i < k; i++) {
                w[i] = rnd.nextGaussian() * (rnd.nextInt(4) == 0 ? 0.01 : 1.0);
                l1 += Math.abs(w[i]);
            }
            double r = 0.05 + rnd.nextDouble() * 1.5 * l1;
            double[] out = L1BallProjection.project(w, r).values();
            double outL1 = 0;
            for (int i = 0; i < k; i++) {
                outL1 += Math.abs(out[i]);
                assertTrue(out[i] == 0 || Math.signum(out[i]) == Math.signum(w[i]), "sign of " + i);
                assertTrue(Math.abs(out[i]) <= Math.abs(w[i]) + 1e-15);
            }
            assertEquals(Math.min(l1, r), outL1, 1e-9 * (1 + l1));
            L1BallProjection.Result again = L1BallProjection.project(out, r * (1 + 1e-12));
            assertFalse(again.projected());
            double best = dist2(out, w);
            for (int probe = 0; probe < 20; probe++) {
                double[] y = randomFeasible(rnd, k, r);
                assertTrue(dist2(y, w) >= best - 1e-12);
                // also the segment between out and a feasible point stays no closer (convexity)
                double t = rnd.nextDouble() * 0.1;
                double[] mix = new double[k];
                for (int i = 0; i < k; i++) mix[i] = (1 - t) * out[i] + t * y[i];
                assertTrue(dist2(mix, w) >= best - 1e-12);
            }
        }
    }

    private static double[] randomFeasible(Random rnd, int k, double r) {
        double[] y = new double[k];
        double l1 = 0;
        for (int i = 0; i < k; i++) {
            y[i] = rnd.nextGaussian();
            l1 += Math.abs(y[i]);
        }
        double scale = r * rnd.nextDouble() / l1;
        for (int i = 0; i < k; i++) y[i] *= scale;
        return y;
    }

    private static double dist2(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    private static void check(double[] w, double r, double[] expected, double theta, int rho) {
        L1BallProjection.Result res = L1BallProjection.project(w, r);
        assertTrue(res.projected());
        assertArrayEquals(expected, res.values(), TOL);
        assertEquals(theta, res.theta(), TOL);
        assertEquals(rho, res.rho());
    }
}
