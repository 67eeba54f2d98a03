package org.a2q.engine.io.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.a2q.engine.EngineException;
import org.a2q.engine.Version;
import org.a2q.engine.io.AtomicFiles;
import org.a2q.engine.nn.BatchNorm2d;
import org.a2q.engine.nn.Clip;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Layer;
import org.a2q.engine.nn.Linear;
import org.a2q.engine.nn.Pool2d;
import org.a2q.engine.nn.Reshape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes an engine float graph as a float ONNX model (opset 13, IR 7). Weights become raw float32
 * initializers so that importing the file back gives bit-identical parameters; the input is
 * "input" with a dynamic batch dimension. Tensor names are the engine's node names, and weight
 * initializers are "&lt;layer&gt;.weight" / ".bias" (BatchNorm also ".running_mean" / ".running_var"),
 * which is what {@link OnnxImporter} turns back into the same layer names.
 */
public final class OnnxExporter {
    public static final int OPSET = 13;
    private static final String BATCH = "batch";

    final Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder();
    private final Graph graph;

    OnnxExporter(Graph graph) {
        this.graph = graph;
    }

    /** Builds the model in memory. */
    public static Onnx.ModelProto toModel(Graph graph) {
        return new OnnxExporter(graph).build();
    }

    /** Writes the model atomically: a crash leaves either the old file or the complete new one. */
    public static void write(Graph graph, Path file) {
        Onnx.ModelProto m = toModel(graph);
        AtomicFiles.write(file, m::writeTo);
    }

