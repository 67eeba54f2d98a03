package org.a2q.engine;

import org.nd4j.linalg.factory.Nd4j;

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
    private static volatile boolean splitBySize = true;
    private static int masterThreadsSet = -1;  // what libnd4j was last told (a JNI call to change)

    private EngineRuntime() { }

    /** @param requested libnd4j threads; 0 = all available processors */
    public static synchronized void configure(int requested) {
        int n = requested > 0 ? requested : Runtime.getRuntime().availableProcessors();
        Nd4j.getEnvironment().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        Nd4j.factory().blas().setMaxThreads(1);
        threads = n;
        masterThreadsSet = n;
    }

    /**
     * Called before a native op whose largest array has {@code elements} values: small ops run on
     * one thread (see {@link #SMALL_OP_ELEMENTS}), large ones on all configured threads. It sets a
     * process-wide libnd4j limit, so an op that another Java thread runs meanwhile may get the
     * other setting: that changes its speed, never its result.
     */
    public static void threadsForOpSize(long elements) {
        int n = threads;
        int want = splitBySize && elements < SMALL_OP_ELEMENTS ? 1 : Math.max(n, 1);
        if (want != masterThreadsSet && n > 0) {
            Nd4j.getEnvironment().setMaxMasterThreads(want);
            masterThreadsSet = want;
        }
    }

    /** Whether small ops run single-threaded (default true); false gives libnd4j's own split, for comparisons. */
    public static void splitOpsBySize(boolean on) {
        splitBySize = on;
        if (!on && threads > 0) {
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            masterThreadsSet = threads;
        }
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
