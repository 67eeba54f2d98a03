package org.a2q.engine.io.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.a2q.engine.nn.Add;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Clip;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.GlobalAvgPool;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.ReLU;
import org.a2q.engine.nn.Reshape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a float ONNX model (opsets 9–17) into an engine {@link Graph}. Weights come from
 * initializers (or Constant nodes); layers are named after their weight initializer without the
 * ".weight" suffix so names match the PyTorch module that produced the file. Anything the engine
 * cannot represent exactly is rejected with one message that names the node, its op and what is
 * supported, rather than imported approximately.
 */
public final class OnnxImporter {
    /** Files above this size are refused before reading; the engine's models are a few MB. */
    public static final long MAX_FILE_BYTES = 1L << 30;
    public static final int MIN_OPSET = 9;
    public static final int MAX_OPSET = 17;
    public static final String SUPPORTED_OPS = "Conv, Gemm, MatMul(+Add), Relu, Clip, BatchNormalization, MaxPool, "
            + "AveragePool, GlobalAveragePool, Flatten, Reshape, Add, Sub, Mul, Div, Identity, Dropout, Constant, Cast, "
            + "Pad (zero pads), Softmax/LogSoftmax (at the output only)";

    private static final Logger LOG = LoggerFactory.getLogger(OnnxImporter.class);

    /** The imported graph and what the import changed on the way (e.g. a dropped output Softmax). */
    public record Result(Graph graph, List<String> notes, int opset) { }

    private final String source;
    private final Onnx.GraphProto g;
    private final int opset;
    private final Map<String, Onnx.TensorProto> initializers = new HashMap<>();
    private final Map<String, OnnxTensors.Value> constants = new HashMap<>();
    /** ONNX tensor name → engine node name producing it (or {@link Graph#INPUT}). */
    private final Map<String, String> alias = new HashMap<>();
    /** Engine node name → its output shape for batch 1, for decisions that depend on rank/channels. */
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Map<String, Integer> consumers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<Integer> fused = new HashSet<>();
    private final Set<String> used = new HashSet<>();
    private final List<String> notes = new ArrayList<>();
    private final SplittableRandom rng = new SplittableRandom(0);
    private Graph.Builder builder;

    private OnnxImporter(String source, Onnx.ModelProto m) {
        this.source = source;
        this.g = m.getGraph();
        this.opset = defaultOpset(source, m);
    }

    /** Reads a .onnx file; see {@link #read(String, byte[])}. */
    public static Result read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new EngineException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (size > MAX_FILE_BYTES) {
            throw new EngineException(file + ": " + size + " bytes is more than the 1 GiB an ONNX model may have here");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new EngineException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return read(file.getFileName().toString(), bytes);
    }

    public static Graph load(Path file) {
        return read(file).graph();
    }

