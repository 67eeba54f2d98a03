package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.a2q.engine.EngineException;
import org.a2q.engine.io.RunFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process saving a run file in a loop is killed with SIGKILL at seeded random moments.
 * After every kill the file must load and be exactly one complete version — the last one the
 * child reported, or the one it was finishing — and any temp file the kill left behind must never
 * load as a good run.
 */
class CrashSafetyTest {
    static final int KILLS = 4;
    static final long BUDGET_MS = 90_000;

    @TempDir Path dir;

    @Test
    void killingAWriterAtRandomMomentsLeavesACompleteVersion() throws Exception {
        Path file = dir.resolve(RunFile.MODEL_FILE);
        SplittableRandom rng = new SplittableRandom(0x5161L);
        long start = System.nanoTime();
        int next = 1;
        int kills = 0;
        int partialsSeen = 0;
        List<String> report = new ArrayList<>();
        while (kills < KILLS && (System.nanoTime() - start) / 1_000_000 < BUDGET_MS) {
            Path log = dir.resolve("child" + kills + ".log");
            Process p = new ProcessBuilder(javaBinary(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    CrashingWriter.class.getName(), file.toString(), String.valueOf(next))
                    .redirectError(log.toFile()).start();
            AtomicInteger lastSaved = new AtomicInteger(-1);
            AtomicInteger savesSeen = new AtomicInteger();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("saved ")) {
                            lastSaved.set(Integer.parseInt(line.substring(6)));
                            savesSeen.incrementAndGet();
                        }
                    }
                } catch (IOException ignored) {
                    // the stream ends when the child dies
                }
            });
            reader.setDaemon(true);
            reader.start();
            // Wait for at least one save of this child, so the kill lands in its save loop.
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (savesSeen.get() < 1 && p.isAlive() && System.nanoTime() < waitUntil) {
                Thread.sleep(5);
            }
            if (savesSeen.get() < 1) {
                p.destroyForcibly().waitFor();
                fail("child wrote nothing within 60 s; its log: " + Files.readString(log));
            }
            long delay = rng.nextLong(0, 400);
            Thread.sleep(delay);
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks, no flush
            p.waitFor(30, TimeUnit.SECONDS);
            reader.join(5_000);
            kills++;

            int reported = lastSaved.get();
            RunFile.Run r;
            try {
                r = RunFile.load(file, null);
            } catch (EngineException e) {
                throw new AssertionError("after kill " + kills + " the run file does not load: " + e.getMessage(), e);
            }
            int found = r.epochsDone();
            // The file is the last reported version, or the next if the rename landed before the print.
            assertTrue(found == reported || found == reported + 1, "kill " + kills + ": file holds version " + found
                    + " but the child had reported " + reported);
            assertTrue(CrashingWriter.isVersion(r, found), "kill " + kills + ": version " + found + " is not complete");
            partialsSeen += checkLeftovers(dir, found);
            report.add("kill " + kills + " after " + delay + " ms: " + savesSeen.get() + " saves, file = version " + found);
            next = found + 1 + savesSeen.get(); // fresh numbers for the next child
        }
        report.forEach(System.out::println);
        System.out.println("crash safety: " + kills + " SIGKILLs, " + partialsSeen + " partial temp files left, all rejected");
        assertTrue(kills >= 3, "at least three kills within the time budget, got " + kills);
    }

    /** Temp files a kill left beside the target: none may pass for a good run. Returns how many. */
    static int checkLeftovers(Path dir, int current) throws IOException {
        int n = 0;
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".tmp")) {
                    continue;
                }
                n++;
                try {
                    RunFile.Run r = RunFile.load(f, null);
                    // A temp file that happens to be complete must still be a whole version, never a mix.
                    assertTrue(CrashingWriter.isVersion(r, r.epochsDone()), name + " loaded as a mix of versions");
                } catch (EngineException expected) {
                    // a partial file is recognised as such
                }
                Files.delete(f); // so the next kill's leftovers are judged on their own
            }
        }
        return n;
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java" + (File.separatorChar == '\\' ? ".exe" : "")).toString();
    }
}
