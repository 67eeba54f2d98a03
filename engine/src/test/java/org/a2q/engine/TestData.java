package org.a2q.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;

/** The bundled Fashion-MNIST subset, found from the engine module's working directory. */
public final class TestData {
    private TestData() { }

    public static Path sampleDir() {
        for (Path p : new Path[] {Path.of("samples", "fashion-mnist"), Path.of("..", "samples", "fashion-mnist")}) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("bundled sample samples/fashion-mnist not found");
    }

    private static DatasetSplit sample;

    public static synchronized DatasetSplit sample() {
        if (sample == null) {
            sample = IdxDatasets.loadSplit(sampleDir());
        }
        return sample;
    }
}
