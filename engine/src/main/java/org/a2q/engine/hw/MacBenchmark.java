package org.a2q.engine.hw;

import java.util.SplittableRandom;

/**
 * Throughput check of {@link MatVecEngine} on a LeNet-sized layer (conv2: 16 outputs, 6·5·5 = 150
 * inputs, 10×10 output pixels, so 100 dot products of 150 per channel per image), W4 weights and
 * UINT4 inputs, over a number of images (default 10 000, i.e. 2.4·10^9 MACs per mode).
 *
 * <p>Not a test: timings depend on the machine. The patches come from a pool of pre-built random
 * images reused cyclically, so the measurement is the engine alone, not im2col or data generation.
 * P = 10 is below every row's worst case (≈13 bits), so SATURATE takes its sequential path.
 *
 * <p>Usage: {@code MacBenchmark [images] [accBits]}.
 */
public final class MacBenchmark {
    private static final int COUT = 16;
    private static final int K = 150;
    private static final int PIXELS = 100;
    private static final int POOL = 200;

    private MacBenchmark() {
    }

    public static void main(String[] args) {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int accBits = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        SplittableRandom rnd = new SplittableRandom(42);
        int[][] q = new int[COUT][K];
        for (int[] row : q) {
            for (int i = 0; i < K; i++) {
                row[i] = rnd.nextInt(15) - 7;
            }
        }
        IntWeights w = new IntWeights(q);
        InputFormat f = InputFormat.unsigned(4);
        int[][][] pool = new int[POOL][PIXELS][K];
        for (int[][] image : pool) {
            for (int[] patch : image) {
                for (int i = 0; i < K; i++) {
                    patch[i] = rnd.nextInt(16);
                }
            }
        }
        long macs = (long) images * PIXELS * COUT * K;
        System.out.printf("layer %dx%d, %d pixels/image, %d images, %s inputs, P=%d: %.2e MACs per run%n",
                COUT, K, PIXELS, images, f, accBits, (double) macs);
        System.out.printf("worst case of channel 0: %d bits; channels safe at P=%d: %d of %d%n",
                w.worstCase(0, f).exactBits(), accBits, countSafe(w, f, accBits), COUT);
        for (AccumulatorMode mode : AccumulatorMode.values()) {
            run(w, f, accBits, mode, Folding.SEQUENTIAL, pool, images, false, macs);
            run(w, f, accBits, mode, Folding.SEQUENTIAL, pool, images, true, macs);
        }
        run(w, f, accBits, AccumulatorMode.SATURATE, new Folding(4, 25), pool, images, true, macs);
        run(w, f, accBits, AccumulatorMode.WRAP, new Folding(4, 25), pool, images, true, macs);
    }

    private static int countSafe(IntWeights w, InputFormat f, int p) {
        int n = 0;
        for (int c = 0; c < w.outputs(); c++) {
            n += w.worstCase(c, f).fitsIn(p) ? 1 : 0;
        }
        return n;
    }

    private static void run(IntWeights w, InputFormat f, int p, AccumulatorMode mode, Folding folding,
                            int[][][] pool, int images, boolean stats, long macs) {
        MatVecEngine e = new MatVecEngine(w, f, p, mode, folding);
        long[][] out = new long[PIXELS][COUT];
        // Warm-up so the JIT has compiled the loops before timing.
        pass(e, pool, Math.min(images, 1000), out, stats ? e.newTally() : null);
        OverflowTally tally = stats ? e.newTally() : null;
        long t0 = System.nanoTime();
        long check = pass(e, pool, images, out, tally);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-8s PE=%d SIMD=%-3d %-10s %7.3f s  %6.2f GMAC/s  (checksum %d%s)%n", mode, folding.pe(),
                folding.simd(), stats ? "+tally" : "no tally", s, macs / s / 1e9, check,
                tally == null ? "" : ", excursions " + tally.totalExcursions() + ", wrong " + tally.totalMismatches()
                        + ", bits needed " + tally.bitsNeeded());
    }

    private static long pass(MatVecEngine e, int[][][] pool, int images, long[][] out, OverflowTally tally) {
        long check = 0;
        for (int img = 0; img < images; img++) {
            e.compute(pool[img % pool.length], out, tally);
            check += out[img % PIXELS][img % COUT];
        }
        return check;
    }
}
