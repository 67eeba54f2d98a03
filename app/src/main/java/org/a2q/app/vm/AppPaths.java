package org.a2q.app.vm;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the bundled samples are: under the project directory the launcher passes as a2q.home. */
public final class AppPaths {
    private AppPaths() { }

    /** The project directory, or the working directory when started without the launcher. */
    public static Path home() {
        String h = System.getProperty("a2q.home");
        return h != null && !h.isBlank() ? Path.of(h) : Path.of("");
    }

    /** The bundled Fashion-MNIST subset; may not exist in a trimmed installation. */
    public static Path sampleData() {
        Path p = home().resolve("samples").resolve("fashion-mnist");
        return Files.isDirectory(p) ? p : Path.of("samples", "fashion-mnist");
    }
}
