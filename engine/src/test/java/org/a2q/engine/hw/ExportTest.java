package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static MacTrace sampleTrace() {
        // Same layer as MacTraceTest: partial sums 21, 7, 42, 42 in a 6-bit wrapping register.
        return new MatVecEngine(IntWeights.ofRow(3, -2, 5, 1), InputFormat.unsigned(3), 6, AccumulatorMode.WRAP)
                .trace(0, new int[] {7, 7, 7, 0});
    }

    private static long filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void foldingConfigInFinnFormatRoundTrips(@TempDir Path dir) throws IOException {
        List<FoldingConfig.Entry> entries = List.of(
                new FoldingConfig.Entry("MVAU_hls_0", new Folding(16, 49), "block"),
                new FoldingConfig.Entry("MVAU_hls_1", new Folding(4, 25), "distributed"));
        Path file = dir.resolve("folding.json");
        FoldingConfig.write(file, entries);
        JsonNode root = JSON.readTree(Files.readString(file));
        assertEquals(List.of("Defaults", "MVAU_hls_0", "MVAU_hls_1"), iterableToList(root.fieldNames()));
        assertEquals(0, root.get("Defaults").size());
        assertEquals(16, root.get("MVAU_hls_0").get("PE").asInt());
        assertEquals(49, root.get("MVAU_hls_0").get("SIMD").asInt());
        assertEquals("block", root.get("MVAU_hls_0").get("ram_style").asText());
        assertEquals(entries, FoldingConfig.read(file));
        // Overwrite in place; no temporary file is left behind.
        FoldingConfig.write(file, entries.subList(0, 1));
        assertEquals(1, FoldingConfig.read(file).size());
        assertEquals(1, filesIn(dir));
    }

    private static List<String> iterableToList(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void foldingConfigErrorsSayWhatWorks() {
        EngineException dup = assertThrows(EngineException.class, () -> FoldingConfig.toJson(List.of(
                new FoldingConfig.Entry("MVAU_hls_0", Folding.SEQUENTIAL, "auto"),
                new FoldingConfig.Entry("MVAU_hls_0", Folding.SEQUENTIAL, "auto"))));
        assertTrue(dup.getMessage().contains("twice"), dup.getMessage());
        EngineException ram = assertThrows(EngineException.class,
                () -> new FoldingConfig.Entry("MVAU_hls_0", Folding.SEQUENTIAL, "bram"));
        assertTrue(ram.getMessage().contains("block"), ram.getMessage());
        assertThrows(EngineException.class, () -> FoldingConfig.parse("[1, 2]"));
        assertThrows(EngineException.class, () -> FoldingConfig.parse("{\"X\": {\"PE\": 1.5, \"SIMD\": 2}}"));
        assertThrows(EngineException.class, () -> FoldingConfig.parse("{not json"));
        // Nodes without PE/SIMD (e.g. FIFOs) are skipped, missing ram_style means auto.
        assertEquals(List.of(new FoldingConfig.Entry("MVAU_hls_2", new Folding(2, 3), "auto")),
                FoldingConfig.parse("{\"Defaults\": {}, \"StreamingFIFO_0\": {\"depth\": 32},"
                        + " \"MVAU_hls_2\": {\"PE\": 2, \"SIMD\": 3}}"));
    }

    @Test
    void traceCsvHasOneRowPerLanePerCycle(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("trace.csv");
        TraceExport.writeCsv(file, sampleTrace());
        List<String> lines = Files.readAllLines(file);
        assertEquals(5, lines.size());
        assertEquals(TraceExport.CSV_HEADER, lines.get(0));
        assertEquals("0,0,0,0,3,7,21,21,21,0,21,21,\"010101\",6,6,false", lines.get(1));
        assertEquals("2,2,0,2,5,7,35,35,42,7,42,-22,\"101010\",6,7,true", lines.get(3));
        assertEquals(1, filesIn(dir));
    }

    @Test
    void traceJsonKeepsTheNestedStructure(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("trace.json");
        TraceExport.writeJson(file, sampleTrace());
        JsonNode root = JSON.readTree(Files.readString(file));
        assertEquals("UINT3", root.get("input_format").asText());
        assertEquals("WRAP", root.get("mode").asText());
        assertEquals(6, root.get("acc_bits").asInt());
        assertEquals(42, root.get("exact_result").asLong());
        assertEquals(-22, root.get("result").asLong());
        assertEquals(2, root.get("first_overflow_step").asInt());
        assertEquals(4, root.get("steps").size());
        JsonNode s2 = root.get("steps").get(2);
        assertEquals("101010", s2.get("register_bits").asText());
        assertTrue(s2.get("overflow").asBoolean());
        assertEquals(35, s2.get("lanes").get(0).get("product").asLong());
    }
}
