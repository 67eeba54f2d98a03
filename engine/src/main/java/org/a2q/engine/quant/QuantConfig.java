package org.a2q.engine.quant;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Linear;

/**
 * Model-wide quantization settings with the papers' defaults: hidden conv/linear layers get the
 * chosen method with M-bit weights and a P-bit accumulator target; the FIRST and LAST layers get
 * 8-bit per-channel weights and no accumulator constraint (a2q-math.md §5.1); activations after
 * every ReLU are N-bit unsigned; the image input is 8-bit unsigned. Per-layer overrides (from CLI
 * flags or a JSON file) replace any of method, M, P, init for one layer.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record QuantConfig(QuantMethod method, int weightBits, int actBits, int accBits, InitMode init,
                          ScaleDomain scaleDomain, int edgeWeightBits, int inputBits, Map<String, LayerOverride> overrides) {

    /** A partial spec for one layer; null fields keep the model-wide value. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LayerOverride(QuantMethod method, Integer weightBits, Integer accBits, InitMode init) { }

    public QuantConfig {
        if (method == null) {
            throw new EngineException("quantization config needs a method");
        }
        init = init == null ? InitMode.EP : init;
        scaleDomain = scaleDomain == null ? ScaleDomain.LOG2 : scaleDomain;
        overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
        if (method != QuantMethod.FP32) {
            AccumulatorBound.checkWeightBits(weightBits);
            AccumulatorBound.checkWeightBits(edgeWeightBits);
            if (actBits < 1 || actBits > 16) {
                throw new EngineException("activation bits must be in 1..16, got " + actBits);
            }
            if (inputBits < 1 || inputBits > 16) {
                throw new EngineException("input bits must be in 1..16, got " + inputBits);
            }
        }
        if (accBits < 2 || accBits > 64) {
            throw new EngineException("accumulator bits must be in 2..64, got " + accBits);
        }
    }

    /** The paper's W{M}A{N} setup with P-bit hidden accumulators, EP-init, log2 scales. */
    public static QuantConfig of(QuantMethod method, int weightBits, int actBits, int accBits) {
        return new QuantConfig(method, weightBits, actBits, accBits, InitMode.EP, ScaleDomain.LOG2, 8, 8, Map.of());
    }

    public QuantConfig withInit(InitMode i) {
        return new QuantConfig(method, weightBits, actBits, accBits, i, scaleDomain, edgeWeightBits, inputBits, overrides);
    }

    public QuantConfig withScaleDomain(ScaleDomain d) {
        return new QuantConfig(method, weightBits, actBits, accBits, init, d, edgeWeightBits, inputBits, overrides);
    }

    public QuantConfig withOverrides(Map<String, LayerOverride> o) {
        return new QuantConfig(method, weightBits, actBits, accBits, init, scaleDomain, edgeWeightBits, inputBits, o);
    }

    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .build();

    /** Reads per-layer overrides: {"conv2": {"weightBits": 6, "accBits": 14, "method": "A2Q_PLUS"}, ...}. */
    public static Map<String, LayerOverride> readOverrides(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > 1 << 20) {
                throw new EngineException(file + ": a quantization config larger than 1 MiB is not plausible");
            }
            Map<String, LayerOverride> m = JSON.readValue(bytes,
                    JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, LayerOverride.class));
            return m == null ? Map.of() : m;
        } catch (NoSuchFileException e) {
            throw new EngineException(file + ": no such file");
        } catch (IOException e) {
            throw new EngineException(file + ": not a valid layer config (" + e.getMessage().lines().findFirst().orElse("")
                    + "); expected {\"layer\": {\"method\": \"a2q+\", \"weightBits\": 4, \"accBits\": 12}}");
        }
    }

    /** conv/linear layers in graph order. */
    public static List<String> weightLayers(Graph g) {
        List<String> names = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            if (n.layer() instanceof Conv2d || n.layer() instanceof Linear) {
                names.add(n.name());
            }
        }
        return names;
    }

    /** The spec of every conv/linear layer of the graph, first/last defaults and overrides applied. */
    public Map<String, QuantSpec> resolve(Graph g) {
        List<String> layers = weightLayers(g);
        for (String name : overrides.keySet()) {
            if (!layers.contains(name)) {
                throw new EngineException("override for '" + name + "', which is not a conv/linear layer; layers are " + layers);
            }
        }
        Map<String, QuantSpec> specs = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            String name = layers.get(i);
            boolean edge = i == 0 || i == layers.size() - 1;
            QuantMethod m = method;
            int bits = weightBits;
            int p = accBits;
            if (edge && method != QuantMethod.FP32) {
                // First and last layers: 8-bit per-channel weights, no accumulator constraint.
                m = method == QuantMethod.PTQ ? QuantMethod.PTQ : QuantMethod.QAT;
                bits = edgeWeightBits;
                p = 32;
            }
            InitMode in = init;
            LayerOverride o = overrides.get(name);
            if (o != null) {
                m = o.method() != null ? o.method() : m;
                bits = o.weightBits() != null ? o.weightBits() : bits;
                p = o.accBits() != null ? o.accBits() : p;
                in = o.init() != null ? o.init() : in;
            }
            specs.put(name, new QuantSpec(m, bits, p, in, scaleDomain));
        }
        return specs;
    }
}
