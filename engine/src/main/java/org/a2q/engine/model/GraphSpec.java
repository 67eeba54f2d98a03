package org.a2q.engine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Add;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Clip;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.GlobalAvgPool;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Identity;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.ReLU;
import org.a2q.engine.nn.Reshape;
import org.a2q.engine.quant.ActivationQuantizer;

/**
 * A graph's architecture as plain data (types, attributes, wiring; no weights), the form in which
 * models are saved and rebuilt. Weights travel separately, in parameter order.
 */
public record GraphSpec(List<Long> inputShape, List<NodeSpec> nodes, String output) {

    public record NodeSpec(String name, String type, Map<String, Object> attributes, List<String> inputs) { }

    public static GraphSpec of(Graph g) {
        List<NodeSpec> nodes = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            nodes.add(new NodeSpec(n.name(), n.layer().type(), new LinkedHashMap<>(n.layer().attributes()), n.inputs()));
        }
        List<Long> in = new ArrayList<>();
        for (long d : g.inputShape()) {
            in.add(d);
        }
        return new GraphSpec(in, nodes, g.outputName());
    }

    /** Rebuilds the graph with freshly initialised parameters (seeded), to be overwritten by saved ones. */
    public Graph build(long seed) {
        return build(seed, Long.MAX_VALUE);
    }

    /**
     * Like {@link #build(long)}, but first checks that the layers together need at most
     * {@code maxParamElements} parameter values, so a description read from a file cannot make the
     * engine allocate more than the file's own weights could fill.
     */
    public Graph build(long seed, long maxParamElements) {
        if (inputShape == null || nodes == null || nodes.isEmpty() || output == null) {
            throw new EngineException("model description is incomplete (needs inputShape, nodes and output)");
        }
        long declared = 0;
        for (NodeSpec n : nodes) {
            if (n == null || n.name() == null || n.type() == null || n.inputs() == null) {
                throw new EngineException("model description has a node without name, type or inputs");
            }
            long need = paramElements(n);
            declared = need < 0 || need > maxParamElements - declared ? -1 : declared + need;
            if (declared < 0) {
                throw new EngineException("model description declares more parameters than the file holds"
                        + " (at node '" + n.name() + "'); the file is corrupt");
            }
        }
        try {
            SplittableRandom rng = new SplittableRandom(seed);
            if (inputShape.contains(null)) {
                throw new EngineException("model description has an empty input dimension " + inputShape);
            }
            long[] shape = inputShape.stream().mapToLong(Long::longValue).toArray();
            Graph.Builder b = Graph.builder(shape);
            for (NodeSpec n : nodes) {
                Map<String, Object> a = n.attributes() == null ? Map.of() : n.attributes();
                b.add(n.name(), create(n.name(), n.type(), a, rng), n.inputs().toArray(String[]::new));
            }
            return b.build(output);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            // Values no saved model has (overflowing sizes, nulls in lists) are a bad file, not an engine bug.
            throw new EngineException("model description is malformed (" + e + ")", e);
        }
    }

    /** Parameter values a node will allocate, from its attributes alone; -1 when they cannot be valid sizes. */
    private static long paramElements(NodeSpec n) {
        Map<String, Object> a = n.attributes() == null ? Map.of() : n.attributes();
        try {
            return switch (n.type()) {
                case "conv" -> Math.addExact(product(a.get("in"), a.get("out"), listItem(a.get("kernel"), 0),
                        listItem(a.get("kernel"), 1)), product(a.get("out")));
                case "linear" -> Math.addExact(product(a.get("in"), a.get("out")), product(a.get("out")));
                case "batchnorm" -> product(4L, a.get("channels"));
                case "scaleshift" -> product(2L, a.get("channels"));
                default -> 0;
            };
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static Object listItem(Object list, int i) {
        return list instanceof List<?> l && l.size() > i ? l.get(i) : null;
    }

    /** Product of non-negative integral numbers; anything else is left for create() to report. */
    private static long product(Object... xs) {
        long p = 1;
        for (Object x : xs) {
            if (!(x instanceof Number num)) {
                return 0;
            }
            long v = num.longValue();
            if (v < 0) {
                throw new ArithmeticException("negative size");
            }
            p = Math.multiplyExact(p, v);
        }
        return p;
    }

    static Layer create(String name, String type, Map<String, Object> a, SplittableRandom rng) {
        try {
            return switch (type) {
                case "conv" -> new Conv2d(name, i(a, "in"), i(a, "out"), pair(a, "kernel", 0), pair(a, "kernel", 1),
                        pair(a, "stride", 0), pair(a, "stride", 1), pair(a, "padding", 0), pair(a, "padding", 1),
                        bool(a, "bias"), rng);
                case "linear" -> new Linear(name, i(a, "in"), i(a, "out"), bool(a, "bias"), rng);
                case "batchnorm" -> new BatchNorm2d(name, i(a, "channels"), d(a, "eps"), d(a, "momentum"));
                case "relu" -> new ReLU();
                case "clip" -> new Clip(d(a, "min"), d(a, "max"));
                case "maxpool" -> new Pool2d(Pool2d.Kind.MAX, pair(a, "kernel", 0), pair(a, "kernel", 1),
                        pair(a, "stride", 0), pair(a, "stride", 1), pair(a, "padding", 0), pair(a, "padding", 1), false);
                case "avgpool" -> new Pool2d(Pool2d.Kind.AVG, pair(a, "kernel", 0), pair(a, "kernel", 1),
                        pair(a, "stride", 0), pair(a, "stride", 1), pair(a, "padding", 0), pair(a, "padding", 1),
                        bool(a, "count_include_pad"));
                case "globalavgpool" -> new GlobalAvgPool();
                case "flatten" -> Reshape.flatten();
                case "reshape" -> new Reshape(longs(a, "shape"));
                case "add" -> new Add();
                case "identity" -> new Identity();
                case "dropout" -> new Dropout(d(a, "rate"));
                case "scaleshift" -> new org.a2q.engine.io.onnx.ScaleShift(i(a, "channels"));
                case "actquant" -> a.get("scale") != null
                        ? ActivationQuantizer.fixed(name, i(a, "bits"), bool(a, "signed"), d(a, "scale"))
                        : ActivationQuantizer.learned(name, i(a, "bits"), bool(a, "signed"));
                default -> throw new EngineException("unknown layer type '" + type + "' for node '" + name + "'");
            };
        } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            throw new EngineException("node '" + name + "' (" + type + ") has missing or malformed attributes " + a);
        }
    }

    private static int i(Map<String, Object> a, String k) {
        return ((Number) a.get(k)).intValue();
    }

    private static double d(Map<String, Object> a, String k) {
        return ((Number) a.get(k)).doubleValue();
    }

    private static boolean bool(Map<String, Object> a, String k) {
        return (Boolean) a.get(k);
    }

    private static int pair(Map<String, Object> a, String k, int idx) {
        return ((Number) ((List<?>) a.get(k)).get(idx)).intValue();
    }

    private static long[] longs(Map<String, Object> a, String k) {
        return ((List<?>) a.get(k)).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }
}
