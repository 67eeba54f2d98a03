package org.a2q.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.a2q.engine.EngineException;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.Quantization;

/** Turns a --model / --from / RUN argument into a graph: a built-in name, a run directory or a model file. */
final class ModelSource {
    private ModelSource() { }

    static Graph fresh(String model, long seed) {
        if (ModelTemplates.NAMES.contains(model)) {
            return ModelTemplates.create(model, seed);
        }
        Path p = Path.of(model);
        if (Files.exists(p)) {
            return load(p).graph();
        }
        throw new EngineException("unknown model '" + model + "': use one of " + ModelTemplates.NAMES
                + " or the path of a run directory or model file");
    }

    static RunFile.Run load(Path runOrFile) {
        if (runOrFile.getFileName() != null && runOrFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            // A float ONNX model is a run that has not trained yet: no optimizer state, no history.
            return new RunFile.Run(org.a2q.engine.io.onnx.OnnxImporter.load(runOrFile), 0, 0, null, null, null,
                    java.util.List.of(), java.util.Map.of());
        }
        Path file = RunFile.resolve(runOrFile);
        if (!Files.exists(file)) {
            throw new EngineException(runOrFile + ": no such run (expected a run directory with "
                    + RunFile.MODEL_FILE + " or a model file)");
        }
        return RunFile.load(file, Quantization::restore);
    }
}
