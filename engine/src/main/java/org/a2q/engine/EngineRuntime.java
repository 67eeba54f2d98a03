package org.a2q.engine;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Process-wide ND4J settings. On small machines the thread pools matter more than anything:
 * OpenBLAS threads spin after each call and steal the cores libnd4j's OpenMP/oneDNN kernels need
 * (perf-notes.md: small ops 100–250 µs instead of 10–60 µs), so BLAS gets one thread and
 * libnd4j gets the rest.
 */
public final class EngineRuntime {
    private static volatile int threads;

    /**
     * Below this many elements an op runs on one of libnd4j's threads. Its elementwise ops and
     * reductions split over all threads (its "master threads") whatever their size, and on two
     * cores the split costs more than it saves up to ~100k elements (multiply, 1 vs 2 threads:
     * 1.5 vs 7.6 µs on 2,400 values, 8.2 vs 12.3 on 48k, 15.4 vs 17.0 on 100k; but 27.8 vs 22.2
     * on 200k and 153 vs 98 on 1.25M). Timed in alternation over whole training steps: LeNet A2Q+
     * QAT 1–7 % faster, MLP 3 %, float LeNet and ResNet unchanged (a 2^17 cut made ResNet 2–3 %
     * slower: its 100k-value batch-norm passes want both threads).
     */
    public static final long SMALL_OP_ELEMENTS = 1L << 16;
    // OpenMP's thread count is per calling thread (omp_set_num_threads), and oneDNN's convolutions
    // and pools take theirs from it, not from libnd4j's limits: with --threads 1 they still ran on
    // two (conv2 forward 205 µs at a CPU/wall ratio of 2.0, 290 µs at 1.0 once set). Each thread
    // that runs native ops applies the current setting once, see applyToThisThread().
    private static volatile int generation;
    private static final ThreadLocal<int[]> APPLIED = ThreadLocal.withInitial(() -> new int[] {-1});
    // Threads each op may use: all configured ones, or 1 while Java threads share the cores
    // between them (a data-parallel training step, see setOpThreads).
    private static volatile int opThreads;

    private EngineRuntime() { }

    /** @param requested libnd4j threads; 0 = all available processors */
    public static synchronized void configure(int requested) {
        int n = requested > 0 ? requested : Runtime.getRuntime().availableProcessors();
        Nd4j.factory().blas().setMaxThreads(1);
        threads = n;
        opThreads = 0;   // apply even when unchanged: configure is also the first call
        setOpThreads(n);
    }

    /**
     * How many threads one native op may use, process-wide: the configured count, or 1 while
     * several Java threads each run their own ops (two threads each running half a batch on one
     * core beat one thread running the whole batch on two by 1.2–1.4x here). Every thread applies
     * a change before its next op.
     */
    public static synchronized void setOpThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads per op must be ≥ 1, got " + n);
        }
        if (n == opThreads) {
            return;
        }
        Nd4j.getEnvironment().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        opThreads = n;
        generation++;
        applyToThisThread();
    }

    /** Every configured thread for each op again (after a data-parallel section). */
    public static void allOpThreads() {
        if (opThreads != threads && threads > 0) {
            setOpThreads(threads);
        }
    }

    /**
     * Gives the calling thread's OpenMP regions (oneDNN kernels) the configured thread count, once
     * per thread and configuration; called before every native op (a thread-local read).
     */
    public static void applyToThisThread() {
        int[] applied = APPLIED.get();
        int g = generation;
        if (applied[0] != g && opThreads > 0) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(opThreads);
            applied[0] = g;
        }
    }

    /**
     * Called before a native op whose largest array has {@code elements} values: a small op (see
     * {@link #SMALL_OP_ELEMENTS}) gets one thread, and the caller must call {@link #endSmallOp()}
     * after it when this returns true. The limit is process-wide and every other op (legacy
     * assigns, copies) runs with whatever it is, so it is lowered only for the duration of one op
     * (34 ns per change): left at 1 after a small op, LeNet inference's im2col copy that followed
     * ran single-threaded and the forward pass got 1.5x slower. Another Java thread's op that
     * runs meanwhile may get one thread too: that changes its speed, never its result.
     */
    public static boolean beginSmallOp(long elements) {
        applyToThisThread();
        if (opThreads <= 1 || elements >= SMALL_OP_ELEMENTS) {
            return false;
        }
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        return true;
    }

    /** Gives libnd4j all configured threads again, after {@link #beginSmallOp} returned true. */
    public static void endSmallOp() {
        Nd4j.getEnvironment().setMaxMasterThreads(opThreads);
    }

    public static int threads() {
        return threads;
    }

    /** One line describing the numeric backend, for info output and reports. */
    public static String describe() {
        return "ND4J " + Nd4j.getBackend().getClass().getSimpleName() + ", " + Nd4j.getEnvironment().maxThreads()
                + " thread(s), default type " + Nd4j.defaultFloatingPointType();
    }
}
