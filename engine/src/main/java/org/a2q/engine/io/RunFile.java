package org.a2q.engine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.Version;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.model.GraphSpec;
import org.a2q.engine.nn.Param;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Saves and restores a whole run — architecture, parameters, BatchNorm statistics, optimizer
 * state, training progress and metrics history, and any extra sections (the quantization
 * settings) — as one {@link ModelFile}. Loading rebuilds the graph from its description and
 * checks that every saved tensor matches a parameter by name and shape.
 */
public final class RunFile {
    /** File name of a run inside a run directory. */
    public static final String MODEL_FILE = "model.a2q";

    private RunFile() { }

    /** A loaded run. {@code sections} holds extra header sections by name (e.g. "quantization"). */
    public record Run(Graph graph, int epochsDone, long optimizerSteps, String optimizerKind, INDArray firstMoment,
                      INDArray secondMoment, List<TrainListener.EpochEvent> history, Map<String, Object> sections) { }

    /** Before parameters are loaded, lets the caller attach what the sections describe (quantizers). */
    @FunctionalInterface
    public interface GraphPreparer {
        void prepare(Graph graph, Map<String, Object> sections);
    }

    /** Accepts a run directory (containing {@value #MODEL_FILE}) or a file. */
    public static Path resolve(Path runOrFile) {
        if (Files.isDirectory(runOrFile)) {
            return runOrFile.resolve(MODEL_FILE);
        }
        return runOrFile;
    }

    public static void save(Path file, Graph graph, Optimizer optimizer, int epochsDone,
                            List<TrainListener.EpochEvent> history, Map<String, Object> sections) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", "a2q-run");
        header.put("software", Version.describe());
        header.put("saved", Instant.now().toString());
        header.put("graph", GraphSpec.of(graph));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochs_done", epochsDone);
        training.put("optimizer", optimizer == null ? null : optimizer.kind().name());
        training.put("optimizer_steps", optimizer == null ? 0 : optimizer.stepCount());
        header.put("training", training);
        header.put("history", history == null ? List.of() : history);
        if (sections != null) {
            header.put("sections", sections);
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Param p : graph.params()) {
            tensors.put("param/" + p.name(), p.value());
        }
        for (Graph.Node n : graph.nodes()) {
            for (Map.Entry<String, INDArray> e : n.layer().state().entrySet()) {
                tensors.put("state/" + n.name() + "/" + e.getKey(), e.getValue());
            }
        }
        if (optimizer != null && optimizer.firstMoment() != null) {
            tensors.put("optimizer/m", optimizer.firstMoment());
            if (optimizer.secondMoment() != null) {
                tensors.put("optimizer/v", optimizer.secondMoment());
            }
        }
        ModelFile.write(file, header, tensors);
    }

    public static Run load(Path file, GraphPreparer preparer) {
        ModelFile.Contents c = ModelFile.read(file);
        ObjectMapper json = ModelFile.json();
        Map<String, Object> h = c.header();
        GraphSpec spec;
        try {
            spec = json.convertValue(h.get("graph"), GraphSpec.class);
        } catch (IllegalArgumentException e) {
            throw new EngineException(file + ": model description is malformed (" + e.getMessage() + ")");
        }
        if (spec == null) {
            throw new EngineException(file + ": no model description in the file");
        }
        long stored = 0;
        for (INDArray v : c.tensors().values()) {
            stored += v.length();
        }
        Graph graph;
        try {
            graph = spec.build(0, stored);
        } catch (EngineException e) {
            throw new EngineException(file + ": " + e.getMessage(), e);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> sections = h.get("sections") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        if (preparer != null) {
            preparer.prepare(graph, sections);
            graph.compile();
        }
        Map<String, INDArray> t = c.tensors();
        for (Param p : graph.params()) {
            INDArray v = t.get("param/" + p.name());
            if (v == null) {
                throw new EngineException(file + ": parameter '" + p.name() + "' is missing");
            }
            if (!Arrays.equals(v.shape(), p.shape())) {
                throw new EngineException(file + ": parameter '" + p.name() + "' has shape " + Arrays.toString(v.shape())
                        + " but the model needs " + Arrays.toString(p.shape()));
            }
            p.value().assign(v.castTo(p.value().dataType()));
        }
        for (Graph.Node n : graph.nodes()) {
            for (Map.Entry<String, INDArray> e : n.layer().state().entrySet()) {
                INDArray v = t.get("state/" + n.name() + "/" + e.getKey());
                if (v == null || v.length() != e.getValue().length()) {
                    throw new EngineException(file + ": state '" + n.name() + "/" + e.getKey() + "' is missing or has the wrong size");
                }
                e.getValue().assign(v.reshape(e.getValue().shape()).castTo(e.getValue().dataType()));
            }
        }
        Map<?, ?> training = h.get("training") instanceof Map<?, ?> m ? m : Map.of();
        int epochs = training.get("epochs_done") instanceof Number n ? n.intValue() : 0;
        long steps = training.get("optimizer_steps") instanceof Number n ? n.longValue() : 0;
        String kind = training.get("optimizer") instanceof String s ? s : null;
        INDArray m = t.get("optimizer/m");
        INDArray v = t.get("optimizer/v");
        long arena = graph.valueArena().length();
        if ((m != null && m.length() != arena) || (v != null && v.length() != arena)) {
            m = null; // optimizer state of a different parameter set (e.g. before quantization): start afresh
            v = null;
            steps = 0;
        }
        List<TrainListener.EpochEvent> history = new ArrayList<>();
        if (h.get("history") instanceof List<?> list) {
            for (Object o : list) {
                history.add(json.convertValue(o, TrainListener.EpochEvent.class));
            }
        }
        return new Run(graph, epochs, steps, kind,
                m == null ? null : m.reshape(arena).castTo(graph.valueArena().dataType()),
                v == null ? null : v.reshape(arena).castTo(graph.valueArena().dataType()), history, sections);
    }
}
