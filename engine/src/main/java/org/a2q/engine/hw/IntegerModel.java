package org.a2q.engine.hw;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Identity;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.Reshape;
import org.a2q.engine.nn.WeightTransform;
import org.a2q.engine.quant.AccumulatorAwareWeightQuantizer;
import org.a2q.engine.quant.AccumulatorWidths;
import org.a2q.engine.quant.ActivationQuantizer;
import org.a2q.engine.quant.IntegerWeights;
import org.a2q.engine.quant.PerChannelWeightQuantizer;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A quantized {@link Graph} compiled to an integer pipeline:
 * <ol>
 *   <li>every activation quantizer turns its real input into integer codes with the quantizer's own
 *       round/clamp (the same ND4J ops, so the codes equal the fake-quantized model's codes);</li>
 *   <li>grid-preserving nodes (max-pool, flatten/reshape, identity, dropout in eval) act on the codes
 *       directly, in integers;</li>
 *   <li>every conv/linear is a set of integer dot products of its integer weights with the codes
 *       (im2col patches for a conv), accumulated by a {@link MatVecEngine} in a P-bit register in one
 *       {@link AccumulatorMode};</li>
 *   <li>each accumulator is requantised to a real value s_w[c]·s_x·acc + bias[c] (double), and the
 *       float ops up to the next quantizer (ReLU, batch-norm in eval form, add, average pools, ...)
 *       run as the layers' own float forward passes.</li>
 * </ol>
 * So the dot products are bit-exact integer arithmetic and everything between two quantizers is the
 * float scale arithmetic that a FINN-style flow folds into thresholds. In EXACT mode the result
 * matches the fake-quantized float model up to float rounding: the float model computes s_w·q and
 * s_x·x in float32 and sums in a different order, so an activation that lies within float error of
 * a rounding tie of the next quantizer can land on the neighbouring code.
 *
 * <p>The compiled model reuses the graph's non-weight layers for the float ops, so it must not run
 * concurrently with the graph or with itself.
 */
public final class IntegerModel {
    private enum Kind { QUANT, MATVEC, GRID, FLOAT }

    private record Step(String name, Kind kind, Layer layer, int[] inputs, long[] shape, IntegerLayer matvec) { }

    /** A node's value for a batch: integer codes on a quantizer's grid, a real tensor, or both. */
    private static final class Value {
        final long[] shape;
        int[][] codes;
        double scale;
        InputFormat format;
        String quantizer;
        INDArray real;

        Value(long[] shape) {
            this.shape = shape;
        }
    }

    private final Graph graph;
    private final List<Step> steps;
    private final Map<String, IntegerLayer> layers;
    private final AccumulatorPolicy policy;
    private final DataType dtype;
    private final int outputIndex;

    private IntegerModel(Graph graph, List<Step> steps, Map<String, IntegerLayer> layers, AccumulatorPolicy policy) {
        this.graph = graph;
        this.steps = steps;
        this.layers = layers;
        this.policy = policy;
        this.dtype = graph.valueArena() != null ? graph.valueArena().dataType() : DataType.FLOAT;
        int out = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).name().equals(graph.outputName())) {
                out = i;
            }
        }
        this.outputIndex = out;
    }

    /** Compiles with the sequential schedule (PE = SIMD = 1). */
    public static IntegerModel compile(Graph g, AccumulatorPolicy policy) {
        return compile(g, policy, Folding.SEQUENTIAL);
    }

    /**
     * Compiles a quantized graph. Every conv/linear must carry a weight quantizer and read integer
     * codes (its input reaches an activation quantizer through grid-preserving nodes only).
     *
     * @param folding requested PE × SIMD; each layer takes the largest legal values not above it
     */
    public static IntegerModel compile(Graph g, AccumulatorPolicy policy, Folding folding) {
        if (g == null || policy == null || folding == null) {
            throw new EngineException("a graph, an accumulator policy and a folding are required");
        }
        List<String> weightLayers = new ArrayList<>();
        for (Graph.Node n : g.nodes()) {
            if (n.layer() instanceof Conv2d || n.layer() instanceof Linear) {
                if (Graph.weightTransform(n.layer()) == null) {
                    throw new EngineException("layer '" + n.name() + "' is not quantized (FP32), so the model has no "
                            + "integer form; quantize every conv/linear layer (a2q quantize / train --method)");
                }
                weightLayers.add(n.name());
            }
        }
        if (weightLayers.isEmpty()) {
            throw new EngineException("the model has no conv/linear layer to run in integers");
        }
        Map<String, AccumulatorWidths> widths = new HashMap<>();
        for (QuantReport.LayerReport r : QuantReport.of(g)) {
            widths.put(r.name(), r.widths());
        }
        Map<String, long[]> shapes = g.shapes(1);
        Map<String, Integer> index = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        Map<String, IntegerLayer> layers = new LinkedHashMap<>();
        for (Graph.Node n : g.nodes()) {
            int[] ins = new int[n.inputs().size()];
            for (int j = 0; j < ins.length; j++) {
                String in = n.inputs().get(j);
                ins[j] = in.equals(Graph.INPUT) ? -1 : index.get(in);
            }
            long[] shape = perSample(shapes.get(n.name()));
            Layer l = n.layer();
            Kind kind;
            IntegerLayer mv = null;
            if (l instanceof ActivationQuantizer) {
                kind = Kind.QUANT;
            } else if (l instanceof Conv2d || l instanceof Linear) {
                kind = Kind.MATVEC;
                String first = weightLayers.get(0);
                String last = weightLayers.get(weightLayers.size() - 1);
                mv = compileLayer(g, n, shapes, widths.get(n.name()), policy,
                        n.name().equals(first) || n.name().equals(last), folding);
                layers.put(n.name(), mv);
            } else if (l instanceof Reshape || l instanceof Identity || l instanceof Dropout
                    || (l instanceof Pool2d p && p.kind() == Pool2d.Kind.MAX)) {
                kind = Kind.GRID;
            } else {
                kind = Kind.FLOAT;
            }
            index.put(n.name(), steps.size());
            steps.add(new Step(n.name(), kind, l, ins, shape, mv));
        }
        return new IntegerModel(g, List.copyOf(steps), layers, policy);
    }

    private static long[] perSample(long[] withBatch) {
        return Arrays.copyOfRange(withBatch, 1, withBatch.length);
    }

    private static IntegerLayer compileLayer(Graph g, Graph.Node n, Map<String, long[]> shapes, AccumulatorWidths widths,
                                             AccumulatorPolicy policy, boolean firstOrLast, Folding folding) {
        String name = n.name();
        Layer l = n.layer();
        // The quantizer's integer image is refreshed from the current parameters by a forward pass.
        WeightTransform t;
        double[] bias;
        int[] geometry;
        if (l instanceof Conv2d c) {
            c.effectiveWeight();
            t = c.weightTransform();
            bias = c.bias() == null ? new double[c.outChannels()] : c.bias().value().toDoubleVector();
            long[] in = n.inputs().get(0).equals(Graph.INPUT) ? g.inputShape() : perSample(shapes.get(n.inputs().get(0)));
            geometry = new int[] {c.inChannels(), (int) in[1], (int) in[2], c.kernelH(), c.kernelW(), c.strideH(),
                    c.strideW(), c.padH(), c.padW()};
        } else {
            Linear lin = (Linear) l;
            lin.effectiveWeight();
            t = lin.weightTransform();
            bias = lin.bias() == null ? new double[lin.outFeatures()] : lin.bias().value().toDoubleVector();
            geometry = new int[] {lin.inFeatures(), 1, 1, 1, 1, 1, 1, 0, 0};
        }
        IntegerWeights iw;
        double[] scales;
        QuantMethod method;
        int weightBits;
        int trainedP;
        if (t instanceof AccumulatorAwareWeightQuantizer a) {
            iw = a.integerWeights();
            scales = a.scales();
            method = a.variant() == org.a2q.engine.quant.A2qVariant.A2Q ? QuantMethod.A2Q : QuantMethod.A2Q_PLUS;
            weightBits = a.weightBits();
            trainedP = a.accumulatorBits();
        } else if (t instanceof PerChannelWeightQuantizer p) {
            iw = p.integerWeights();
            scales = p.scales();
            method = QuantMethod.QAT;
            weightBits = p.weightBits();
            trainedP = 0;
        } else {
            throw new EngineException("layer '" + name + "' has a weight transform (" + t.getClass().getSimpleName()
                    + ") without integer weights, so it cannot run in integers");
        }
        ActivationQuantizer aq = inputQuantizer(g, name);
        if (aq == null) {
            throw new EngineException("the input of layer '" + name + "' is not quantized (no activation quantizer "
                    + "before it through max-pool/flatten only), so its dot products have no integer form");
        }
        int[][] rows = new int[iw.channels()][];
        for (int c = 0; c < rows.length; c++) {
            long[] q = iw.q()[c];
            rows[c] = new int[q.length];
            for (int i = 0; i < q.length; i++) {
                rows[c][i] = Math.toIntExact(q[i]);
            }
        }
        InputFormat format = new InputFormat(aq.bits(), aq.signed());
        int p = policy.bitsFor(trainedP, firstOrLast);
        return new IntegerLayer(name, l instanceof Conv2d, new IntWeights(rows), scales, bias, format, aq.scale(),
                quantizerName(g, name), method, weightBits, trainedP, p, firstOrLast, widths, outputBits(g, name),
                geometry, folding);
    }

    private static ActivationQuantizer inputQuantizer(Graph g, String node) {
        String q = quantizerName(g, node);
        return q == null ? null : (ActivationQuantizer) g.node(q).layer();
    }

    /** Walks back through grid-preserving nodes to the quantizer whose codes a layer reads. */
    private static String quantizerName(Graph g, String node) {
        String cur = g.node(node).inputs().get(0);
        while (!cur.equals(Graph.INPUT)) {
            Graph.Node n = g.node(cur);
            Layer l = n.layer();
            if (l instanceof ActivationQuantizer) {
                return n.name();
            }
            boolean keepsGrid = l instanceof Reshape || l instanceof Identity || l instanceof Dropout
                    || (l instanceof Pool2d p && p.kind() == Pool2d.Kind.MAX);
            if (!keepsGrid) {
                return null;
            }
            cur = n.inputs().get(0);
        }
        return null;
    }

    /** Bits of the first quantizer downstream of a layer before another conv/linear; 0 when none. */
    private static int outputBits(Graph g, String node) {
        List<String> frontier = new ArrayList<>(List.of(node));
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (Graph.Node n : g.nodes()) {
                if (n.inputs().stream().anyMatch(frontier::contains)) {
                    if (n.layer() instanceof ActivationQuantizer aq) {
                        return aq.bits();
                    }
                    if (!(n.layer() instanceof Conv2d || n.layer() instanceof Linear)) {
                        next.add(n.name());
                    }
                }
            }
            frontier = next;
        }
        return 0;
    }

    public Graph graph() { return graph; }
    public AccumulatorPolicy policy() { return policy; }

    /** The compiled conv/linear layers in graph order. */
    public List<IntegerLayer> layers() {
        return List.copyOf(layers.values());
    }

    public IntegerLayer layer(String name) {
        IntegerLayer l = layers.get(name);
        if (l == null) {
            throw new EngineException("no conv/linear layer named '" + name + "'; layers are " + layers.keySet());
        }
        return l;
    }

    /** Multiply-accumulates per image over all conv/linear layers. */
    public long macsPerImage() {
        long s = 0;
        for (IntegerLayer l : layers.values()) {
            s += (long) l.outputChannels() * l.dotLength() * l.pixels();
        }
        return s;
    }

    /**
     * Runs a batch of images [B, C, H, W] (pixel/255 as the float model gets them) and returns the
     * logits [B, classes].
     *
     * @param tallies per-layer overflow statistics to add to (from {@link #newTallies}), or null
     */
    public double[][] forward(INDArray images, AccumulatorMode mode, Map<String, OverflowTally> tallies) {
        Value out = run(images, mode, tallies, null, null);
        INDArray real = realOf(out, images.size(0));
        return real.reshape(images.size(0), -1).castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    /** One fresh tally per layer, at the layer's P. */
    public Map<String, OverflowTally> newTallies() {
        Map<String, OverflowTally> t = new LinkedHashMap<>();
        for (IntegerLayer l : layers.values()) {
            t.put(l.name(), l.engine(AccumulatorMode.EXACT).newTally());
        }
        return t;
    }

    /**
     * The integer input patches a layer sees for one image, [pixels][K], with the upstream layers
     * run in {@code mode}: what {@link MatVecEngine#trace} needs to replay a real dot product.
     */
    public int[][] layerInput(String layerName, INDArray image, AccumulatorMode mode) {
        IntegerLayer l = layer(layerName);
        if (image.size(0) != 1) {
            throw new EngineException("give one image [1, C, H, W] to capture a layer's input");
        }
        List<int[][]> captured = new ArrayList<>();
        run(image, mode, null, l.name(), captured);
        return captured.get(0);
    }

    private Value run(INDArray images, AccumulatorMode mode, Map<String, OverflowTally> tallies, String capture,
                      List<int[][]> captured) {
        int batch = (int) images.size(0);
        Value input = new Value(graph.inputShape());
        input.real = images;
        Value[] values = new Value[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            Value[] ins = new Value[s.inputs().length];
            for (int j = 0; j < ins.length; j++) {
                ins[j] = s.inputs()[j] < 0 ? input : values[s.inputs()[j]];
            }
            values[i] = switch (s.kind()) {
                case QUANT -> quantize(s, ins[0], batch);
                case MATVEC -> {
                    if (capture != null && capture.equals(s.name())) {
                        int[][] p = s.matvec().newPatches();
                        s.matvec().im2col(codesFor(s, ins[0])[0], p);
                        captured.add(p);
                    }
                    yield matvec(s, ins[0], batch, mode, tallies == null ? null : tallies.get(s.name()));
                }
                case GRID -> ins[0].codes != null ? grid(s, ins[0], batch) : floatOp(s, ins, batch);
                case FLOAT -> floatOp(s, ins, batch);
            };
        }
        return values[outputIndex];
    }

    /** The activation quantizer's own ops (x/s, clamp, round), so the codes match the float model's. */
    private Value quantize(Step s, Value in, int batch) {
        ActivationQuantizer aq = (ActivationQuantizer) s.layer();
        INDArray x = realOf(in, batch);
        double scale = aq.scale();
        INDArray t = x.div(scale);
        Transforms.max(t, aq.minCode(), false);
        Transforms.min(t, aq.maxCode(), false);
        Transforms.round(t, false);
        int n = (int) (t.length() / batch);
        float[] f = t.dup('c').data().asFloat();
        int[][] codes = new int[batch][n];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                codes[b][i] = (int) f[b * n + i];
            }
        }
        Value v = new Value(s.shape());
        v.codes = codes;
        v.scale = scale;
        v.format = new InputFormat(aq.bits(), aq.signed());
        v.quantizer = s.name();
        return v;
    }

    private int[][] codesFor(Step s, Value in) {
        IntegerLayer l = s.matvec();
        if (in.codes == null || !l.inputQuantizer().equals(in.quantizer)) {
            throw new EngineException("layer '" + s.name() + "' expects integer codes from '" + l.inputQuantizer()
                    + "' but its input is not on that grid");
        }
        return in.codes;
    }

    private Value matvec(Step s, Value in, int batch, AccumulatorMode mode, OverflowTally tally) {
        IntegerLayer l = s.matvec();
        int[][] codes = codesFor(s, in);
        MatVecEngine engine = l.engine(mode);
        int pixels = l.pixels();
        int cout = l.outputChannels();
        int[][] patches = l.newPatches();
        long[][] acc = new long[pixels][cout];
        float[] out = new float[batch * cout * pixels];
        for (int b = 0; b < batch; b++) {
            l.im2col(codes[b], patches);
            engine.compute(patches, acc, tally);
            int base = b * cout * pixels;
            for (int p = 0; p < pixels; p++) {
                long[] a = acc[p];
                for (int c = 0; c < cout; c++) {
                    out[base + c * pixels + p] = (float) l.dequantize(c, a[c]);
                }
            }
        }
        Value v = new Value(s.shape());
        v.real = Nd4j.create(out, withBatch(batch, s.shape()), 'c').castTo(dtype);
        return v;
    }

    /** Grid-preserving nodes on codes: reshape and identity keep the flat codes, max-pool picks the max code. */
    private Value grid(Step s, Value in, int batch) {
        Value v = new Value(s.shape());
        v.scale = in.scale;
        v.format = in.format;
        v.quantizer = in.quantizer;
        if (s.layer() instanceof Pool2d p) {
            v.codes = maxPool(p, in.codes, in.shape, s.shape());
        } else {
            v.codes = in.codes;
        }
        return v;
    }

    /** Max of codes = code of the max, as the scale is positive; padded positions are skipped. */
    static int[][] maxPool(Pool2d p, int[][] codes, long[] inShape, long[] outShape) {
        int ch = (int) inShape[0];
        int h = (int) inShape[1];
        int w = (int) inShape[2];
        int oh = (int) outShape[1];
        int ow = (int) outShape[2];
        int[][] out = new int[codes.length][ch * oh * ow];
        for (int b = 0; b < codes.length; b++) {
            int[] x = codes[b];
            int[] o = out[b];
            int k = 0;
            for (int c = 0; c < ch; c++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int m = Integer.MIN_VALUE;
                        for (int a = 0; a < p.kernelH(); a++) {
                            int y = oy * p.strideH() - p.padH() + a;
                            if (y < 0 || y >= h) {
                                continue;
                            }
                            for (int d = 0; d < p.kernelW(); d++) {
                                int xx = ox * p.strideW() - p.padW() + d;
                                if (xx >= 0 && xx < w) {
                                    m = Math.max(m, x[(c * h + y) * w + xx]);
                                }
                            }
                        }
                        o[k++] = m;
                    }
                }
            }
        }
        return out;
    }

    /** Float ops between quantizers run as the layer's own eval-mode forward pass (copied: layers reuse buffers). */
    private Value floatOp(Step s, Value[] ins, int batch) {
        INDArray[] x = new INDArray[ins.length];
        for (int j = 0; j < ins.length; j++) {
            x[j] = realOf(ins[j], batch);
        }
        Value v = new Value(s.shape());
        v.real = s.layer().forward(x, false).dup('c');
        return v;
    }

    /** The real value of a node; codes become s·q in the float type, as the fake quantizer outputs them. */
    private INDArray realOf(Value v, long batch) {
        if (v.real == null) {
            int n = v.codes[0].length;
            float[] f = new float[(int) batch * n];
            float s = (float) v.scale;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < n; i++) {
                    f[b * n + i] = v.codes[b][i] * s;
                }
            }
            v.real = Nd4j.create(f, withBatch(batch, v.shape), 'c').castTo(dtype);
        }
        return v.real;
    }

    private static long[] withBatch(long batch, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = batch;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    // ---------------------------------------------------------------------------------------------
    // Whole-data-set runs

    /**
     * The outcome of running a data set through the integer model in one mode.
     *
     * @param agreeing        images where the integer model's class equals the float model's (−1 if not compared)
     * @param floatCorrect    correct predictions of the fake-quantized float model (−1 if not compared)
     * @param tallies         per-layer overflow statistics, or an empty map when not collected
     * @param integerNanos    time spent in the integer model only (excludes the float reference)
     */
    public record Result(AccumulatorMode mode, int images, int correct, int floatCorrect, int agreeing,
                         int[] predictions, Map<String, OverflowTally> tallies, long integerNanos, long macsPerImage) {
        public double accuracy() {
            return images == 0 ? 0 : (double) correct / images;
        }

        public double floatAccuracy() {
            return floatCorrect < 0 || images == 0 ? Double.NaN : (double) floatCorrect / images;
        }

        public double agreement() {
            return agreeing < 0 || images == 0 ? Double.NaN : (double) agreeing / images;
        }

        public double imagesPerSecond() {
            return integerNanos == 0 ? Double.NaN : images / (integerNanos / 1e9);
        }

        public double macsPerSecond() {
            return imagesPerSecond() * macsPerImage;
        }
    }

    /**
     * Runs the first {@code limit} images (all when limit ≤ 0) in data-set order.
     *
     * @param stats       collect per-layer, per-channel overflow statistics (a slower scan)
     * @param compareFloat also run the graph's float forward pass and count agreeing predictions
     */
    public Result evaluate(ImageDataset data, int limit, AccumulatorMode mode, boolean stats, boolean compareFloat,
                           int batchSize) {
        return evaluate(data, limit, mode, stats, compareFloat, batchSize, org.a2q.engine.train.Cancellation.none());
    }

    /**
     * As above, stopping between batches once {@code cancel} is set: the result then covers the
     * images done so far ({@link Result#images()}), so a cancelled simulation still reports what
     * it measured and never leaves anything half-written.
     */
    public Result evaluate(ImageDataset data, int limit, AccumulatorMode mode, boolean stats, boolean compareFloat,
                           int batchSize, org.a2q.engine.train.Cancellation cancel) {
        int n = limit <= 0 ? data.size() : Math.min(limit, data.size());
        Batcher batcher = new Batcher(data, batchSize, dtype);
        int[] items = new int[n];
        for (int i = 0; i < n; i++) {
            items[i] = i;
        }
        Map<String, OverflowTally> tallies = stats ? newTallies() : Map.of();
        int[] predictions = new int[n];
        int correct = 0;
        int floatCorrect = 0;
        int agreeing = 0;
        long nanos = 0;
        int done = 0;
        for (int from = 0; from < n; from += batchSize) {
            if (cancel.isCancelled()) {
                break;
            }
            int count = Math.min(batchSize, n - from);
            done = from + count;
            Batch b = batcher.fill(items, from, count);
            INDArray x = b.features();
            int[] ref = null;
            if (compareFloat) {
                ref = argmax(graph.forward(x, false).castTo(DataType.DOUBLE).toDoubleMatrix());
            }
            long t0 = System.nanoTime();
            double[][] logits = forward(x, mode, stats ? tallies : null);
            nanos += System.nanoTime() - t0;
            int[] pred = argmax(logits);
            for (int i = 0; i < count; i++) {
                predictions[from + i] = pred[i];
                if (pred[i] == b.labels()[i]) {
                    correct++;
                }
                if (ref != null) {
                    if (ref[i] == b.labels()[i]) {
                        floatCorrect++;
                    }
                    if (ref[i] == pred[i]) {
                        agreeing++;
                    }
                }
            }
        }
        if (done < n) {
            predictions = java.util.Arrays.copyOf(predictions, done);
        }
        return new Result(mode, done, correct, compareFloat ? floatCorrect : -1, compareFloat ? agreeing : -1, predictions,
                tallies, nanos, macsPerImage());
    }

    /** Index of the largest logit per row; the first on ties, as ND4J's argmax. */
    static int[] argmax(double[][] logits) {
        int[] out = new int[logits.length];
        for (int b = 0; b < logits.length; b++) {
            int best = 0;
            for (int c = 1; c < logits[b].length; c++) {
                if (logits[b][c] > logits[b][best]) {
                    best = c;
                }
            }
            out[b] = best;
        }
        return out;
    }
}
