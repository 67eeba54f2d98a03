package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.a2q.engine.EngineException;

/**
 * Runs a loader over many mutants of valid files and records how each ended. A loader may load a
 * mutant or reject it with an {@link EngineException}; anything else (another exception, an Error,
 * a hang, or memory out of proportion to the file) is a finding the test reports with the seed and
 * mutant number needed to reproduce it.
 */
final class FuzzHarness {
    /** How one mutant is made: from a seed file and a random source, the bytes to load. */
    interface Mutator {
        byte[] mutate(byte[] seed, SplittableRandom rng);
    }

    /**
     * Loads a file; returns the bytes of ND4J (off-heap) arrays the result holds when it loaded,
     * throws when not. ND4J buffers bypass the Java heap counters, so they are counted from the result.
     */
    interface Loader {
        long load(Path file) throws Exception;
    }

    /** Outcome counts of one run, for the report line and the assertions. */
    static final class Tally {
        final String format;
        int mutants;
        int loaded;
        int rejected;
        long maxHeapBytes;
        long maxOffHeapBytes;
        long millis;
        final List<String> findings = new ArrayList<>();

        Tally(String format) {
            this.format = format;
        }

        String line() {
            return String.format(java.util.Locale.ROOT,
                    "fuzz %-10s mutants=%d loaded=%d rejected=%d findings=%d maxHeap=%.1fMiB maxOffHeap=%.0fKiB time=%dms",
                    format, mutants, loaded, rejected, findings.size(), maxHeapBytes / 1048576.0,
                    maxOffHeapBytes / 1024.0, millis);
        }
    }

    /** Java heap a load may allocate: generous for parsing, yet far below what a forged size would need. */
    static long heapLimit(long fileBytes) {
        return 64 * fileBytes + (16L << 20);
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Path dir;
    private final long perMutantMillis;
    private ExecutorService worker = Executors.newSingleThreadExecutor(FuzzHarness::daemon);

    FuzzHarness(Path dir, long perMutantMillis) {
        this.dir = dir;
        this.perMutantMillis = perMutantMillis;
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "fuzz-load");
        t.setDaemon(true); // a hung load must not keep the test JVM alive
        return t;
    }

    /**
     * Makes and loads {@code count} mutants, spread round-robin over the seeds and mutators, and
     * stops early only when {@code budgetMillis} is spent (the caller asserts the count reached).
     */
    Tally run(String format, String suffix, List<byte[]> seeds, List<Mutator> mutators, Loader loader,
              int count, long seed, long budgetMillis, Function<byte[], Long> sizeForLimit) throws IOException {
        Tally t = new Tally(format);
        SplittableRandom master = new SplittableRandom(seed);
        long start = System.nanoTime();
        Path file = dir.resolve("mutant" + suffix);
        try {
            for (int i = 0; i < count; i++) {
                if ((System.nanoTime() - start) / 1_000_000 > budgetMillis) {
                    break;
                }
                SplittableRandom rng = master.split();
                byte[] base = seeds.get(i % seeds.size());
                Mutator m = mutators.get((i / seeds.size()) % mutators.size());
                byte[] bytes = m.mutate(base, rng);
                Files.write(file, bytes);
                long limitBase = sizeForLimit == null ? bytes.length : Math.max(bytes.length, sizeForLimit.apply(bytes));
                t.mutants++;
                String where = format + " mutant " + i + " (seed " + seed + ", mutator " + m + ", " + bytes.length + " bytes)";
                one(t, where, file, loader, limitBase);
            }
        } finally {
            worker.shutdownNow();
        }
        t.millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println(t.line());
        for (String f : t.findings.subList(0, Math.min(10, t.findings.size()))) {
            System.out.println("  " + f);
        }
        return t;
    }

    private record Measured(Throwable error, long heap, long offHeap) { }

