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

    private EngineRuntime() { }

    /** @param requested libnd4j threads; 0 = all available processors */
    public static synchronized void configure(int requested) {
        int n = requested > 0 ? requested : Runtime.getRuntime().availableProcessors();
        Nd4j.getEnvironment().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        Nd4j.factory().blas().setMaxThreads(1);
        threads = n;
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
