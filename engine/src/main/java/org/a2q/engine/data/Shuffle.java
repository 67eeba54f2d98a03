package org.a2q.engine.data;

/**
 * Deterministic shuffling: the order depends only on (seed, epoch, n), on every machine and JVM.
 *
 * <p>The generator is our own SplitMix64 with a Fisher-Yates shuffle, and bounded draws use
 * integer arithmetic only. We avoid {@code java.util.Random}-family classes and ND4J's RNG because
 * their algorithms are not promised to stay the same across library or JDK versions, and a run
 * must be repeatable from its seed.
 */
public final class Shuffle {
    /** Odd constant (2^64 / golden ratio) that SplitMix64 adds per step; also spreads epochs apart. */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private Shuffle() {
    }

    /** A permutation of {@code 0..n-1} for this seed and epoch. */
    public static int[] permutation(int n, long seed, int epoch) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p, seed, epoch);
        return p;
    }

    /** Shuffles {@code a} in place (Fisher-Yates) with the stream for (seed, epoch). */
    public static void shuffle(int[] a, long seed, int epoch) {
        Rng rng = new Rng(seed, epoch);
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** SplitMix64: a 64-bit counter passed through a strong bit mixer. */
    static final class Rng {
        private long state;

        Rng(long seed, int epoch) {
            // Mixing seed and epoch before use makes neighbouring seeds/epochs give unrelated streams.
            this(mix(mix(seed) + GAMMA * (1L + Integer.toUnsignedLong(epoch))));
        }

        /** Starts from a raw state; the stream then equals SplittableRandom(state)'s, which tests use. */
        Rng(long state) {
            this.state = state;
        }

        long nextLong() {
            state += GAMMA;
            return mix(state);
        }

        /**
         * Uniform in [0, bound) without modulo bias: multiply a 32-bit draw by the bound and keep
         * the high half, rejecting the few low halves that would over-represent some results.
         */
        int nextInt(int bound) {
            if (bound <= 0) throw new IllegalArgumentException("bound must be > 0");
            long b = bound;
            long m = (nextLong() >>> 32) * b;
            long low = m & 0xFFFFFFFFL;
            if (low < b) {
                long threshold = (0x1_0000_0000L - b) % b;
                while (low < threshold) {
                    m = (nextLong() >>> 32) * b;
                    low = m & 0xFFFFFFFFL;
                }
            }
            return (int) (m >>> 32);
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
