package org.a2q.engine.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.io.ModelFile;

/**
 * The PyTorch twin of {@code bench} (engine/bench/torch_reference.py --serve), kept running so that
 * blocks of its steps can alternate with blocks of ours: a shared two-core machine drifts by ±20 %
 * and more within a minute, and PyTorch run after us in its own process gave per-round ratios from
 * 0.71 to 1.26 for the same code.
 *
 * <p>Between its blocks the twin is stopped (SIGSTOP) and continued (SIGCONT) before the next:
 * it runs with OMP_WAIT_POLICY=ACTIVE (its fastest setting here: 3.4–4.6 ms per LeNet step against
 * 4.2–15 ms passive), whose idle OpenMP threads would otherwise spin on a core through our blocks.
 */
final class TorchTwin implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    private final List<String> command;
    private final Path errors;   // the twin's stderr: a file, so that a chatty twin never blocks on a full pipe
    private final String version;

    private TorchTwin(Process process, List<String> command, Path errors) throws IOException {
        this.process = process;
        this.command = command;
        this.errors = errors;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Map<String, Object> ready = readJson();
        this.version = String.valueOf(ready.get("torch"));
        signal("STOP");
    }

    /** Starts the twin for a model, batch and thread count; returns once it has warmed up. */
    static TorchTwin start(String python, String model, int batch, int threads, int warmup) {
        Path script = CommonOptions.home().resolve("engine").resolve("bench").resolve("torch_reference.py");
        if (!Files.exists(script)) {
            throw new EngineException("--compare-torch needs engine/bench/torch_reference.py of the source tree");
        }
        List<String> cmd = List.of(python, script.toString(), "--serve", "--model", model, "--batch", String.valueOf(batch),
                "--warmup", String.valueOf(warmup), "--threads", String.valueOf(threads));
        Process p;
        Path errors;
        try {
            errors = Files.createTempFile("a2q-torch-twin", ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(errors.toFile());
            // The twin sets its own best thread and BLAS settings; the environment's must not leak
            // into it: this machine's OPENBLAS_CORETYPE=Haswell made PyTorch's MLP step 0.95 ms
            // instead of 0.67 (LeNet 3.34 instead of 2.95-3.19), and did not change ours.
            pb.environment().keySet().removeIf(k -> k.startsWith("OMP_") || k.startsWith("GOMP_") || k.startsWith("KMP_")
                    || k.startsWith("OPENBLAS_") || k.startsWith("MKL_"));
            p = pb.start();
        } catch (IOException e) {
            throw new EngineException("could not run " + python + ": " + e.getMessage() + " (--python PATH)");
        }
        try {
            return new TorchTwin(p, cmd, errors);
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            deleteQuietly(errors);
            throw e instanceof EngineException ee ? ee : new EngineException("the PyTorch reference failed: " + e.getMessage());
        }
    }

    String version() {
        return version;
    }

    /** Per-step times (ms) of n training steps. */
    double[] train(int n) {
        return block("train", n);
    }

    /** Per-step times (ms) of n inference passes. */
    double[] infer(int n) {
        return block("infer", n);
    }

    private double[] block(String what, int n) {
        try {
            signal("CONT");
            in.println(what + " " + n);
            Map<String, Object> reply = readJson();
            signal("STOP");
            List<?> ms = (List<?>) reply.get("ms");
            if (ms == null || ms.size() != n) {
                throw new EngineException("the PyTorch reference answered '" + what + " " + n + "' with " + reply);
            }
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = ((Number) ms.get(i)).doubleValue();
            }
            return t;
        } catch (IOException e) {
            throw new EngineException("the PyTorch reference stopped answering: " + e.getMessage());
        }
    }

    private Map<String, Object> readJson() throws IOException {
        String line = out.readLine();
        if (line == null) {
            try {
                process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String err = Files.readString(errors, StandardCharsets.UTF_8).trim();
            throw new EngineException("the PyTorch reference failed (" + String.join(" ", command) + "): "
                    + (err.isEmpty() ? "no output" : err.lines().reduce((a, b) -> b).orElse(err))
                    + " — is PyTorch installed for '" + command.get(0) + "'? (--python PATH)");
        }
        return ModelFile.json().readValue(line, new TypeReference<Map<String, Object>>() { });
    }

    /** Sends SIGSTOP or SIGCONT to the twin (Java has no API for either); waits until sent. */
    private void signal(String name) throws IOException {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
            if (kill.waitFor() != 0) {
                throw new EngineException("could not send SIG" + name + " to the PyTorch reference (pid " + process.pid() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted");
        }
    }

    @Override
    public void close() {
        try {
            signal("CONT");
            in.println("quit");
            in.close();
            process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            // the twin is going away either way
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            process.destroyForcibly();
            deleteQuietly(errors);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover log in the temp folder is harmless
        }
    }
}
