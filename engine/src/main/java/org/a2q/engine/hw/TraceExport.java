package org.a2q.engine.hw;

import org.a2q.engine.io.AtomicFiles;

import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.a2q.engine.EngineException;

/**
 * Exports a {@link MacTrace} as CSV (one row per lane per cycle, register columns repeated, so it
 * loads as a flat table) or JSON (nested, the trace's own structure). The schema is written field by
 * field rather than derived from the records, so renaming a Java accessor cannot change the files.
 */
public final class TraceExport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static final String CSV_HEADER = "step,cycle,lane,input_index,weight,input,product,lane_sum,"
            + "exact_partial_sum,register_before,register_incoming,register,register_bits,bits_in_use,"
            + "exact_bits_in_use,overflow";

    private TraceExport() {
    }

    public static String toCsv(MacTrace t) {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (TraceStep s : t.steps()) {
            for (LaneOp l : s.lanes()) {
                sb.append(s.step()).append(',').append(s.cycle()).append(',').append(l.lane()).append(',')
                        .append(l.inputIndex()).append(',').append(l.weight()).append(',').append(l.input())
                        .append(',').append(l.product()).append(',').append(s.laneSum()).append(',')
                        .append(s.exactPartialSum()).append(',').append(s.registerBefore()).append(',')
                        .append(s.registerIncoming()).append(',').append(s.register()).append(',')
                        // Bit patterns are text: quote them so spreadsheets keep leading zeros.
                        .append('"').append(s.registerBits()).append('"').append(',')
                        .append(s.bitsInUse()).append(',').append(s.exactBitsInUse()).append(',')
                        .append(s.overflow()).append('\n');
            }
        }
        return sb.toString();
    }

    public static String toJson(MacTrace t) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("channel", t.channel());
        root.put("pixel", t.pixel());
        root.put("pe", t.pe());
        root.put("input_format", t.format().finnName());
        root.put("acc_bits", t.accBits());
        root.put("mode", t.mode().name());
        root.put("PE", t.folding().pe());
        root.put("SIMD", t.folding().simd());
        root.put("exact_result", t.exactResult());
        root.put("result", t.result());
        root.put("first_overflow_step", t.firstOverflowStep());
        root.put("exact_bits_needed", t.exactBitsNeeded());
        ArrayNode steps = root.putArray("steps");
        for (TraceStep s : t.steps()) {
            ObjectNode n = steps.addObject();
            n.put("step", s.step());
            n.put("cycle", s.cycle());
            ArrayNode lanes = n.putArray("lanes");
            for (LaneOp l : s.lanes()) {
                ObjectNode ln = lanes.addObject();
                ln.put("lane", l.lane());
                ln.put("input_index", l.inputIndex());
                ln.put("weight", l.weight());
                ln.put("input", l.input());
                ln.put("product", l.product());
            }
            n.put("lane_sum", s.laneSum());
            n.put("exact_partial_sum", s.exactPartialSum());
            n.put("register_before", s.registerBefore());
            n.put("register_incoming", s.registerIncoming());
            n.put("register", s.register());
            n.put("register_bits", s.registerBits());
            n.put("bits_in_use", s.bitsInUse());
            n.put("exact_bits_in_use", s.exactBitsInUse());
            n.put("overflow", s.overflow());
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException ex) {
            throw new EngineException("could not serialise the trace: " + ex.getMessage(), ex);
        }
    }

    public static void writeCsv(Path file, MacTrace t) {
        AtomicFiles.writeString(file, toCsv(t));
    }

    public static void writeJson(Path file, MacTrace t) {
        AtomicFiles.writeString(file, toJson(t));
    }
}
