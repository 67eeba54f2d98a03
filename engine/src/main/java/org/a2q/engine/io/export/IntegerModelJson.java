package org.a2q.engine.io.export;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.Version;
import org.a2q.engine.hw.AccumulatorPolicy;
import org.a2q.engine.hw.IntegerLayer;
import org.a2q.engine.hw.IntegerModel;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Clip;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.Reshape;
import org.a2q.engine.quant.AccumulatorWidths;
import org.a2q.engine.quant.ActivationQuantizer;

/**
 * Writes a quantized graph as the integer-model JSON document described in
 * {@code engine/docs/integer-model.md}: every conv/linear layer with its integer weights, scales and
 * accumulator widths, plus the node graph (quantizers, pools, activations, adds) needed to run the
 * model from the document alone. The integer weights are taken from {@link IntegerModel}, so the
 * document holds exactly the integers the engine's bit-exact pipeline multiplies with.
 */
public final class IntegerModelJson {
    public static final String FORMAT = "a2q-integer-model";
    public static final int VERSION = 1;
    /**
     * The engine's activation quantizers round halves to even, as torch.round, ONNX QuantizeLinear
     * and QONNX ROUND do (tested on exact ties); the document names the rule so an RTL
     * implementation can match it.
     */
    public static final String ROUNDING = "half_to_even";

    private IntegerModelJson() { }

