package org.a2q.app.view;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the window asks the user for a file or a folder. The application shows the platform's
 * dialogs ({@link FxFileChoosers}); headless tests put a fixed answer in their place, since a
 * native dialog cannot be clicked there.
 */
public interface FileChoosers {
    /**
     * @param what     name of the file kind for the filter, e.g. "Models and runs"
     * @param patterns glob patterns of the filter, e.g. "*.a2q", "*.onnx"
     * @return the chosen file, or empty when the user cancelled
     */
    Optional<Path> open(String title, String what, List<String> patterns);

    /**
     * @param initialName suggested file name, e.g. "model.json"
     * @param pattern     glob pattern of the filter, e.g. "*.json"
     */
    Optional<Path> save(String title, String initialName, String what, String pattern);

    Optional<Path> folder(String title);
}