    private void one(Tally t, String where, Path file, Loader loader, long fileBytes) {
        Future<Measured> f = worker.submit(() -> {
            long tid = Thread.currentThread().getId();
            long before = THREADS.getThreadAllocatedBytes(tid);
            Throwable error = null;
            long off = 0;
            try {
                off = loader.load(file);
            } catch (Throwable e) {
                error = e;
            }
            long heap = THREADS.getThreadAllocatedBytes(tid) - before;
            return new Measured(error, heap, off);
        });
        Measured r;
        try {
            r = f.get(perMutantMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = Executors.newSingleThreadExecutor(FuzzHarness::daemon);
            t.findings.add(where + ": no answer within " + perMutantMillis + " ms");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            t.findings.add(where + ": harness failure " + e.getCause());
            return;
        }
        t.maxHeapBytes = Math.max(t.maxHeapBytes, r.heap());
        t.maxOffHeapBytes = Math.max(t.maxOffHeapBytes, r.offHeap());
        if (r.error() == null) {
            t.loaded++;
        } else if (r.error() instanceof EngineException e) {
            t.rejected++;
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                t.findings.add(where + ": EngineException without a message");
            }
        } else {
            java.io.StringWriter sw = new java.io.StringWriter();
            r.error().printStackTrace(new java.io.PrintWriter(sw));
            t.findings.add(where + ": " + sw.toString().lines().limit(8).reduce((a, b) -> a + " | " + b).orElse(""));
        }
        long limit = heapLimit(fileBytes);
        if (r.heap() > limit) {
            t.findings.add(where + ": allocated " + r.heap() + " heap bytes, limit " + limit);
        }
        if (r.offHeap() > limit) {
            t.findings.add(where + ": holds " + r.offHeap() + " off-heap bytes after loading, limit " + limit);
        }
    }

    static void assertClean(Tally t, int minimum) {
        assertTrue(t.mutants >= minimum, t.format + ": only " + t.mutants + " mutants ran within the time budget");
        assertTrue(t.findings.isEmpty(), t.format + ": " + t.findings.size() + " findings, first: "
                + String.join("\n", t.findings.subList(0, Math.min(5, t.findings.size()))));
    }

    // ---- generic byte-level mutators -------------------------------------------------------

    /** Named so a finding says which kind of damage caused it. */
    static Mutator named(String name, Mutator m) {
        return new Mutator() {
            @Override
            public byte[] mutate(byte[] seed, SplittableRandom rng) {
                return m.mutate(seed, rng);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    static List<Mutator> byteMutators() {
        return List.of(
                named("bitflips", (s, r) -> {
                    byte[] b = s.clone();
                    int n = 1 + r.nextInt(8);
                    for (int k = 0; k < n; k++) {
                        int p = r.nextInt(b.length);
                        b[p] ^= (byte) (1 << r.nextInt(8));
                    }
                    return b;
                }),
                named("insert", (s, r) -> {
                    int p = r.nextInt(s.length + 1);
                    int n = 1 + r.nextInt(16);
                    byte[] b = new byte[s.length + n];
                    System.arraycopy(s, 0, b, 0, p);
                    for (int k = 0; k < n; k++) {
                        b[p + k] = (byte) r.nextInt(256);
                    }
                    System.arraycopy(s, p, b, p + n, s.length - p);
                    return b;
                }),
                named("delete", (s, r) -> {
                    int p = r.nextInt(s.length);
                    int n = Math.min(s.length - p, 1 + r.nextInt(16));
                    byte[] b = new byte[s.length - n];
                    System.arraycopy(s, 0, b, 0, p);
                    System.arraycopy(s, p + n, b, p, s.length - p - n);
                    return b;
                }),
                named("truncate", (s, r) -> Arrays.copyOf(s, r.nextInt(s.length))),
                named("int32", (s, r) -> {
                    // Forged sizes: the values a hostile or corrupt header would hold, either byte order.
                    byte[] b = s.clone();
                    int p = r.nextInt(Math.max(1, Math.min(b.length - 4, 256)));
                    if (r.nextInt(4) == 0) {
                        p = r.nextInt(Math.max(1, b.length - 4));
                    }
                    int v = special(r);
                    boolean big = r.nextBoolean();
                    for (int k = 0; k < 4 && p + k < b.length; k++) {
                        b[p + k] = (byte) (big ? v >>> (24 - 8 * k) : v >>> (8 * k));
                    }
                    return b;
                }));
    }

    static int special(SplittableRandom r) {
        int[] v = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7fffff00, 65535, 1 << 20, 1 << 24, 0x00ffffff,
                   -2, 1 << 30};
        return v[r.nextInt(v.length)];
    }

    static long specialLong(SplittableRandom r) {
        long[] v = {0, 1, -1, -7, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 31, 1L << 32, 1L << 40,
                    1L << 62, 3, 100_000};
        return v[r.nextInt(v.length)];
    }
}
