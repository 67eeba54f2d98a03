package org.a2q.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.a2q.engine.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: exit codes, messages, no stack traces. */
class CliTest {
    @TempDir Path dir;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void infoListsTheLayers() {
        CliRun r = run("info", "--model", "lenet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("61,706 parameters"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("conv2") && l.contains("150")), r.out());
    }

    @Test
    void benchTimesFloatAndQuantizedTrainingAndProfilesTheLayers() {
        CliRun r = run("bench", "--model", "lenet", "--batch", "8", "--warmup", "2", "--steps", "30", "--jit-idle-steps", "0",
                "--method", "a2q+", "--acc-bits", "12", "--profile");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("training warmed up for 2 steps"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("train (a2q+ W4A4 P12)") && l.contains("images/s")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("train (fp32, alternated)")), out);
        assertTrue(out.contains("quantization-aware training costs"), out);
        // the moved quantizers keep their own rows in the profile, with a forward and a backward time
        java.util.Optional<String> quantRow = out.lines().filter(l -> l.startsWith("relu1.quant")).findFirst();
        assertTrue(quantRow.isPresent(), out);
        String[] cols = quantRow.get().trim().split("\\s+");
        assertTrue(Double.parseDouble(cols[1]) > 0 && Double.parseDouble(cols[2]) > 0, quantRow.get());
        assertTrue(out.lines().anyMatch(l -> l.startsWith("inference (fp32)")), out);

        CliRun bad = run("bench", "--rounds", "3");
        assertEquals(1, bad.code());
        assertEquals("error: --rounds counts comparisons with PyTorch: use it with --compare-torch, 1 or more",
                bad.err().strip());
    }

    @Test
    void trainSavesARunThatEvalReads() {
        Path run = dir.resolve("run");
        CliRun t = run("train", "--model", "mlp", "--data", TestData.sampleDir().toString(), "--epochs", "1",
                "--steps-per-epoch", "30", "--out", run.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.exists(run.resolve("model.a2q")));
        assertTrue(Files.exists(run.resolve("metrics.csv")));
        assertTrue(t.err().contains("epoch 1/1"), t.err());
        CliRun e = run("eval", run.toString(), "--data", TestData.sampleDir().toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().startsWith("test accuracy "), e.out());
    }

    @Test
    void missingDataIsOneClearLine() {
        CliRun r = run("train", "--data", dir.resolve("nowhere").toString(), "--epochs", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("nowhere"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void wrongMagicNamesTheFile() throws IOException {
        Path d = dir.resolve("bad");
        Files.createDirectories(d);
        for (String f : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte"}) {
            Files.copy(TestData.sampleDir().resolve(f + ".gz"), d.resolve(f + ".gz"));
        }
        // labels where images should be
        Files.copy(d.resolve("train-labels-idx1-ubyte.gz"), d.resolve("train-images-idx3-ubyte.gz"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CliRun r = run("train", "--data", d.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("train-images-idx3-ubyte.gz") && r.err().contains("magic"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void unknownModelAndBadOptionsSayWhatWouldWork() {
        CliRun r = run("train", "--model", "vgg99");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("[mlp, lenet, resnet]"), r.err());
        CliRun u = run("train", "--epochs", "many");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("--epochs"), u.err());
    }

    @Test
    void verboseShowsTheStackTrace() {
        CliRun r = run("eval", dir.resolve("nothing").toString(), "--verbose");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