    /** Parses and maps a model; {@code source} names it in messages. */
    public static Result read(String source, byte[] bytes) {
        if (bytes.length > MAX_FILE_BYTES) {
            throw new EngineException(source + ": more than 1 GiB; refused");
        }
        Onnx.ModelProto m;
        try {
            m = Onnx.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new EngineException(source + ": not a valid ONNX file (" + e.getMessage() + ")");
        }
        if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
            throw new EngineException(source + ": not an ONNX model (no graph or no nodes); the file is truncated, corrupt or of another kind");
        }
        OnnxImporter imp = new OnnxImporter(source, m);
        try {
            Graph graph = imp.build();
            for (String n : imp.notes) {
                LOG.warn("{}: {}", source, n);
            }
            return new Result(graph, List.copyOf(imp.notes), imp.opset);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            // A corrupt file can pass protobuf parsing and still hold values no valid model has;
            // report it as the bad file it is, not as an engine bug.
            throw new EngineException(source + ": malformed ONNX model (" + e + ")", e);
        }
    }

    private static int defaultOpset(String source, Onnx.ModelProto m) {
        long v = -1;
        for (Onnx.OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                v = o.getVersion();
            }
        }
        if (v < MIN_OPSET || v > MAX_OPSET) {
            throw new EngineException(source + ": ONNX opset " + (v < 0 ? "missing" : String.valueOf(v))
                    + "; supported are opsets " + MIN_OPSET + "–" + MAX_OPSET);
        }
        return (int) v;
    }

    private Graph build() {
        for (Onnx.TensorProto t : g.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        for (Onnx.NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                consumers.merge(in, 1, Integer::sum);
            }
        }
        if (g.getOutputCount() != 1) {
            throw new EngineException(source + ": the model has " + g.getOutputCount() + " outputs; the engine needs exactly one");
        }
        graphOutputs.add(g.getOutput(0).getName());
        builder = Graph.builder(inputShape());
        List<Onnx.NodeProto> nodes = g.getNodeList();
        for (int i = 0; i < nodes.size(); i++) {
            if (fused.contains(i)) {
                continue;
            }
            Onnx.NodeProto n = nodes.get(i);
            try {
                node(i, n);
            } catch (EngineException e) {
                if (e.getMessage().startsWith(source + ": node")) {
                    throw e;
                }
                throw fail(n, e.getMessage());
            }
        }
        String out = g.getOutput(0).getName();
        String engineOut = alias.get(out);
        if (engineOut == null || engineOut.equals(Graph.INPUT)) {
            throw new EngineException(source + ": the graph output '" + out + "' is not computed by any supported node");
        }
        return builder.build(engineOut);
    }

    /** Per-sample shape of the one real input; every dimension but the batch must be known. */
    private long[] inputShape() {
        List<Onnx.ValueInfoProto> inputs = new ArrayList<>();
        for (Onnx.ValueInfoProto v : g.getInputList()) {
            if (!initializers.containsKey(v.getName())) {
                inputs.add(v); // before IR 4 initializers were also listed as inputs
            }
        }
        if (inputs.size() != 1) {
            throw new EngineException(source + ": the model has " + inputs.size() + " inputs; the engine needs exactly one (the images)");
        }
        Onnx.ValueInfoProto in = inputs.get(0);
        if (!in.getType().hasTensorType() || in.getType().getTensorType().getElemType() != Onnx.TensorProto.DataType.FLOAT_VALUE) {
            throw new EngineException(source + ": input '" + in.getName() + "' is not a float tensor");
        }
        Onnx.TypeProto.Tensor tt = in.getType().getTensorType();
        if (!tt.hasShape() || tt.getShape().getDimCount() < 2) {
            throw new EngineException(source + ": input '" + in.getName() + "' has no shape of rank ≥ 2 ([batch, ...])");
        }
        int rank = tt.getShape().getDimCount();
        long[] s = new long[rank - 1];
        for (int i = 1; i < rank; i++) {
            Onnx.TensorShapeProto.Dimension d = tt.getShape().getDim(i);
            if (!d.hasDimValue() || d.getDimValue() < 1) {
                throw new EngineException(source + ": input '" + in.getName() + "' has a dynamic dimension " + i + " ("
                        + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : "unknown")
                        + "); only the batch dimension may be dynamic; export with a fixed image size");
            }
            s[i - 1] = d.getDimValue();
        }
        alias.put(in.getName(), Graph.INPUT);
        long[] withBatch = new long[rank];
        withBatch[0] = 1;
        System.arraycopy(s, 0, withBatch, 1, s.length);
        shapes.put(Graph.INPUT, withBatch);
        return s;
    }

    private void node(int index, Onnx.NodeProto n) {
        String op = n.getOpType();
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            throw unsupported(n);
        }
        switch (op) {
            case "Constant" -> {
                constants.put(n.getOutput(0), constantAttribute(n));
            }
            case "Conv" -> conv(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matmul(index, n);
            case "Relu" -> layer(n, null, new ReLU(), activation(n, 0));
            case "Clip" -> clip(n);
            case "BatchNormalization" -> batchNorm(n);
            case "MaxPool", "AveragePool" -> pool(n);
            case "GlobalAveragePool" -> layer(n, null, new GlobalAvgPool(), activation(n, 0));
            case "Flatten" -> {
                long axis = attrInt(n, "axis", 1);
                if (axis != 1) {
                    throw fail(n, "Flatten with axis " + axis + " is not supported (axis 1 is: keep the batch dimension)");
                }
                layer(n, null, Reshape.flatten(), activation(n, 0));
            }
            case "Reshape" -> reshape(n);
            case "Add", "Sub", "Mul", "Div" -> arithmetic(n);
            case "Identity" -> passThrough(n);
            case "Cast" -> cast(n);
            case "Dropout" -> dropout(n);
            case "Pad" -> pad(n);
            case "Softmax", "LogSoftmax" -> {
                if (!graphOutputs.contains(n.getOutput(0))) {
                    throw fail(n, op + " is only supported as the last op (it is dropped: the engine outputs logits)");
                }
                alias.put(n.getOutput(0), activation(n, 0));
                notes.add(op + " at the output (node '" + n.getName() + "') was dropped: the engine outputs logits, "
                        + "so argmax and accuracy are unchanged");
            }
            default -> throw unsupported(n);
        }
    }

    // ---- ops ----------------------------------------------------------------------------------

    private void conv(Onnx.NodeProto n) {
        String x = activation(n, 0);
        OnnxTensors.Value w = constant(n, 1, "weight");
        OnnxTensors.Value b = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constant(n, 2, "bias") : null;
        if (w.dims().length != 4) {
            throw fail(n, "only 2-D convolutions are supported (weight of rank 4), got weight " + Arrays.toString(w.dims()));
        }
        if (attrInt(n, "group", 1) != 1) {
            throw fail(n, "grouped/depthwise convolution (group " + attrInt(n, "group", 1) + ") is not supported; group must be 1");
        }
        long[] dil = attrInts(n, "dilations", new long[] {1, 1});
        if (Arrays.stream(dil).anyMatch(d -> d != 1)) {
            throw fail(n, "dilations " + Arrays.toString(dil) + " are not supported; only dilation 1");
        }
        long[] k = attrInts(n, "kernel_shape", new long[] {w.dims()[2], w.dims()[3]});
        if (k.length != 2 || k[0] != w.dims()[2] || k[1] != w.dims()[3]) {
            throw fail(n, "kernel_shape " + Arrays.toString(k) + " does not match the weight " + Arrays.toString(w.dims()));
        }
        long[] s = attrInts(n, "strides", new long[] {1, 1});
        long[] p = pads(n, k, s);
        long[] xs = shapes.get(x);
        if (xs.length != 4 || xs[1] != w.dims()[1]) {
            throw fail(n, "input " + Arrays.toString(xs) + " does not fit weight " + Arrays.toString(w.dims())
                    + " (expects [batch, " + w.dims()[1] + ", H, W])");
        }
        int cout = (int) w.dims()[0];
        String name = weightName(n, 1);
        Conv2d conv = new Conv2d(name, (int) w.dims()[1], cout, (int) k[0], (int) k[1], (int) s[0], (int) s[1],
                (int) p[0], (int) p[1], b != null, rng);
        assign(conv.weight().value(), w.f() == null ? w.floats() : w.f(), n);
        if (b != null) {
            checkSize(n, "bias", b, cout);
            assign(conv.bias().value(), b.floats(), n);
        }
        layer(n, name, conv, x);
    }

    private void gemm(Onnx.NodeProto n) {
        String x = activation(n, 0);
        if (attrInt(n, "transA", 0) != 0) {
            throw fail(n, "Gemm with transA=1 is not supported (the activation must be [batch, features])");
        }
        OnnxTensors.Value bw = constant(n, 1, "weight");
        if (bw.dims().length != 2) {
            throw fail(n, "Gemm weight must be a matrix, got " + Arrays.toString(bw.dims()));
        }
        boolean transB = attrInt(n, "transB", 0) != 0;
        float alpha = attrFloat(n, "alpha", 1f);
        float beta = attrFloat(n, "beta", 1f);
        int out = (int) (transB ? bw.dims()[0] : bw.dims()[1]);
        int in = (int) (transB ? bw.dims()[1] : bw.dims()[0]);
        float[] w = transB ? bw.floats().clone() : transpose(bw.floats(), in, out);
        if (alpha != 1f) {
            for (int i = 0; i < w.length; i++) {
                w[i] *= alpha;
            }
        }
        OnnxTensors.Value c = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constant(n, 2, "bias") : null;
        float[] bias = null;
        if (c != null && beta != 0f) {
            bias = broadcastVector(n, c, out, "Gemm bias");
            for (int i = 0; i < bias.length; i++) {
                bias[i] *= beta;
            }
        }
        linear(n, weightName(n, 1), x, in, out, w, bias);
    }

    /** MatMul by a constant [in, out] matrix, fused with a following Add of a constant bias. */
    private void matmul(int index, Onnx.NodeProto n) {
        String x = activation(n, 0);
        OnnxTensors.Value bw = constant(n, 1, "weight");
        if (bw.dims().length != 2) {
            throw fail(n, "MatMul is supported with a constant 2-D weight [in, out], got " + Arrays.toString(bw.dims()));
        }
        int in = (int) bw.dims()[0];
        int out = (int) bw.dims()[1];
        float[] w = transpose(bw.floats(), in, out);
        float[] bias = null;
        String outName = n.getOutput(0);
        if (consumers.getOrDefault(outName, 0) == 1 && !graphOutputs.contains(outName)) {
            List<Onnx.NodeProto> nodes = g.getNodeList();
            for (int j = index + 1; j < nodes.size(); j++) {
                Onnx.NodeProto a = nodes.get(j);
                if (!a.getInputList().contains(outName)) {
                    continue;
                }
                if (a.getOpType().equals("Add") && a.getInputCount() == 2) {
                    String other = a.getInput(0).equals(outName) ? a.getInput(1) : a.getInput(0);
                    OnnxTensors.Value c = constantOrNull(other);
                    if (c != null && c.size() == out && c.dims().length <= 2) {
                        bias = c.floats().clone();
                        fused.add(j);
                        linear(n, weightName(n, 1), x, in, out, w, bias);
                        alias.put(a.getOutput(0), alias.get(outName));
                        return;
                    }
                }
                break;
            }
        }
        linear(n, weightName(n, 1), x, in, out, w, null);
    }

    private void linear(Onnx.NodeProto n, String name, String x, int in, int out, float[] w, float[] bias) {
        long[] xs = shapes.get(x);
        if (xs.length != 2 || xs[1] != in) {
            throw fail(n, "input " + Arrays.toString(xs) + " does not fit the weight (expects [batch, " + in + "]); "
                    + "a Flatten before it is needed");
        }
        Linear l = new Linear(name, in, out, bias != null, rng);
        assign(l.weight().value(), w, n);
        if (bias != null) {
            assign(l.bias().value(), bias, n);
        }
        layer(n, name, l, x);
    }

    private void clip(Onnx.NodeProto n) {
        String x = activation(n, 0);
        double lo;
        double hi;
        if (opset < 11) {
            lo = attrFloat(n, "min", -Float.MAX_VALUE);
            hi = attrFloat(n, "max", Float.MAX_VALUE);
        } else {
            lo = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? scalar(n, 1, "min") : -Float.MAX_VALUE;
            hi = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? scalar(n, 2, "max") : Float.MAX_VALUE;
        }
        if (!(lo < hi)) {
            throw fail(n, "Clip needs min < max, got " + lo + " and " + hi);
        }
        layer(n, null, lo == 0 && hi == Float.MAX_VALUE ? new ReLU() : new Clip(lo, hi), x);
    }

    private void batchNorm(Onnx.NodeProto n) {
        String x = activation(n, 0);
        if (attrInt(n, "training_mode", 0) != 0) {
            throw fail(n, "BatchNormalization in training mode is not supported; export the model in eval mode");
        }
        for (int i = 1; i < n.getOutputCount(); i++) {
            if (!n.getOutput(i).isEmpty() && consumers.containsKey(n.getOutput(i))) {
                throw fail(n, "BatchNormalization's running-statistics outputs are used; only the inference form is supported");
            }
        }
        if (n.getInputCount() != 5) {
            throw fail(n, "BatchNormalization needs 5 inputs (X, scale, B, mean, var), got " + n.getInputCount());
        }
        long[] xs = shapes.get(x);
        if (xs.length != 4) {
            throw fail(n, "BatchNormalization is supported on NCHW activations, got " + Arrays.toString(xs));
        }
        int c = (int) xs[1];
        OnnxTensors.Value scale = constant(n, 1, "scale");
        OnnxTensors.Value bias = constant(n, 2, "B");
        OnnxTensors.Value mean = constant(n, 3, "mean");
        OnnxTensors.Value var = constant(n, 4, "var");
        for (Object[] v : new Object[][] {{"scale", scale}, {"B", bias}, {"mean", mean}, {"var", var}}) {
            checkSize(n, (String) v[0], (OnnxTensors.Value) v[1], c);
        }
        double eps = attrFloat(n, "epsilon", 1e-5f);
        // ONNX keeps `momentum` of the old value; the engine (like PyTorch) keeps that of the new one.
        double momentum = 1.0 - attrFloat(n, "momentum", 0.9f);
        String name = weightName(n, 1);
        BatchNorm2d bn = new BatchNorm2d(name, c, eps, Math.min(1, Math.max(0, momentum)));
        assign(bn.gamma().value(), scale.floats(), n);
        assign(bn.beta().value(), bias.floats(), n);
        assign(bn.runningMean(), mean.floats(), n);
        assign(bn.runningVar(), var.floats(), n);
        layer(n, name, bn, x);
    }

    private void pool(Onnx.NodeProto n) {
        String x = activation(n, 0);
        boolean max = n.getOpType().equals("MaxPool");
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
            throw fail(n, "MaxPool's Indices output is not supported");
        }
        long[] k = attrInts(n, "kernel_shape", null);
        if (k == null || k.length != 2) {
            throw fail(n, "only 2-D pooling with kernel_shape of two values is supported");
        }
        long[] s = attrInts(n, "strides", new long[] {1, 1});
        long[] dil = attrInts(n, "dilations", new long[] {1, 1});
        if (Arrays.stream(dil).anyMatch(d -> d != 1)) {
            throw fail(n, "pooling dilations " + Arrays.toString(dil) + " are not supported");
        }
        if (attrInt(n, "storage_order", 0) != 0) {
            throw fail(n, "MaxPool storage_order 1 is not supported");
        }
        long[] p = pads(n, k, s);
        if (attrInt(n, "ceil_mode", 0) != 0) {
            long[] xs = shapes.get(x);
            for (int d = 0; d < 2; d++) {
                long span = xs[2 + d] + 2 * p[d] - k[d];
                if (span % s[d] != 0) {
                    throw fail(n, "ceil_mode=1 changes the output size here; only floor rounding (ceil_mode 0) is supported");
                }
            }
        }
        boolean includePad = !max && attrInt(n, "count_include_pad", 0) != 0;
        Pool2d pool = new Pool2d(max ? Pool2d.Kind.MAX : Pool2d.Kind.AVG, (int) k[0], (int) k[1], (int) s[0], (int) s[1],
                (int) p[0], (int) p[1], includePad);
        layer(n, null, pool, x);
    }

    private void reshape(Onnx.NodeProto n) {
        String x = activation(n, 0);
        long[] target;
        if (opset < 5 || n.getInputCount() < 2) {
            target = attrInts(n, "shape", null);
        } else {
            OnnxTensors.Value v = constantOrNull(n.getInput(1));
            if (v == null) {
                throw fail(n, "Reshape's shape '" + n.getInput(1) + "' is computed at run time (dynamic shape); "
                        + "only a constant shape is supported (export with a fixed shape, e.g. torch.flatten)");
            }
            target = v.longs();
        }
        if (target == null || target.length < 1) {
            throw fail(n, "Reshape without a target shape");
        }
        if (attrInt(n, "allowzero", 0) != 0) {
            throw fail(n, "Reshape with allowzero=1 is not supported");
        }
        long[] xs = shapes.get(x);
        if (target[0] != 0 && target[0] != -1 && target[0] != xs[0]) {
            throw fail(n, "Reshape to " + Arrays.toString(target) + " fixes the batch dimension; it must be 0 or -1");
        }
        long[] per = new long[target.length - 1];
        for (int i = 1; i < target.length; i++) {
            long d = target[i];
            if (d == 0) {
                if (i >= xs.length) {
                    throw fail(n, "Reshape copies dimension " + i + " that the input " + Arrays.toString(xs) + " lacks");
                }
                d = xs[i];
            }
            if (d == -1 && target[0] == -1) {
                throw fail(n, "Reshape to " + Arrays.toString(target) + " has two unknown dimensions (batch and " + i + ")");
            }
            per[i - 1] = d;
        }
        if (per.length == 0) {
            throw fail(n, "Reshape to a rank-1 tensor drops the batch dimension; not supported");
        }
        layer(n, null, per.length == 1 && per[0] == -1 ? Reshape.flatten() : new Reshape(per), x);
    }

    /** Add of two activations is a residual Add; any of the four with one constant is a ScaleShift. */
    private void arithmetic(Onnx.NodeProto n) {
        String op = n.getOpType();
        OnnxTensors.Value c0 = constantOrNull(n.getInput(0));
        OnnxTensors.Value c1 = constantOrNull(n.getInput(1));
        if (c0 == null && c1 == null) {
            if (!op.equals("Add")) {
                throw fail(n, op + " of two activations is not supported; only Add (residual) is, and "
                        + op + " by a constant");
            }
            String a = activation(n, 0);
            String b = activation(n, 1);
            if (!Arrays.equals(shapes.get(a), shapes.get(b))) {
                throw fail(n, "Add of shapes " + Arrays.toString(shapes.get(a)) + " and " + Arrays.toString(shapes.get(b))
                        + " needs broadcasting, which is not supported");
            }
            layer(n, null, new Add(), a, b);
            return;
        }
        if (c0 != null && c1 != null) {
            throw fail(n, op + " of two constants: constant folding is not supported; export with do_constant_folding=True");
        }
        boolean constFirst = c0 != null;
        String x = activation(n, constFirst ? 1 : 0);
        float[] c = perChannel(n, constFirst ? c0 : c1, shapes.get(x));
        float[] scale = new float[c.length];
        float[] shift = new float[c.length];
        for (int i = 0; i < c.length; i++) {
            switch (op) {
                case "Add" -> { scale[i] = 1; shift[i] = c[i]; }
                case "Sub" -> { scale[i] = constFirst ? -1 : 1; shift[i] = constFirst ? c[i] : -c[i]; }
                case "Mul" -> { scale[i] = c[i]; shift[i] = 0; }
                default -> {
                    if (constFirst) {
                        throw fail(n, "Div of a constant by an activation is not supported (only activation / constant)");
                    }
                    if (c[i] == 0) {
                        throw fail(n, "Div by zero in the constant");
                    }
                    scale[i] = (float) (1.0 / c[i]);
                    shift[i] = 0;
                }
            }
        }
        layer(n, null, new ScaleShift(scale, shift), x);
    }

    private void passThrough(Onnx.NodeProto n) {
        OnnxTensors.Value c = constantOrNull(n.getInput(0));
        if (c != null) {
            constants.put(n.getOutput(0), c);
        } else {
            // Kept as a layer (not folded away) so engine → ONNX → engine keeps the same nodes.
            layer(n, null, new org.a2q.engine.nn.Identity(), activation(n, 0));
        }
    }

    private void cast(Onnx.NodeProto n) {
        int to = (int) attrInt(n, "to", -1);
        OnnxTensors.Value c = constantOrNull(n.getInput(0));
        if (c != null) {
            constants.put(n.getOutput(0), c.castTo(to));
        } else if (to == Onnx.TensorProto.DataType.FLOAT_VALUE) {
            alias.put(n.getOutput(0), activation(n, 0)); // activations are float already
        } else {
            throw fail(n, "Cast of an activation to data type " + to + " is not supported (only to float)");
        }
    }

    private void dropout(Onnx.NodeProto n) {
        String x = activation(n, 0);
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty() && consumers.containsKey(n.getOutput(1))) {
            throw fail(n, "Dropout's mask output is used; not supported");
        }
        double ratio = opset < 12 ? attrFloat(n, "ratio", 0.5f)
                : n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? scalar(n, 1, "ratio") : 0.5;
        layer(n, null, new Dropout(ratio), x);
    }

    /** Only an all-zero Pad is accepted (PyTorch writes one before some pools); it is a no-op. */
    private void pad(Onnx.NodeProto n) {
        String x = activation(n, 0);
        long[] p = opset < 11 ? attrInts(n, "pads", null)
                : n.getInputCount() > 1 ? (constantOrNull(n.getInput(1)) == null ? null : constantOrNull(n.getInput(1)).longs())
                : null;
        if (p == null) {
            throw fail(n, "Pad needs constant pads");
        }
        if (Arrays.stream(p).anyMatch(v -> v != 0)) {
            throw fail(n, "Pad with non-zero pads " + Arrays.toString(p) + " is not supported; put the padding on the Conv or pool");
        }
        alias.put(n.getOutput(0), x);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void layer(Onnx.NodeProto n, String preferred, Layer layer, String... inputs) {
        String name = unique(preferred != null ? preferred : nodeName(n));
        builder.add(name, layer, inputs);
        long[][] ins = new long[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            ins[i] = shapes.get(inputs[i]);
        }
        try {
            shapes.put(name, layer.outputShape(ins));
        } catch (EngineException e) {
            throw fail(n, e.getMessage());
        }
        alias.put(n.getOutput(0), name);
    }

    private String nodeName(Onnx.NodeProto n) {
        String s = n.getName().replaceAll("^/+", "").replace('/', '.');
        return s.isEmpty() ? n.getOpType().toLowerCase(Locale.ROOT) : s;
    }

    private String unique(String name) {
        String base = name.equals(Graph.INPUT) ? "input_node" : name;
        String s = base;
        for (int i = 2; !used.add(s); i++) {
            s = base + "_" + i;
        }
        return s;
    }

    private String weightName(Onnx.NodeProto n, int input) {
        String w = n.getInput(input);
        if (!initializers.containsKey(w)) {
            return nodeName(n);
        }
        return w.endsWith(".weight") ? w.substring(0, w.length() - ".weight".length()) : w;
    }

    /** The engine node producing input i; fails if it is a constant or unknown. */
    private String activation(Onnx.NodeProto n, int i) {
        if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
            throw fail(n, "input " + i + " is missing");
        }
        String t = n.getInput(i);
        String a = alias.get(t);
        if (a == null) {
            if (constantOrNull(t) != null) {
                throw fail(n, "input '" + t + "' is a constant where an activation is expected");
            }
            throw fail(n, "input '" + t + "' is not produced by any earlier node (the graph is not in topological order or is corrupt)");
        }
        return a;
    }

    private OnnxTensors.Value constantOrNull(String name) {
        OnnxTensors.Value v = constants.get(name);
        if (v == null && initializers.containsKey(name)) {
            v = OnnxTensors.decode(initializers.get(name), source);
            constants.put(name, v);
        }
        return v;
    }

    private OnnxTensors.Value constant(Onnx.NodeProto n, int i, String what) {
        if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
            throw fail(n, what + " (input " + i + ") is missing");
        }
        OnnxTensors.Value v = constantOrNull(n.getInput(i));
        if (v == null) {
            throw fail(n, what + " '" + n.getInput(i) + "' is computed at run time; only constant weights are supported");
        }
        return v;
    }

    private double scalar(Onnx.NodeProto n, int i, String what) {
        OnnxTensors.Value v = constant(n, i, what);
        if (v.size() != 1) {
            throw fail(n, what + " must be a scalar, has " + v.size() + " values");
        }
        return v.at(0);
    }

    private OnnxTensors.Value constantAttribute(Onnx.NodeProto n) {
        for (Onnx.AttributeProto a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value": return OnnxTensors.decode(a.getT(), source + ": node '" + n.getName() + "'");
                case "value_float": return new OnnxTensors.Value(new long[0], new float[] {a.getF()}, null);
                case "value_floats": {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    return new OnnxTensors.Value(new long[] {f.length}, f, null);
                }
                case "value_int": return new OnnxTensors.Value(new long[0], null, new long[] {a.getI()});
                case "value_ints": return new OnnxTensors.Value(new long[] {a.getIntsCount()}, null,
                        a.getIntsList().stream().mapToLong(Long::longValue).toArray());
                default: break;
            }
        }
        throw fail(n, "Constant without a supported value (value, value_float(s), value_int(s))");
    }

    /** Symmetric pads [top, left] from ONNX [top, left, bottom, right] or auto_pad. */
    private long[] pads(Onnx.NodeProto n, long[] k, long[] s) {
        if (s.length != 2 || s[0] < 1 || s[1] < 1) {
            throw fail(n, "strides " + Arrays.toString(s) + " are not two positive values");
        }
        String auto = attrString(n, "auto_pad", "NOTSET");
        if (auto.equals("VALID")) {
            return new long[] {0, 0};
        }
        if (!auto.equals("NOTSET")) {
            throw fail(n, "auto_pad=" + auto + " is not supported; export with explicit pads");
        }
        long[] p = attrInts(n, "pads", new long[] {0, 0, 0, 0});
        if (p.length != 4) {
            throw fail(n, "pads " + Arrays.toString(p) + " must have 4 values for a 2-D op");
        }
        if (p[0] != p[2] || p[1] != p[3]) {
            throw fail(n, "asymmetric pads " + Arrays.toString(p) + " (top, left, bottom, right) are not supported; "
                    + "the engine pads both sides equally");
        }
        if (p[0] < 0 || p[1] < 0) {
            throw fail(n, "negative pads " + Arrays.toString(p));
        }
        return new long[] {p[0], p[1]};
    }

    /** A constant broadcast against an activation of shape xs must vary along axis 1 only. */
    private float[] perChannel(Onnx.NodeProto n, OnnxTensors.Value c, long[] xs) {
        long[] d = c.dims();
        if (c.size() == 1) {
            return new float[] {c.floats()[0]};
        }
        if (d.length > xs.length) {
            throw fail(n, "constant " + Arrays.toString(d) + " has a higher rank than the activation " + Arrays.toString(xs));
        }
        int channelAxis = 1 - (xs.length - d.length); // position of axis 1 within the constant's dims
        for (int i = 0; i < d.length; i++) {
            boolean ok = d[i] == 1 || (i == channelAxis && d[i] == xs[1]);
            if (!ok) {
                throw fail(n, "constant " + Arrays.toString(d) + " varies along more than the channel axis of "
                        + Arrays.toString(xs) + "; only per-channel or scalar constants are supported");
            }
        }
        return c.floats().clone();
    }

    private float[] broadcastVector(Onnx.NodeProto n, OnnxTensors.Value c, int len, String what) {
        if (c.size() == len) {
            return c.floats().clone();
        }
        if (c.size() == 1) {
            float[] f = new float[len];
            Arrays.fill(f, c.floats()[0]);
            return f;
        }
        throw fail(n, what + " has " + c.size() + " values, expected " + len + " or 1");
    }

    private void checkSize(Onnx.NodeProto n, String what, OnnxTensors.Value v, int len) {
        if (v.size() != len) {
            throw fail(n, what + " has " + v.size() + " values, expected " + len);
        }
    }

    private void assign(INDArray target, float[] values, Onnx.NodeProto n) {
        if (values.length != target.length()) {
            throw fail(n, "tensor of " + values.length + " values does not fit " + Arrays.toString(target.shape()));
        }
        target.assign(Nd4j.create(values, target.shape(), 'c').castTo(target.dataType()));
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    private static Onnx.AttributeProto attr(Onnx.NodeProto n, String name) {
        for (Onnx.AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private static long attrInt(Onnx.NodeProto n, String name, long dflt) {
        Onnx.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getI();
    }

    private static float attrFloat(Onnx.NodeProto n, String name, float dflt) {
        Onnx.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getF();
    }

    private static long[] attrInts(Onnx.NodeProto n, String name, long[] dflt) {
        Onnx.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static String attrString(Onnx.NodeProto n, String name, String dflt) {
        Onnx.AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    private EngineException fail(Onnx.NodeProto n, String why) {
        return new EngineException(source + ": node '" + n.getName() + "' (" + n.getOpType() + "): " + why);
    }

    private EngineException unsupported(Onnx.NodeProto n) {
        String domain = n.getDomain().isEmpty() ? "" : n.getDomain() + ".";
        return fail(n, "op " + domain + n.getOpType() + " is not supported; supported ops are " + SUPPORTED_OPS);
    }
}
