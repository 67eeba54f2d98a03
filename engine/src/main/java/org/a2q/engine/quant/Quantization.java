package org.a2q.engine.quant;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Identity;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.ReLU;
import org.a2q.engine.nn.Reshape;
import org.a2q.engine.nn.WeightTransform;
import org.a2q.engine.nn.WeightedLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a float graph into a quantized one (the "transform" of design.md):
 * <ol>
 * <li>an 8-bit unsigned input quantizer with fixed scale 1/255 (images arrive as pixel/255);</li>
 * <li>an N-bit unsigned learned-scale quantizer after every ReLU;</li>
 * <li>a signed N-bit quantizer in front of any conv/linear whose input does not already come
 *     from a quantizer through grid-preserving nodes (max-pool, flatten, reshape, identity);</li>
 * <li>a weight quantizer on every conv/linear as its {@link QuantSpec} says, told the N and
 *     sign of its own input quantizer, initialised from the float weights (naive or EP);</li>
 * <li>activation scales calibrated on a few batches.</li>
 * </ol>
 * The float graph's layer objects are reused, so the float graph must not be used afterwards.
 */
public final class Quantization {
    /** Header section of a saved run describing its quantization (see {@link #restore}). */
    public static final String SECTION = "quantization";
    private static final double IMAGE_SCALE = 1.0 / 255.0;

    private Quantization() { }

    /** The input format (N, signed) a conv/linear sees, or null when its input is not quantized. */
    public record InputFormat(int bits, boolean signed, String quantizer) { }

    public static Graph apply(Graph floatGraph, QuantConfig cfg, ImageDataset calibration, int calibrationBatches) {
        if (cfg.method() == QuantMethod.FP32) {
            return floatGraph;
        }
        Map<String, QuantSpec> specs = cfg.resolve(floatGraph);
        Graph g = insertActivationQuantizers(floatGraph, cfg.actBits(), cfg.inputBits());
        for (Map.Entry<String, QuantSpec> e : specs.entrySet()) {
            attach(g, e.getKey(), e.getValue(), true);
        }
        g.compile();
        if (calibration != null) {
            calibrate(g, calibration, calibrationBatches);
        }
        return g;
    }

    static Graph insertActivationQuantizers(Graph src, int actBits, int inputBits) {
        Map<String, String> rename = new HashMap<>();
        Map<String, Layer> layers = new HashMap<>();
        Map<String, String> firstInput = new HashMap<>();
        Graph.Builder b = Graph.builder(src.inputShape());
        String in = "input.quant";
        ActivationQuantizer inputQuant = ActivationQuantizer.fixed(in, inputBits, false, IMAGE_SCALE);
        b.add(in, inputQuant, Graph.INPUT);
        layers.put(in, inputQuant);
        rename.put(Graph.INPUT, in);
        for (Graph.Node n : src.nodes()) {
            String[] ins = n.inputs().stream().map(x -> rename.getOrDefault(x, x)).toArray(String[]::new);
            if (n.layer() instanceof Conv2d || n.layer() instanceof Linear) {
                if (findQuantizer(ins[0], layers, firstInput) == null) {
                    String q = n.name() + ".input_quant";
                    ActivationQuantizer aq = ActivationQuantizer.learned(q, actBits, true);
                    b.add(q, aq, ins[0]);
                    layers.put(q, aq);
                    firstInput.put(q, ins[0]);
                    ins[0] = q;
                }
            }
            b.add(n.name(), n.layer(), ins);
            layers.put(n.name(), n.layer());
            firstInput.put(n.name(), ins.length > 0 ? ins[0] : null);
            if (n.layer() instanceof ReLU) {
                String q = n.name() + ".quant";
                ActivationQuantizer aq = ActivationQuantizer.learned(q, actBits, false);
                b.add(q, aq, n.name());
                layers.put(q, aq);
                firstInput.put(q, n.name());
                rename.put(n.name(), q);
            }
        }
        return b.build(rename.getOrDefault(src.outputName(), src.outputName()));
    }

    /** Walks back through nodes that keep values on the quantization grid to the quantizer. */
    private static ActivationQuantizer findQuantizer(String name, Map<String, Layer> layers, Map<String, String> firstInput) {
        String cur = name;
        while (cur != null && layers.containsKey(cur)) {
            Layer l = layers.get(cur);
            if (l instanceof ActivationQuantizer aq) {
                return aq;
            }
            if (!keepsGrid(l)) {
                return null;
            }
            cur = firstInput.get(cur);
        }
        return null;
    }

    /** Nodes whose output is still on their input's quantization grid: max-pool, flatten/reshape, identity. */
    private static boolean keepsGrid(Layer l) {
        return l instanceof Reshape || l instanceof Identity || (l instanceof Pool2d p && p.kind() == Pool2d.Kind.MAX);
    }

    /** The quantizer feeding a node's first input in a built graph, or null. */
    public static InputFormat inputFormat(Graph g, String node) {
        String cur = g.node(node).inputs().get(0);
        while (!cur.equals(Graph.INPUT)) {
            Graph.Node n = g.node(cur);
            if (n.layer() instanceof ActivationQuantizer aq) {
                return new InputFormat(aq.bits(), aq.signed(), n.name());
            }
            if (!keepsGrid(n.layer())) {
                return null;
            }
            cur = n.inputs().get(0);
        }
        return null;
    }