    private Onnx.ModelProto build() {
        g.setName("a2q");
        g.addInput(valueInfo(Graph.INPUT, graph.inputShape()));
        Map<String, long[]> shapes = graph.shapes(1);
        for (Graph.Node n : graph.nodes()) {
            node(n);
        }
        long[] out = shapes.get(graph.outputName());
        g.addOutput(valueInfo(graph.outputName(), Arrays.copyOfRange(out, 1, out.length)));
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(7)
                .setProducerName("a2q-workbench")
                .setProducerVersion(Version.describe())
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g)
                .build();
    }

    void node(Graph.Node n) {
        Layer l = n.layer();
        String name = n.name();
        List<String> in = new ArrayList<>(n.inputs());
        switch (l.type()) {
            case "conv" -> {
                Conv2d c = (Conv2d) l;
                requireFloat(name, c.weightTransform());
                in.add(init(name + ".weight", c.weight().value()));
                if (c.bias() != null) {
                    in.add(init(name + ".bias", c.bias().value()));
                }
                op("Conv", name, in, name,
                        ints("kernel_shape", c.kernelH(), c.kernelW()), ints("strides", c.strideH(), c.strideW()),
                        ints("pads", c.padH(), c.padW(), c.padH(), c.padW()), ints("dilations", 1, 1), integer("group", 1));
            }
            case "linear" -> {
                Linear f = (Linear) l;
                requireFloat(name, f.weightTransform());
                in.add(init(name + ".weight", f.weight().value()));
                if (f.bias() != null) {
                    in.add(init(name + ".bias", f.bias().value()));
                }
                // Weight stays [out, in] (PyTorch's layout), so transB = 1.
                op("Gemm", name, in, name, real("alpha", 1f), real("beta", 1f), integer("transB", 1));
            }
            case "relu" -> op("Relu", name, in, name);
            case "clip" -> {
                Clip c = (Clip) l;
                in.add(scalarInit(name + ".min", (float) c.lo()));
                in.add(scalarInit(name + ".max", (float) c.hi()));
                op("Clip", name, in, name);
            }
            case "batchnorm" -> {
                BatchNorm2d b = (BatchNorm2d) l;
                in.add(init(name + ".weight", b.gamma().value()));
                in.add(init(name + ".bias", b.beta().value()));
                in.add(init(name + ".running_mean", b.runningMean()));
                in.add(init(name + ".running_var", b.runningVar()));
                // ONNX momentum weights the old running value; the engine's the new batch value.
                op("BatchNormalization", name, in, name, real("epsilon", (float) b.eps()),
                        real("momentum", (float) (1 - b.momentum())));
            }
            case "maxpool", "avgpool" -> {
                Pool2d p = (Pool2d) l;
                List<Onnx.AttributeProto> a = new ArrayList<>(List.of(ints("kernel_shape", p.kernelH(), p.kernelW()),
                        ints("strides", p.strideH(), p.strideW()), ints("pads", p.padH(), p.padW(), p.padH(), p.padW())));
                if (p.kind() == Pool2d.Kind.AVG) {
                    a.add(integer("count_include_pad", p.countIncludePad() ? 1 : 0));
                }
                op(p.kind() == Pool2d.Kind.MAX ? "MaxPool" : "AveragePool", name, in, name,
                        a.toArray(Onnx.AttributeProto[]::new));
            }
            case "globalavgpool" -> op("GlobalAveragePool", name, in, name);
            case "flatten" -> op("Flatten", name, in, name, integer("axis", 1));
            case "reshape" -> {
                long[] t = ((Reshape) l).target();
                long[] shape = new long[t.length + 1]; // leading 0: copy the (dynamic) batch dimension
                System.arraycopy(t, 0, shape, 1, t.length);
                g.addInitializer(OnnxTensors.int64s(name + ".shape", shape));
                in.add(name + ".shape");
                op("Reshape", name, in, name);
            }
            case "add" -> op("Add", name, in, name);
            case "identity" -> op("Identity", name, in, name);
            case "dropout" -> {
                // Inference graph: Dropout without training_mode is the identity in ONNX too.
                in.add(scalarInit(name + ".ratio", (float) ((Dropout) l).rate()));
                op("Dropout", name, in, name);
            }
            case "scaleshift" -> {
                ScaleShift s = (ScaleShift) l;
                int rank = graph.shapes(1).get(in.get(0)) != null ? graph.shapes(1).get(in.get(0)).length
                        : graph.inputShape().length + 1;
                // Per-channel constants shaped [C, 1, ..., 1] so they broadcast along axis 1.
                long[] dims = new long[rank - 1];
                Arrays.fill(dims, 1);
                dims[0] = s.channels();
                if (s.channels() == 1) {
                    dims = new long[0];
                }
                String mul = name + ".scaled";
                List<String> mulIn = new ArrayList<>(in);
                mulIn.add(init(name + ".scale", s.scale(), dims));
                op("Mul", name + ".mul", mulIn, mul);
                op("Add", name, List.of(mul, init(name + ".shift", s.shift(), dims)), name);
            }
            case "actquant" -> throw new EngineException("node '" + name + "' is an activation quantizer: the model is "
                    + "quantized, and float ONNX export takes float models only (quantized formats are not yet supported)");
            default -> throw new EngineException("node '" + name + "': layer type '" + l.type()
                    + "' has no ONNX export yet");
        }
    }

    private static void requireFloat(String name, Object weightTransform) {
        if (weightTransform != null) {
            throw new EngineException("node '" + name + "' has a quantized weight: float ONNX export takes float "
                    + "models only (quantized formats are not yet supported)");
        }
    }

    void op(String type, String name, List<String> inputs, String output, Onnx.AttributeProto... attrs) {
        Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder().setOpType(type).setName(name).addOutput(output);
        b.addAllInput(inputs);
        for (Onnx.AttributeProto a : attrs) {
            b.addAttribute(a);
        }
        g.addNode(b);
    }

    String init(String name, INDArray v) {
        return init(name, v, v.shape());
    }

    private String init(String name, INDArray v, long[] dims) {
        float[] f = v.castTo(DataType.FLOAT).dup('c').data().asFloat();
        g.addInitializer(OnnxTensors.floats(name, dims, f));
        return name;
    }

    String scalarInit(String name, float v) {
        g.addInitializer(OnnxTensors.floats(name, new long[0], new float[] {v}));
        return name;
    }

    static Onnx.ValueInfoProto valueInfo(String name, long[] perSample) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        for (long d : perSample) {
            s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                        .setShape(s))).build();
    }

    static Onnx.AttributeProto ints(String name, long... v) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static Onnx.AttributeProto integer(String name, long v) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(v).build();
    }

    static Onnx.AttributeProto real(String name, float v) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(v).build();
    }
}
