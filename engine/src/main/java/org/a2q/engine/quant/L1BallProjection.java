package org.a2q.engine.quant;

import java.util.Arrays;
import org.a2q.engine.EngineException;

/**
 * Euclidean projection onto the l1 ball {x : ‖x‖₁ ≤ r}, the sort-based method of Duchi,
 * Shalev-Shwartz, Singer and Chandra (ICML 2008), as used by EP-init (a2q-math.md §4.3).
 * O(K log K); the result is a soft-thresholding of w by θ, so every |w_i| ≤ θ becomes 0.
 */
public final class L1BallProjection {
    private L1BallProjection() {}

    /**
     * @param values    the projected vector (a fresh array; a copy of w when already inside)
     * @param theta     the soft threshold θ (0 when not projected)
     * @param rho       the number of entries kept non-zero by the threshold ρ (0 when not projected)
     * @param projected false when ‖w‖₁ ≤ r and w was returned unchanged
     */
    public record Result(double[] values, double theta, int rho, boolean projected) {}

    /** Projects w onto the l1 ball of radius r > 0 (§4.3 pseudo-code). */
    public static Result project(double[] w, double r) {
        if (!(r > 0) || Double.isInfinite(r)) {
            throw new EngineException("l1-ball radius must be positive and finite, got " + r);
        }
        int k = w.length;
        double[] mag = new double[k];
        double l1 = 0;
        for (int i = 0; i < k; i++) {
            if (!Double.isFinite(w[i])) {
                throw new EngineException("cannot project a vector with a non-finite entry at index " + i);
            }
            mag[i] = Math.abs(w[i]);
            l1 += mag[i];
        }
        if (l1 <= r) {
            return new Result(w.clone(), 0.0, 0, false);
        }
        Arrays.sort(mag); // ascending; walk it from the end for the descending order u_1 ≥ u_2 ≥ …
        double cumulative = 0;
        double cumulativeAtRho = 0;
        int rho = 0;
        for (int j = 1; j <= k; j++) {
            double u = mag[k - j];
            cumulative += u;
            if (u * j > cumulative - r) { // ρ = max{j : u_j·j > cs_j − r}
                rho = j;
                cumulativeAtRho = cumulative;
            }
        }
        double theta = (cumulativeAtRho - r) / rho; // θ = (cs_ρ − r)/ρ
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            double shrunk = Math.abs(w[i]) - theta;
            out[i] = shrunk > 0 ? Math.copySign(shrunk, w[i]) : 0.0; // sign(w_i)·max(|w_i| − θ, 0)
        }
        return new Result(out, theta, rho, true);
    }
}