    /** Creates and attaches the weight quantizer of one layer; initialises it from the weights if asked. */
    static void attach(Graph g, String name, QuantSpec spec, boolean initialise) {
        WeightedLayer layer = (WeightedLayer) g.node(name).layer();
        if (spec.method() == QuantMethod.FP32) {
            return;
        }
        int cout = layer.outputs();
        var weight = layer.weight();
        WeightTransform t;
        if (spec.method().constrained()) {
            InputFormat f = inputFormat(g, name);
            if (f == null) {
                throw new EngineException("layer '" + name + "' has no quantized input, so its accumulator bound "
                        + "cannot be computed; quantize its input or use qat for it");
            }
            A2qVariant v = spec.method() == QuantMethod.A2Q ? A2qVariant.A2Q : A2qVariant.A2Q_PLUS;
            AccumulatorAwareWeightQuantizer q = new AccumulatorAwareWeightQuantizer(name + ".wq", v, cout,
                    spec.weightBits(), spec.accumulatorBits(), f.bits(), f.signed(), spec.scaleDomain());
            if (initialise) {
                q.initialize(weight.value(), spec.init());
            }
            t = q;
        } else {
            PerChannelWeightQuantizer q = new PerChannelWeightQuantizer(name + ".wq", cout, spec.weightBits(), spec.scaleDomain());
            if (initialise) {
                q.initialize(weight.value());
            }
            t = q;
        }
        layer.setWeightTransform(t);
    }

    /** Sets every learned activation scale from a high percentile of what it sees on a few batches. */
    public static void calibrate(Graph g, ImageDataset data, int batches) {
        List<ActivationQuantizer> qs = startCalibration(g);
        // Each batch is run as it comes: the Batcher refills the same arrays for the next one.
        Batcher batcher = new Batcher(data, 64, g.valueArena().dataType());
        int k = 0;
        for (Batch b : batcher.epoch(12345, 0)) {
            if (k++ >= Math.max(1, batches)) {
                break;
            }
            g.forward(b.features(), false);
        }
        qs.forEach(ActivationQuantizer::finishCalibration);
    }

    /** The same on given input batches (the benchmark's synthetic batch, for one). */
    public static void calibrate(Graph g, List<INDArray> batches) {
        List<ActivationQuantizer> qs = startCalibration(g);
        for (INDArray x : batches) {
            g.forward(x, false);
        }
        qs.forEach(ActivationQuantizer::finishCalibration);
    }

    /** Puts every learned-scale activation quantizer of g into calibration mode; returns them. */
    private static List<ActivationQuantizer> startCalibration(Graph g) {
        List<ActivationQuantizer> qs = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            if (n.layer() instanceof ActivationQuantizer aq && aq.learnedScale()) {
                qs.add(aq);
            }
        }
        qs.forEach(ActivationQuantizer::startCalibration);
        return qs;
    }

    /** The per-layer specs of a quantized graph, as saved in a run's header. */
    public static Map<String, Object> section(Graph g, QuantConfig cfg) {
        Map<String, Object> layers = new LinkedHashMap<>();
        for (Map.Entry<String, QuantSpec> e : specsOf(g).entrySet()) {
            QuantSpec s = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", s.method().label());
            m.put("weight_bits", s.weightBits());
            m.put("acc_bits", s.accumulatorBits());
            m.put("scale_domain", s.scaleDomain().name());
            layers.put(e.getKey(), m);
        }
        Map<String, Object> sec = new LinkedHashMap<>();
        if (cfg != null) {
            sec.put("config", cfg);
        }
        sec.put("layers", layers);
        return sec;
    }

    /** What each conv/linear of a graph currently carries (FP32 where nothing is attached). */
    public static Map<String, QuantSpec> specsOf(Graph g) {
        Map<String, QuantSpec> specs = new LinkedHashMap<>();
        for (String name : QuantConfig.weightLayers(g)) {
            WeightTransform t = Graph.weightTransform(g.node(name).layer());
            if (t instanceof AccumulatorAwareWeightQuantizer a) {
                specs.put(name, new QuantSpec(a.variant() == A2qVariant.A2Q ? QuantMethod.A2Q : QuantMethod.A2Q_PLUS,
                        a.weightBits(), a.accumulatorBits(), InitMode.EP, a.scaleDomain()));
            } else if (t instanceof PerChannelWeightQuantizer p) {
                specs.put(name, new QuantSpec(QuantMethod.QAT, p.weightBits(), 32, InitMode.NAIVE, p.scaleDomain()));
            } else {
                specs.put(name, new QuantSpec(QuantMethod.FP32, 8, 32, InitMode.NAIVE, ScaleDomain.LOG2));
            }
        }
        return specs;
    }

    /** Attaches the saved quantizers to a graph rebuilt from a file, before its parameters are loaded. */
    public static void restore(Graph g, Map<String, Object> sections) {
        if (!(sections.get(SECTION) instanceof Map<?, ?> sec) || !(sec.get("layers") instanceof Map<?, ?> layers)) {
            return;
        }
        for (Map.Entry<?, ?> e : layers.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> m)) {
                throw new EngineException("quantization entry of '" + e.getKey() + "' is malformed");
            }
            try {
                QuantSpec s = new QuantSpec(QuantMethod.parse((String) m.get("method")), ((Number) m.get("weight_bits")).intValue(),
                        ((Number) m.get("acc_bits")).intValue(), InitMode.NAIVE, ScaleDomain.valueOf((String) m.get("scale_domain")));
                attach(g, (String) e.getKey(), s, false);
            } catch (ClassCastException | NullPointerException | IllegalArgumentException ex) {
                throw new EngineException("quantization entry of '" + e.getKey() + "' is malformed: " + m);
            }
        }
    }
}
