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
import org.a2q.engine.nn.ReLU;
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

/**
 * A quantized {@link Graph} compiled to an integer pipeline:
 * <ol>
 *   <li>every activation quantizer turns its real input into integer codes with the quantizer's own
 *       arithmetic, round(clamp(x/s)) in float32 (so the codes equal the fake-quantized model's);</li>
 *   <li>grid-preserving nodes (max-pool, flatten/reshape, identity, dropout in eval) act on the codes
 *       directly, in integers;</li>
 *   <li>every conv/linear is a set of integer dot products of its integer weights with the codes
 *       (im2col patches for a conv), accumulated by a {@link MatVecEngine} in a P-bit register in one
 *       {@link AccumulatorMode};</li>
 *   <li>each accumulator is requantised to a real value s_w[c]·s_x·acc + bias[c] (double, rounded to
 *       float32), and the float ops up to the next quantizer (ReLU, batch-norm in eval form, add,
 *       average pools, ...) run as the layers' own float forward passes; ReLU on float32 values runs
 *       in Java as max(x, 0).</li>
 * </ol>
 * So the dot products are bit-exact integer arithmetic and everything between two quantizers is the
 * float scale arithmetic that a FINN-style flow folds into thresholds. In EXACT mode the result
 * matches the fake-quantized float model up to float rounding: the float model computes s_w·q and
 * s_x·x in float32 and sums in a different order, so an activation that lies within float error of
 * a rounding tie of the next quantizer can land on the neighbouring code.
 *
 * <p>A batch runs layer by layer. A conv/linear cuts the batch into parts of consecutive images,
 * and the parts run on a fixed pool of the engine's compute threads ({@link Parallel}), each
 * unfolding its images into columns for {@link MatVecEngine#computeColumns} and keeping its own
 * overflow tally; results do not depend on the number of threads. The straightforward path, image
 * by image through {@link MatVecEngine#compute(int[][], long[][], OverflowTally)}, is kept as the
 * reference that tests hold the fast path to, bit for bit.
 *
 * <p>The compiled model reuses the graph's non-weight layers for the float ops and its own buffers
 * from batch to batch, so it must not run concurrently with the graph or with itself.
 */
public final class IntegerModel {
    private enum Kind { QUANT, MATVEC, GRID, FLOAT }

    private record Step(int index, String name, Kind kind, Layer layer, int[] inputs, long[] shape, IntegerLayer matvec) { }

    /**
     * A node's value for a batch: integer codes on a quantizer's grid, real values as a Java float
     * array [batch·C·H·W] in 'c' order (what a conv/linear's requantisation and a ReLU produce when
     * the graph computes in float32), an ND4J tensor, or several of these; the tensor is made from
     * the others on demand.
     */
    private static final class Value {
        final int step;
        final long[] shape;
        int[][] codes;
        double scale;
        InputFormat format;
        String quantizer;
        float[] floats;
        INDArray real;

        Value(int step, long[] shape) {
            this.step = step;
            this.shape = shape;
        }
    }

