package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.a2q.engine.TestData;
import org.a2q.engine.cli.CliRun;
import org.a2q.engine.data.IdxDatasets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Impossible settings reach the user as one line that says what is wrong and what would work,
 * with exit code 1 and no stack trace; each case goes through the real command line.
 */
class BadConfigCliTest {
    @TempDir Path dir;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A user-facing rejection: exit 1, a single "error:" line containing every expected fragment. */
    static void rejected(CliRun r, String... fragments) {
        assertEquals(1, r.code(), "exit code; stderr: " + r.err() + " stdout: " + r.out());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace or class names: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "message should mention '" + f + "': " + r.err());
        }
    }

    String data() {
        return TestData.sampleDir().toString();
    }

    @Test
    void weightBitsBelowTwoAreRefusedWithTheRange() {
        rejected(run("quantize", "--method", "a2q", "--weight-bits", "1", "--data", data(), "--out", dir.resolve("q").toString()),
                "weight", "1", "2");
    }

    @Test
    void accumulatorBitsBelowTwoAndAboveSixtyFourAreRefused() {
        rejected(run("quantize", "--method", "a2q", "--acc-bits", "1", "--data", data(), "--out", dir.resolve("q").toString()),
                "accumulator", "2..64", "1");
        rejected(run("quantize", "--method", "a2q", "--acc-bits", "65", "--data", data(), "--out", dir.resolve("q").toString()),
                "accumulator", "2..64", "65");
    }

    @Test
    void activationBitsAboveSixteenAreRefused() {
        rejected(run("quantize", "--method", "a2q", "--act-bits", "17", "--data", data(), "--out", dir.resolve("q").toString()),
                "activation", "1..16", "17");
    }

    /**
     * One quantized MLP with P = 4 for the tests below: a 4-bit accumulator fed 4-bit activations leaves
     * the hidden layer an l1 budget below one, so ⌊T⌋ = 0 and every hidden weight must be zero. Quantizing
     * once keeps the class fast.
     */
    @BeforeAll
    static void quantizeWithAZeroBudget() {
        zeroBudgetRun = shared.resolve("q");
        zeroBudgetQuantize = run("quantize", "--model", "mlp", "--method", "a2q", "--acc-bits", "4",
                "--calibration-batches", "1", "--data", TestData.sampleDir().toString(), "--out", zeroBudgetRun.toString());
    }

    @TempDir static Path shared;
    static Path zeroBudgetRun;
    static CliRun zeroBudgetQuantize;

    @Test
    void simulatorRefusesAccumulatorsWiderThanItsRegisters() {
        // Registers are 2..32 bits, or 64 for the exact reference; 40 describes no hardware.
        assertEquals(0, zeroBudgetQuantize.code(), zeroBudgetQuantize.err());
        String q = zeroBudgetRun.toString();
        rejected(run("simulate", q, "--acc-bits", "40", "--limit", "10", "--data", data()), "40", "2..32", "64");
        rejected(run("simulate", q, "--acc-bits", "1", "--limit", "10", "--data", data()), "1", "2..32");
        CliRun ok = run("simulate", q, "--acc-bits", "32", "--limit", "10", "--data", data());
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void budgetBelowOneIsAllowedButWarned() {
        CliRun r = zeroBudgetQuantize;
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(zeroBudgetRun.resolve("model.a2q")));
        assertTrue(r.out().contains("WARNING: budget < 1"), "quantize itself warns: " + r.out() + r.err());
        CliRun rep = run("report", zeroBudgetRun.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(rep.out().contains("WARNING: budget < 1, every weight is zero"), rep.out());
    }

    @Test
    void dataOfAnotherShapeThanTheModelNamesBothShapes() {
        rejected(run("train", "--model", "lenet", "--data", writeIdx(dir.resolve("d32"), 32, 32, 10).toString(), "--epochs", "1",
                "--steps-per-epoch", "1"), "32x32", "28x28");
    }

    @Test
    void aDataSetWithOneClassIsRefusedBeforeTraining() {
        rejected(run("train", "--model", "mlp", "--data", writeIdx(dir.resolve("one"), 28, 28, 1).toString(), "--epochs", "1",
                "--steps-per-epoch", "1"), "class");
    }

    /** A tiny IDX data set directory: 40 train and 20 test images of h×w pixels, labels 0..classes-1. */
    static Path writeIdx(Path d, int h, int w, int classes) {
        try {
            Files.createDirectories(d);
            write(d.resolve(IdxDatasets.TRAIN_IMAGES + ".gz"), images(40, h, w));
            write(d.resolve(IdxDatasets.TRAIN_LABELS + ".gz"), labels(40, classes));
            write(d.resolve(IdxDatasets.TEST_IMAGES + ".gz"), images(20, h, w));
            write(d.resolve(IdxDatasets.TEST_LABELS + ".gz"), labels(20, classes));
            return d;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] images(int n, int h, int w) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * h * w).putInt(0x803).putInt(n).putInt(h).putInt(w);
        for (int i = 0; i < n * h * w; i++) {
            b.put((byte) (i * 31));
        }
        return b.array();
    }

    static byte[] labels(int n, int classes) {
        ByteBuffer b = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % classes));
        }
        return b.array();
    }

    static void write(Path f, byte[] raw) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(o)) {
            z.write(raw);
        }
        Files.write(f, o.toByteArray());
    }
}
