package org.a2q.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.a2q.engine.EngineRuntime;
import picocli.CommandLine.Option;

/** Options every command takes. */
public final class CommonOptions {
    @Option(names = "--verbose", description = "Show library logs and stack traces.")
    boolean verbose;

    @Option(names = "--threads", description = "Compute threads (default: all cores).", defaultValue = "0")
    int threads;

    void apply() {
        EngineRuntime.configure(threads);
    }

    /** The project directory (set by the launcher), so bundled samples are found from anywhere. */
    static Path home() {
        String h = System.getProperty("a2q.home");
        return h != null ? Path.of(h) : Path.of("");
    }

    /** The bundled Fashion-MNIST subset. */
    static Path defaultData() {
        Path p = home().resolve("samples").resolve("fashion-mnist");
        return Files.isDirectory(p) ? p : Path.of("samples", "fashion-mnist");
    }
}