    /** The document as a tree of maps and lists (what Jackson writes). */
    public static Map<String, Object> toDocument(Graph g) {
        // AS_TRAINED: the accumulator width each layer was trained for (unconstrained layers get the wide default).
        IntegerModel im = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        Map<String, long[]> shapes = g.shapes(1);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        doc.put("version", VERSION);
        doc.put("producer", "a2q-workbench " + Version.describe());
        doc.put("rounding", ROUNDING);
        ActivationQuantizer inQ = firstQuantizer(g);
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("name", Graph.INPUT);
        input.put("bits", inQ.bits());
        input.put("signed", inQ.signed());
        input.put("scale", inQ.scale());
        input.put("shape", g.inputShape());
        doc.put("input", input);
        List<Object> layers = new ArrayList<>();
        for (IntegerLayer l : im.layers()) {
            layers.add(layer(g, l, shapes));
        }
        doc.put("layers", layers);
        Map<String, Object> graph = new LinkedHashMap<>();
        graph.put("input", Graph.INPUT);
        graph.put("output", g.outputName());
        List<Object> nodes = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            nodes.add(node(n, shapes));
        }
        graph.put("nodes", nodes);
        doc.put("graph", graph);
        return doc;
    }

    /** Writes the document atomically, numbers in their shortest exact decimal form. */
    public static void write(Graph g, Path file) {
        Map<String, Object> doc = toDocument(g);
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        AtomicFiles.write(file, out -> m.writeValue(out, doc));
    }

    static ActivationQuantizer firstQuantizer(Graph g) {
        for (Graph.Node n : g.nodes()) {
            if (n.inputs().contains(Graph.INPUT)) {
                if (n.layer() instanceof ActivationQuantizer aq) {
                    return aq;
                }
                throw new EngineException("the graph input feeds '" + n.name() + "', not an activation quantizer, so "
                        + "the model has no integer input format");
            }
        }
        throw new EngineException("no node reads the graph input");
    }

    private static Map<String, Object> layer(Graph g, IntegerLayer l, Map<String, long[]> shapes) {
        Layer layer = g.node(l.name()).layer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", l.name());
        m.put("op", l.isConv() ? "conv" : "linear");
        m.put("method", l.method().label());
        int cout = l.outputChannels();
        long[] wshape;
        if (layer instanceof Conv2d c) {
            wshape = new long[] {c.outChannels(), c.inChannels(), c.kernelH(), c.kernelW()};
            m.put("stride", new int[] {c.strideH(), c.strideW()});
            m.put("padding", new int[] {c.padH(), c.padW()});
        } else {
            Linear f = (Linear) layer;
            wshape = new long[] {f.outFeatures(), f.inFeatures()};
            m.put("stride", new int[] {1, 1});
            m.put("padding", new int[] {0, 0});
        }
        m.put("weight_shape", wshape);
        m.put("input_shape", shapeOf(g, g.node(l.name()).inputs().get(0), shapes));
        m.put("output_shape", perSample(shapes.get(l.name())));
        int[] flat = new int[cout * l.dotLength()];
        for (int c = 0; c < cout; c++) {
            System.arraycopy(l.weights().row(c), 0, flat, c * l.dotLength(), l.dotLength());
        }
        m.put("weights", flat);
        m.put("weight_scale", l.weightScales());
        m.put("weight_bits", l.weightBits());
        m.put("weight_narrow", true);
        m.put("input_quant", l.inputQuantizer());
        m.put("input_bits", l.format().bits());
        m.put("input_signed", l.format().signed());
        m.put("input_scale", l.inputScale());
        m.put("acc_bits", l.accBits());
        m.put("trained_acc_bits", l.trainedAccBits());
        m.put("bias", l.bias());
        AccumulatorWidths w = l.widths();
        Map<String, Object> widths = new LinkedHashMap<>();
        widths.put("data_type", w.dataType());
        widths.put("a2q", w.a2q());
        widths.put("a2q_plus", w.a2qPlusSafe());
        widths.put("a2q_plus_naive", w.a2qPlusNaive());
        widths.put("exact", w.exact());
        m.put("acc_width", widths);
        ActivationQuantizer out = outputQuantizer(g, l.name());
        if (out != null) {
            Map<String, Object> oq = new LinkedHashMap<>();
            oq.put("name", outputQuantizerName(g, l.name()));
            oq.put("bits", out.bits());
            oq.put("signed", out.signed());
            oq.put("scale", out.scale());
            m.put("output_quant", oq);
        } else {
            m.put("output_quant", null);
        }
        return m;
    }

    private static long[] shapeOf(Graph g, String name, Map<String, long[]> shapes) {
        return name.equals(Graph.INPUT) ? g.inputShape() : perSample(shapes.get(name));
    }

    private static long[] perSample(long[] s) {
        return Arrays.copyOfRange(s, 1, s.length);
    }

    /** The first quantizer reached from a layer's output before another conv/linear (breadth first). */
    static String outputQuantizerName(Graph g, String layer) {
        List<String> frontier = List.of(layer);
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (Graph.Node n : g.nodes()) {
                if (n.inputs().stream().anyMatch(frontier::contains)) {
                    if (n.layer() instanceof ActivationQuantizer) {
                        return n.name();
                    }
                    if (!(n.layer() instanceof Conv2d || n.layer() instanceof Linear)) {
                        next.add(n.name());
                    }
                }
            }
            frontier = next;
        }
        return null;
    }

    private static ActivationQuantizer outputQuantizer(Graph g, String layer) {
        String q = outputQuantizerName(g, layer);
        return q == null ? null : (ActivationQuantizer) g.node(q).layer();
    }

    private static Map<String, Object> node(Graph.Node n, Map<String, long[]> shapes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", n.name());
        Layer l = n.layer();
        String op = switch (l.type()) {
            case "actquant" -> "quant";
            case "conv", "linear", "relu", "clip", "add", "identity", "batchnorm", "maxpool", "avgpool", "flatten",
                 "reshape" -> l.type();
            case "globalavgpool" -> "global_avgpool";
            // Eval-mode dropout is the identity; the document describes inference only.
            case "dropout" -> "identity";
            default -> throw new EngineException("node '" + n.name() + "': layer type '" + l.type()
                    + "' has no integer-model form");
        };
        m.put("op", op);
        m.put("inputs", n.inputs());
        m.put("shape", perSample(shapes.get(n.name())));
        if (l instanceof ActivationQuantizer aq) {
            m.put("bits", aq.bits());
            m.put("signed", aq.signed());
            m.put("scale", aq.scale());
            m.put("min", aq.minCode());
            m.put("max", aq.maxCode());
        } else if (l instanceof Conv2d || l instanceof Linear) {
            m.put("layer", n.name());
        } else if (l instanceof Clip c) {
            m.put("min", c.lo());
            m.put("max", c.hi());
        } else if (l instanceof BatchNorm2d b) {
            m.put("gamma", b.gamma().value().toDoubleVector());
            m.put("beta", b.beta().value().toDoubleVector());
            m.put("mean", b.runningMean().toDoubleVector());
            m.put("var", b.runningVar().toDoubleVector());
            m.put("eps", b.eps());
        } else if (l instanceof Pool2d p) {
            m.put("kernel", new int[] {p.kernelH(), p.kernelW()});
            m.put("stride", new int[] {p.strideH(), p.strideW()});
            m.put("padding", new int[] {p.padH(), p.padW()});
            if (p.kind() == Pool2d.Kind.AVG) {
                m.put("count_include_pad", p.countIncludePad());
            }
        } else if (l instanceof Reshape r && l.type().equals("reshape")) {
            m.put("target", r.target());
        }
        return m;
    }
}