    private final Graph graph;
    private final List<Step> steps;
    private final Map<String, IntegerLayer> layers;
    private final AccumulatorPolicy policy;
    private final DataType dtype;
    private final int outputIndex;
    /**
     * Native arrays reused from batch to batch, per step: [0] the step's real output, [1] its codes
     * as reals. Allocating native memory costs far more than filling it (milliseconds for a batch of
     * activations), and a run finishes with a batch before the next one starts.
     */
    private final INDArray[][] buffers;

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
        this.buffers = new INDArray[2][steps.size()];
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
            steps.add(new Step(steps.size(), n.name(), kind, l, ins, shape, mv));
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
        Value out = run(images, mode, tallies, false, null);
        return logits(out, images.size(0));
    }

    private double[][] logits(Value out, long batch) {
        if (out.real == null && out.floats != null) {
            int n = (int) (out.floats.length / batch);
            double[][] d = new double[(int) batch][n];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < n; i++) {
                    d[b][i] = out.floats[b * n + i];
                }
            }
            return d;
        }
        INDArray real = realOf(out, batch);
        return real.reshape(batch, -1).castTo(DataType.DOUBLE).toDoubleMatrix();
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
        Probe probe = new Probe(l.name());
        run(image, mode, null, false, probe);
        return probe.patches;
    }

    /**
     * Every integer tensor of one batch: the codes of each quantizer (and grid node) per image,
     * the registers of each conv/linear per image ([Cout·pixels], NCHW order), and the logits.
     */
    record Capture(Map<String, int[][]> codes, Map<String, long[][]> registers, double[][] logits) { }

    /**
     * Runs a batch keeping every integer tensor. {@code perImage} selects the straightforward path,
     * each image's patches through {@link MatVecEngine#compute(int[][], long[][], OverflowTally)} one
     * dot product at a time on the calling thread, instead of the batched, parallel column path
     * that {@link #forward} uses; the two must agree bit for bit.
     */
    Capture capture(INDArray images, AccumulatorMode mode, Map<String, OverflowTally> tallies, boolean perImage) {
        Probe probe = new Probe(null);
        Value out = run(images, mode, tallies, perImage, probe);
        return new Capture(probe.codes, probe.registers, logits(out, images.size(0)));
    }

    /** What a run records besides its output: one layer's patches, or all integer tensors. */
    private static final class Probe {
        final String patchesOf;
        int[][] patches;
        final Map<String, int[][]> codes = new LinkedHashMap<>();
        final Map<String, long[][]> registers = new LinkedHashMap<>();

        Probe(String patchesOf) {
            this.patchesOf = patchesOf;
        }
    }

    private Value run(INDArray images, AccumulatorMode mode, Map<String, OverflowTally> tallies, boolean perImage,
                      Probe probe) {
        int batch = (int) images.size(0);
        Value input = new Value(-1, graph.inputShape());
        input.real = images;
        Value[] values = new Value[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            Value[] ins = new Value[s.inputs().length];
            for (int j = 0; j < ins.length; j++) {
                ins[j] = s.inputs()[j] < 0 ? input : values[s.inputs()[j]];
            }
            OverflowTally tally = tallies == null ? null : tallies.get(s.name());
            values[i] = switch (s.kind()) {
                case QUANT -> quantize(s, ins[0], batch);
                case MATVEC -> {
                    if (probe != null && s.name().equals(probe.patchesOf)) {
                        int[][] p = s.matvec().newPatches();
                        s.matvec().im2col(codesFor(s, ins[0])[0], p);
                        probe.patches = p;
                    }
                    long[][] registers = probe != null && probe.patchesOf == null ? new long[batch][] : null;
                    Value v = perImage ? matvecPerImage(s, ins[0], batch, mode, tally, registers)
                            : matvec(s, ins[0], batch, mode, tally, registers);
                    if (registers != null) {
                        probe.registers.put(s.name(), registers);
                    }
                    yield v;
                }
                case GRID -> ins[0].codes != null ? grid(s, ins[0], batch) : floatOp(s, ins, batch);
                case FLOAT -> s.layer() instanceof ReLU && ins[0].floats != null ? relu(s, ins[0], batch)
                        : floatOp(s, ins, batch);
            };
            if (probe != null && probe.patchesOf == null && values[i].codes != null) {
                probe.codes.put(s.name(), values[i].codes);
            }
        }
        return values[outputIndex];
    }

    /**
     * The activation quantizer's arithmetic, code = round(clamp(x/s, lo, hi)). In float32 graphs it
     * runs in Java ({@link #quantizeCodes}), image by image on the pool, with the same IEEE arithmetic
     * as the quantizer's ND4J ops, so the codes equal the fake-quantized model's (a test holds the two
     * against each other on exact ties and their neighbours); other float types run the quantizer's
     * own ND4J ops ({@link ActivationQuantizer#codes}).
     */
    private Value quantize(Step s, Value in, int batch) {
        ActivationQuantizer aq = (ActivationQuantizer) s.layer();
        double scale = aq.scale();
        int n = (int) (Arrays.stream(in.shape).reduce(1, (a, b) -> a * b));
        int[][] codes = new int[batch][n];
        if (dtype == DataType.FLOAT) {
            float[] f = in.floats != null ? in.floats : floats(realOf(in, batch));
            float sf = (float) scale;
            float lo = aq.minCode();
            float hi = aq.maxCode();
            int parts = Parallel.parts(batch);
            Parallel.run(parts, part -> {
                for (int b = part; b < batch; b += parts) {
                    quantizeCodes(f, b * n, sf, lo, hi, codes[b]);
                }
            });
        } else {
            INDArray x = realOf(in, batch);
            INDArray t = x.ulike();
            aq.codes(x, t);
            double[] d = t.dup('c').data().asDouble();
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < n; i++) {
                    codes[b][i] = (int) d[b * n + i];
                }
            }
        }
        Value v = new Value(s.index(), s.shape());
        v.codes = codes;
        v.scale = scale;
        v.format = new InputFormat(aq.bits(), aq.signed());
        v.quantizer = s.name();
        return v;
    }

    /**
     * code[i] = round(clamp(x[from + i] / s, lo, hi)) for every code, in float32 as the activation
     * quantizer's ND4J ops compute it: the division correctly rounded, the clamps exact, and halves
     * rounded to even (Math.rint of the float value, which double holds exactly).
     */
    public static void quantizeCodes(float[] x, int from, float s, float lo, float hi, int[] code) {
        for (int i = 0; i < code.length; i++) {
            float t = Math.min(Math.max(x[from + i] / s, lo), hi);
            code[i] = (int) Math.rint(t);
        }
    }

    /**
     * max(x, 0) on Java floats, the same function as the layer's ND4J op: equal on every nonzero
     * value; a zero may differ in sign only, which changes no code and no sum downstream.
     */
    private Value relu(Step s, Value in, int batch) {
        float[] x = in.floats;
        float[] y = new float[x.length];
        int parts = Parallel.parts(batch);
        int n = x.length / batch;
        Parallel.run(parts, part -> {
            int from = (int) ((long) part * batch / parts) * n;
            int to = (int) ((long) (part + 1) * batch / parts) * n;
            for (int i = from; i < to; i++) {
                y[i] = Math.max(x[i], 0f);
            }
        });
        Value v = new Value(s.index(), s.shape());
        v.floats = y;
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

    /**
     * A conv/linear on a batch: the batch is cut into parts of consecutive images, and each part
     * (on the pool) unfolds its images into columns, runs the engine's column kernel and
     * requantises into its own slice of the output with its own tally; the tallies are merged in
     * part order. Every number is independent of the threads: slices are disjoint and a merge only
     * adds counts and takes minima and maxima.
     */
    private Value matvec(Step s, Value in, int batch, AccumulatorMode mode, OverflowTally tally, long[][] registers) {
        IntegerLayer l = s.matvec();
        int[][] codes = codesFor(s, in);
        MatVecEngine engine = l.engine(mode);
        float[] out = new float[batch * l.outputChannels() * l.pixels()];
        int parts = Parallel.parts(batch);
        OverflowTally[] partTallies = new OverflowTally[parts];
        Parallel.run(parts, part -> {
            int from = (int) ((long) part * batch / parts);
            int to = (int) ((long) (part + 1) * batch / parts);
            OverflowTally t = tally == null ? null : (partTallies[part] = engine.newTally());
            l.forwardSamples(codes, from, to, engine, t, out, registers);
        });
        if (tally != null) {
            for (OverflowTally t : partTallies) {
                tally.merge(t);
            }
        }
        return realValue(s, batch, out);
    }

    /** The straightforward path: image by image, patch rows through the engine's row loop, on this thread. */
    private Value matvecPerImage(Step s, Value in, int batch, AccumulatorMode mode, OverflowTally tally,
                                 long[][] registers) {
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
            long[] reg = registers == null ? null : (registers[b] = new long[cout * pixels]);
            for (int p = 0; p < pixels; p++) {
                long[] a = acc[p];
                for (int c = 0; c < cout; c++) {
                    out[base + c * pixels + p] = (float) l.dequantize(c, a[c]);
                    if (reg != null) {
                        reg[c * pixels + p] = a[c];
                    }
                }
            }
        }
        return realValue(s, batch, out);
    }

    /** Grid-preserving nodes on codes: reshape and identity keep the flat codes, max-pool picks the max code. */
    private Value grid(Step s, Value in, int batch) {
        Value v = new Value(s.index(), s.shape());
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
        int parts = Parallel.parts(codes.length);
        Parallel.run(parts, part -> {
            for (int b = part; b < codes.length; b += parts) {
                maxPool(p, codes[b], out[b], ch, h, w, oh, ow);
            }
        });
        return out;
    }

    private static void maxPool(Pool2d p, int[] x, int[] o, int ch, int h, int w, int oh, int ow) {
        int kh = p.kernelH();
        int kw = p.kernelW();
        int sh = p.strideH();
        int sw = p.strideW();
        int ph = p.padH();
        int pw = p.padW();
        int k = 0;
        for (int c = 0; c < ch; c++) {
            int plane = c * h * w;
            for (int oy = 0; oy < oh; oy++) {
                // the window's rows and columns clipped to the input: padded positions are skipped
                int y0 = Math.max(0, oy * sh - ph);
                int y1 = Math.min(h, oy * sh - ph + kh);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * sw - pw);
                    int x1 = Math.min(w, ox * sw - pw + kw);
                    int m = Integer.MIN_VALUE;
                    for (int y = y0; y < y1; y++) {
                        int row = plane + y * w;
                        for (int xx = x0; xx < x1; xx++) {
                            m = Math.max(m, x[row + xx]);
                        }
                    }
                    o[k++] = m;
                }
            }
        }
    }

    /** Float ops between quantizers run as the layer's own eval-mode forward pass (copied: layers reuse buffers). */
    private Value floatOp(Step s, Value[] ins, int batch) {
        INDArray[] x = new INDArray[ins.length];
        for (int j = 0; j < ins.length; j++) {
            x[j] = realOf(ins[j], batch);
        }
        Value v = new Value(s.index(), s.shape());
        v.real = buffer(0, s.index(), batch, s.shape()).assign(s.layer().forward(x, false));
        return v;
    }

    /** A step's requantised output: Java floats when the graph computes in float32, else its tensor. */
    private Value realValue(Step s, int batch, float[] out) {
        Value v = new Value(s.index(), s.shape());
        if (dtype == DataType.FLOAT) {
            v.floats = out;
        } else {
            v.real = fill(buffer(0, s.index(), batch, s.shape()), out);
        }
        return v;
    }

    /** The real value of a node; codes become s·q in the float type, as the fake quantizer outputs them. */
    private INDArray realOf(Value v, long batch) {
        if (v.real == null && v.floats != null) {
            v.real = fill(buffer(1, v.step, batch, v.shape), v.floats);
        } else if (v.real == null) {
            int n = v.codes[0].length;
            float[] f = new float[(int) batch * n];
            float s = (float) v.scale;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < n; i++) {
                    f[b * n + i] = v.codes[b][i] * s;
                }
            }
            v.real = fill(buffer(1, v.step, batch, v.shape), f);
        }
        return v.real;
    }

    /** The reusable native array of a step for a batch, in the model's float type (contents undefined). */
    private INDArray buffer(int slot, int step, long batch, long[] shape) {
        long[] full = withBatch(batch, shape);
        INDArray b = buffers[slot][step];
        if (b == null || !Arrays.equals(b.shape(), full)) {
            b = Nd4j.createUninitialized(dtype, full, 'c');
            buffers[slot][step] = b;
        }
        return b;
    }

    /** Copies f into a 'c' array of the model's type in bulk (float to double exactly). */
    private static INDArray fill(INDArray dst, float[] f) {
        java.nio.ByteBuffer bytes = dst.data().asNio().order(java.nio.ByteOrder.nativeOrder());
        if (dst.dataType() == DataType.FLOAT) {
            bytes.asFloatBuffer().put(f, 0, f.length);
        } else if (dst.dataType() == DataType.DOUBLE) {
            java.nio.DoubleBuffer d = bytes.asDoubleBuffer();
            for (int i = 0; i < f.length; i++) {
                d.put(i, f[i]);
            }
        } else {
            dst.assign(Nd4j.create(f, dst.shape(), 'c'));
        }
        return dst;
    }

    /** The elements of a float array in 'c' order, read in bulk when it is a plain contiguous array. */
    private static float[] floats(INDArray x) {
        if (x.dataType() == DataType.FLOAT && x.ordering() == 'c' && !x.isView() && x.offset() == 0
                && x.data().length() == x.length()) {
            float[] f = new float[(int) x.length()];
            x.data().asNio().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().get(f);
            return f;
        }
        return x.dup('c').data().asFloat();
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
