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
        assertEquals("error: --rounds counts comparisons (with PyTorch, or of quantized with float training): "
                + "use it with --compare-torch or --method, 1 or more", bad.err().strip());
    }

    @Test
    void benchRepeatsTheQuantizedComparisonAndReportsTheMedianRound() {
        CliRun r = run("bench", "--model", "lenet", "--batch", "8", "--warmup", "2", "--steps", "25", "--jit-idle-steps", "0",
                "--method", "a2q", "--acc-bits", "14", "--rounds", "3");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        java.util.List<Double> rounds = new java.util.ArrayList<>();
        rounds.add(percent(out.lines().filter(l -> l.startsWith("quantization-aware training costs") && l.contains("(medians)"))
                .findFirst().orElseThrow()));
        out.lines().filter(l -> l.startsWith("round ")).forEach(l -> rounds.add(percent(l)));
        assertEquals(3, rounds.size(), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("round 3: a2q ")), out);
        String summary = out.lines().filter(l -> l.contains("(median of 3 rounds")).findFirst().orElseThrow();
        java.util.Collections.sort(rounds);
        // the summary's median and range are the rounds' own (each printed to 0.1 %)
        assertEquals(rounds.get(1), percent(summary), 0.051, summary);
        assertTrue(summary.contains(String.format(java.util.Locale.ROOT, "range %+.1f%% to %+.1f%%", rounds.get(0), rounds.get(2))),
                summary);
    }

    /** The first signed percentage in a line, e.g. "+12.5%" in "... costs +12.5% time per step". */
    private static double percent(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([+-][0-9]+\\.[0-9])%").matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }

    /** bench with the source tree as home (where engine/bench/torch_reference.py lies); tests run in engine/. */
    private static CliRun benchFromSourceTree(String... args) {
        String before = System.getProperty("a2q.home");
        System.setProperty("a2q.home", Path.of("").toAbsolutePath().getParent().toString());
        try {
            return run(args);
        } finally {
            if (before == null) {
                System.clearProperty("a2q.home");
            } else {
                System.setProperty("a2q.home", before);
            }
        }
    }

    /** A stand-in for the Python that runs the PyTorch twin. */
    private Path fakeTwin(String body) throws IOException {
        Path script = dir.resolve("fake-python");
        Files.writeString(script, "#!/bin/sh\n" + body);
        script.toFile().setExecutable(true);
        return script;
    }

    @Test
    void benchAlternatesBlocksWithTheTorchTwinAndReportsTheRatio() throws IOException {
        // answers the serve protocol with 2 ms per step
        Path python = fakeTwin("""
                echo '{"torch": "fake-1.0", "threads": 1}'
                while read cmd n; do
                  [ "$cmd" = quit ] && exit 0
                  printf '{"ms": ['; i=1; while [ $i -lt $n ]; do printf '2.0, '; i=$((i+1)); done; printf '2.0]}\n'
                done
                """);
        CliRun r = benchFromSourceTree("bench", "--model", "mlp", "--batch", "8", "--warmup", "2", "--steps", "30", "--jit-idle-steps", "0",
                "--compare-torch", "--rounds", "2", "--python", python.toString());
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("torch fake-1.0, warmed up for 2 steps; both timed in alternating blocks of 25 steps"), out);
        // 2 ms for 8 images: 4,000 images/s, in every round
        assertTrue(out.lines().anyMatch(l -> l.startsWith("torch train") && l.contains("2.000 ms") && l.contains("4,000 images/s")), out);
        // the ratio is of images/s, i.e. torch's 2 ms over our median step time
        String[] a2q = out.lines().filter(l -> l.startsWith("a2q train")).findFirst().orElseThrow().trim().split("\\s+");
        double a2qMedianMs = Double.parseDouble(a2q[3]);
        String ratio = out.lines().filter(l -> l.startsWith("ratio (a2q images/s")).findFirst().orElseThrow();
        double printed = Double.parseDouble(ratio.replaceAll(".*train ([0-9.]+),.*", "$1"));
        assertEquals(2.0 / a2qMedianMs, printed, 0.006 * printed + 0.005, ratio + " vs a2q median " + a2qMedianMs + " ms");
        assertTrue(out.lines().anyMatch(l -> l.startsWith("round 2: ") && l.contains("torch train 2.000 ms")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("median ratio over 2 rounds: train ")), out);
    }

    @Test
    void benchSaysWhyThePythonTwinDidNotStart() throws IOException {
        Path python = fakeTwin("echo \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        CliRun r = benchFromSourceTree("bench", "--model", "mlp", "--batch", "8", "--warmup", "1", "--steps", "5", "--jit-idle-steps", "0",
                "--compare-torch", "--python", python.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().startsWith("error: the PyTorch reference failed ("), r.err());
        assertTrue(r.err().contains("No module named 'torch' — is PyTorch installed for '" + python + "'? (--python PATH)"),
                r.err());
    }

    @Test
    void everyCommandExplainsItselfWithHelpAndWithoutFormatWarnings() {
        // picocli reports a bad format string in a description on the process's stderr, not ours
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String command : new String[] {"info", "train", "eval", "quantize", "report", "bench", "simulate", "trace",
                    "sweep", "export"}) {
                CliRun r = run(command, "--help");
                assertEquals(0, r.code(), command + ": " + r.err());
                assertTrue(r.out().startsWith("Usage: a2q " + command), command + ": " + r.out());
            }
        } finally {
            System.setErr(stderr);
        }
        String printed = warnings.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(printed.contains("WARN"), printed);
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
