package org.a2q.engine.hw;

import org.a2q.engine.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.a2q.engine.EngineException;

/**
 * FINN's folding configuration file: a JSON object with a "Defaults" entry and one entry per node,
 * e.g. {"Defaults": {}, "MVAU_hls_0": {"PE": 16, "SIMD": 49, "ram_style": "block"}}, in node order.
 */
public final class FoldingConfig {
    /** Values FINN accepts for an MVAU's weight memory. */
    public static final Set<String> RAM_STYLES = Set.of("auto", "block", "distributed", "ultra");

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One node's folding.
     *
     * @param node     the node name as FINN sees it, e.g. MVAU_hls_0
     * @param folding  PE and SIMD
     * @param ramStyle weight memory style: auto, block, distributed or ultra
     */
    public record Entry(String node, Folding folding, String ramStyle) {
        public Entry {
            if (node == null || node.isBlank() || node.equals("Defaults")) {
                throw new EngineException("a folding entry needs a node name such as MVAU_hls_0 (not empty, not"
                        + " \"Defaults\")");
            }
            if (folding == null) {
                throw new EngineException("folding entry " + node + " has no PE/SIMD");
            }
            if (ramStyle == null || !RAM_STYLES.contains(ramStyle)) {
                throw new EngineException("folding entry " + node + " has ram_style " + ramStyle + "; use one of "
                        + RAM_STYLES.stream().sorted().toList());
            }
        }
    }

    private FoldingConfig() {
    }

    /**
     * One entry per conv/linear layer of a compiled integer model, with the folding each layer
     * actually got (the largest legal PE/SIMD not above the requested ones) and ram_style auto.
     */
    public static List<Entry> entriesOf(IntegerModel model) {
        List<Entry> entries = new ArrayList<>();
        for (IntegerLayer l : model.layers()) {
            entries.add(new Entry(l.name(), l.folding(), "auto"));
        }
        return entries;
    }

    public static String toJson(List<Entry> entries) {
        ObjectNode root = MAPPER.createObjectNode();
        root.putObject("Defaults");
        Set<String> seen = new HashSet<>();
        for (Entry e : entries) {
            if (!seen.add(e.node())) {
                throw new EngineException("node " + e.node() + " appears twice in the folding config; give each node"
                        + " one entry");
            }
            ObjectNode n = root.putObject(e.node());
            n.put("PE", e.folding().pe());
            n.put("SIMD", e.folding().simd());
            n.put("ram_style", e.ramStyle());
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException ex) {
            throw new EngineException("could not serialise the folding config: " + ex.getMessage(), ex);
        }
    }

    /** Writes the config atomically. */
    public static void write(Path file, List<Entry> entries) {
        AtomicFiles.writeString(file, toJson(entries));
    }

    /** Parses a folding config; entries without PE/SIMD (other node types) are skipped. */
    public static List<Entry> parse(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException ex) {
            throw new EngineException("the folding config is not valid JSON: " + ex.getOriginalMessage(), ex);
        }
        if (root == null || !root.isObject()) {
            throw new EngineException("a folding config must be a JSON object of node name → {PE, SIMD, ram_style}");
        }
        List<Entry> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("Defaults")) {
                continue;
            }
            JsonNode n = f.getValue();
            if (!n.has("PE") || !n.has("SIMD")) {
                continue;
            }
            if (!n.get("PE").canConvertToInt() || !n.get("SIMD").canConvertToInt()
                    || !n.get("PE").isIntegralNumber() || !n.get("SIMD").isIntegralNumber()) {
                throw new EngineException("node " + f.getKey() + ": PE and SIMD must be integers");
            }
            String ram = n.has("ram_style") ? n.get("ram_style").asText() : "auto";
            out.add(new Entry(f.getKey(), new Folding(n.get("PE").asInt(), n.get("SIMD").asInt()), ram));
        }
        return List.copyOf(out);
    }

    public static List<Entry> read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException ex) {
            throw new EngineException("cannot read folding config " + file + ": " + ex.getMessage(), ex);
        }
    }
}
