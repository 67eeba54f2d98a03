package org.a2q.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.a2q.engine.EngineException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A model: a DAG of named nodes, each a {@link Layer} applied to earlier nodes' outputs (or the
 * graph input, named {@value #INPUT}). Nodes are kept in topological order (the builder only
 * accepts references to names that already exist), forward runs them in order and backward in
 * reverse, summing gradients where an output feeds several nodes (residual blocks).
 *
 * <p>{@link #compile()} moves every parameter into one flat value arena and one flat gradient
 * arena so that an optimizer step is a few whole-arena ops.
 */
public final class Graph {
    public static final String INPUT = "input";

    /** One node: its name, its layer and the names of its inputs. */
    public record Node(String name, Layer layer, List<String> inputs) { }

    private final long[] inputShape;
    private final List<Node> nodes;
    private final String output;
    private final Map<String, Integer> index = new HashMap<>();
    private final int[][] inputIndex;     // per node: index of each input node, −1 for the graph input
    private final int[] consumers;        // per node: how many nodes read its output
    private final int[] soleReader;       // per node: the node that is its only reader, taking only it; else −1
    // A ReLU whose only reader is an AbsorbsRelu layer (an unsigned quantizer) is not run: the
    // reader's clamp at 0 already is the ReLU in value, and its backward applies the ReLU's mask.
    private final boolean[] reluAbsorbed;    // per ReLU node whose only reader is an AbsorbsRelu layer
    private final boolean[] absorbsReluNode; // per AbsorbsRelu node reading such a ReLU
    // A CommutesWithMaxPool layer (a ReLU, an activation quantizer) whose only reader is a max-pool
    // runs after the pool instead, on a quarter of the values (LeNet: [64,6,14,14] instead of
    // [64,6,28,28]): max-pooling commutes with any non-decreasing elementwise map, f(max x) =
    // max f(x), so forward values are identical. For a ReLU the gradients agree too (where a
    // window's maximum is positive both orders route dY to the same argmax with mask 1, where it
    // is ≤ 0 both give 0). For a quantizer they differ only where several values of a window round
    // to the same code: the pool then routes dY to the largest raw value instead of to whichever of
    // the equal codes its kernel picks, and the scale gradient reads that value's x/s; both are
    // straight-through choices (Brevitas pools the codes). The node keeps its place in the graph
    // (names, shapes, exports unchanged) and activation() still returns its value.
    private final int[] movedToPool;         // per max-pool node: the node it reads that runs after it, else −1
    private final boolean[] skipped;         // per node: its layer ran elsewhere (absorbed or moved) in the last forward
    private final INDArray[] movedGrad;      // per max-pool node with a moved node: dL/d(pool output) before it
    private final boolean[] poolReadsOnly;   // per conv node: its only reader is a max-pool (maybe via skipped nodes)

    private List<Param> params;
    private INDArray valueArena;
    private INDArray gradArena;
    // Lowest node whose backward has finished in the current pass (read by another thread, see
    // backwardPassed): written once per node, a volatile store each.
    private volatile int backwardFrontier;
    private INDArray decayMask;

    private long[] forwardNanos;          // per-node time, when profiling
    private long[] backwardNanos;
    private INDArray[] outputs;
    private INDArray[] grads;
    private INDArray[] gradScratch;

    private Graph(long[] inputShape, List<Node> nodes, String output) {
        this.inputShape = inputShape.clone();
        this.nodes = List.copyOf(nodes);
        this.output = output;
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i).name(), i);
        }
        inputIndex = new int[nodes.size()][];
        consumers = new int[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            List<String> in = nodes.get(i).inputs();
            inputIndex[i] = new int[in.size()];
            for (int j = 0; j < in.size(); j++) {
                int k = in.get(j).equals(INPUT) ? -1 : index.get(in.get(j));
                inputIndex[i][j] = k;
                if (k >= 0) {
                    consumers[k]++;
                }
            }
        }
        soleReader = new int[nodes.size()];
        Arrays.fill(soleReader, -1);
        for (int j = 0; j < nodes.size(); j++) {
            int i = inputIndex[j].length == 1 ? inputIndex[j][0] : -1;
            if (i >= 0 && consumers[i] == 1 && !nodes.get(i).name().equals(output)) {
                soleReader[i] = j;
            }
        }
        reluAbsorbed = new boolean[nodes.size()];
        absorbsReluNode = new boolean[nodes.size()];
        movedToPool = new int[nodes.size()];
        Arrays.fill(movedToPool, -1);
        skipped = new boolean[nodes.size()];
        movedGrad = new INDArray[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            int j = soleReader[i];
            if (j < 0) {
                continue;
            }
            Layer layer = nodes.get(i).layer();
            if (layer instanceof ReLU && nodes.get(j).layer() instanceof AbsorbsRelu) {
                reluAbsorbed[i] = true;
                absorbsReluNode[j] = true;
            } else if (layer instanceof CommutesWithMaxPool && isMaxPool(nodes.get(j).layer())) {
                movedToPool[j] = i;
            }
        }
        poolReadsOnly = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            int j = readerPastSkippable(i);
            poolReadsOnly[i] = j >= 0 && nodes.get(i).layer() instanceof Conv2d && isMaxPool(nodes.get(j).layer());
        }
        outputs = new INDArray[nodes.size()];
        grads = new INDArray[nodes.size()];
        gradScratch = new INDArray[nodes.size()];
        shapes(1); // validates every layer's shape contract once
        compile();
    }

    public static Builder builder(long... perSampleInputShape) {
        return new Builder(perSampleInputShape);
    }

    /** Builds a graph node by node; each node may only read nodes added before it. */
    public static final class Builder {
        private final long[] inputShape;
        private final List<Node> nodes = new ArrayList<>();
        private final Set<String> names = new LinkedHashSet<>();
        private String last = INPUT;

        private Builder(long[] inputShape) {
            if (inputShape.length == 0) {
                throw new EngineException("graph input shape is empty");
            }
            this.inputShape = inputShape.clone();
            names.add(INPUT);
        }

        /** Adds a node reading the previously added node (or the input for the first). */
        public Builder add(String name, Layer layer) {
            return add(name, layer, last);
        }

        public Builder add(String name, Layer layer, String... inputs) {
            if (!names.add(name)) {
                throw new EngineException("duplicate node name '" + name + "'");
            }
            if (inputs.length != layer.arity()) {
                throw new EngineException("node '" + name + "' (" + layer.type() + ") takes " + layer.arity()
                        + " input(s), got " + inputs.length);
            }
            for (String in : inputs) {
                if (!names.contains(in) || in.equals(name)) {
                    throw new EngineException("node '" + name + "' reads '" + in + "', which is not defined before it");
                }
            }
            nodes.add(new Node(name, layer, List.of(inputs)));
            last = name;
            return this;
        }

        public String last() {
            return last;
        }

        public Graph build() {
            return build(last);
        }

        public Graph build(String output) {
            if (nodes.isEmpty()) {
                throw new EngineException("graph has no nodes");
            }
            if (!names.contains(output) || output.equals(INPUT)) {
                throw new EngineException("graph output '" + output + "' is not a node");
            }
            return new Graph(inputShape, nodes, output);
        }
    }

    public long[] inputShape() { return inputShape.clone(); }
    public List<Node> nodes() { return nodes; }
    public String outputName() { return output; }

    public Node node(String name) {
        Integer i = index.get(name);
        if (i == null) {
            throw new EngineException("no node named '" + name + "'; nodes are " + index.keySet());
        }
        return nodes.get(i);
    }

    /** Output shape of every node for a batch of the given size (validates the whole graph). */
    public Map<String, long[]> shapes(long batch) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long[] in = new long[inputShape.length + 1];
        in[0] = batch;
        System.arraycopy(inputShape, 0, in, 1, inputShape.length);
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            long[][] ins = new long[inputIndex[i].length][];
            for (int j = 0; j < ins.length; j++) {
                ins[j] = inputIndex[i][j] < 0 ? in : shapes.get(nodes.get(inputIndex[i][j]).name());
            }
            try {
                shapes.put(n.name(), n.layer().outputShape(ins));
            } catch (EngineException e) {
                throw new EngineException("node '" + n.name() + "': " + e.getMessage(), e);
            }
        }
        return shapes;
    }

    /**
     * Collects the parameters into flat arenas. Call again after a layer gains parameters (e.g.
     * a quantizer is attached); values are preserved, gradients reset.
     */
    public void compile() {
        Set<Param> unique = new LinkedHashSet<>();
        for (Node n : nodes) {
            unique.addAll(n.layer().params());
        }
        params = List.copyOf(unique);
        long total = 0;
        for (Param p : params) {
            total += p.length();
        }
        DataType type = params.isEmpty() ? Nd4j.defaultFloatingPointType() : params.get(0).value().dataType();
        valueArena = Nd4j.create(type, Math.max(total, 1));
        gradArena = Nd4j.create(type, Math.max(total, 1));
        decayMask = Nd4j.create(type, Math.max(total, 1));
        long offset = 0;
        for (Param p : params) {
            long len = p.length();
            INDArray v = valueArena.get(NDArrayIndex.interval(offset, offset + len)).reshape('c', p.shape());
            INDArray g = gradArena.get(NDArrayIndex.interval(offset, offset + len)).reshape('c', p.shape());
            p.bind(v, g);
            if (p.decays()) {
                decayMask.get(NDArrayIndex.interval(offset, offset + len)).assign(1.0);
            }
            offset += len;
        }
    }

    public List<Param> params() { return params; }

    /**
     * Makes this graph compute with another graph's parameter values (the very arrays, so an
     * optimizer step on the other is seen here) while keeping its own gradient arena: a replica
     * that runs part of a batch on another thread. Both graphs must be compiled with the same
     * parameters (names, shapes, order).
     */
    public void shareValuesWith(Graph owner) {
        if (params.size() != owner.params.size()) {
            throw new EngineException("cannot share parameters: " + params.size() + " here, " + owner.params.size() + " there");
        }
        for (int i = 0; i < params.size(); i++) {
            Param mine = params.get(i);
            Param theirs = owner.params.get(i);
            if (!mine.name().equals(theirs.name()) || !Arrays.equals(mine.shape(), theirs.shape())) {
                throw new EngineException("cannot share parameters: " + mine + " here, " + theirs + " there");
            }
        }
        for (int i = 0; i < params.size(); i++) {
            params.get(i).shareValue(owner.params.get(i));
        }
        valueArena = owner.valueArena;
    }

    /** All parameter values, flat (a view: writing to it changes the model). */
    public INDArray valueArena() { return valueArena; }

    /** All parameter gradients, flat, in the same order as {@link #valueArena()}. */
    public INDArray gradArena() { return gradArena; }

    /** 1 where weight decay applies (Kind.WEIGHT), 0 for biases, norms and scales. */
    public INDArray decayMask() { return decayMask; }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) {
            n += p.length();
        }
        return n;
    }

    /** Runs the graph; the returned array is owned by the graph (valid until the next forward). */
    public INDArray forward(INDArray x, boolean training) {
        long[] s = x.shape();
        if (s.length != inputShape.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), inputShape)) {
            throw new EngineException("model expects input [batch, " + join(inputShape) + "] but got "
                    + Arrays.toString(s));
        }
        for (int i = 0; i < nodes.size(); i++) {
            int[] ii = inputIndex[i];
            INDArray[] ins = new INDArray[ii.length];
            for (int j = 0; j < ii.length; j++) {
                ins[j] = ii[j] < 0 ? x : outputs[ii[j]];
            }
            long t0 = forwardNanos != null ? System.nanoTime() : 0;
            skipped[i] = runsElsewhere(i);
            if (skipped[i]) {
                outputs[i] = ins[0];          // applied by the layer that reads it
            } else {
                if (nodes.get(i).layer() instanceof Conv2d conv) {
                    // only for this call: a caller running the layer on its own gets dense NCHW
                    conv.allowChannelMajorOutput(poolReadsOnly[i] && movedChainActive(i));
                    outputs[i] = conv.forward(ins, training);
                    conv.allowChannelMajorOutput(false);
                } else {
                    outputs[i] = nodes.get(i).layer().forward(ins, training);
                }
                int m = movedToPool[i];
                if (m >= 0 && skipped[m]) {
                    long tm = forwardNanos != null ? System.nanoTime() : 0;
                    outputs[i] = nodes.get(m).layer().forward(new INDArray[] {outputs[i]}, training);
                    if (forwardNanos != null) {
                        long dt = System.nanoTime() - tm;
                        forwardNanos[m] += dt;   // reported under the moved node, not the pool
                        t0 += dt;
                    }
                }
            }
            if (forwardNanos != null) {
                forwardNanos[i] += System.nanoTime() - t0;
            }
        }
        return outputs[index.get(output)];
    }

    /** Output of a node from the last forward pass. */
    public INDArray activation(String name) {
        int i = index.get(node(name).name());
        if (outputs[i] == null) {
            return null;
        }
        // A skipped node holds its input; readers get the node's value (absorbed nodes are ReLUs,
        // moved ones CommutesWithMaxPool layers: both compute it with apply).
        return skipped[i] ? ((CommutesWithMaxPool) nodes.get(i).layer()).apply(outputs[i]) : outputs[i];
    }

    /** Whether node i's layer runs elsewhere in this pass: absorbed by its reader, or moved after its pool. */
    private boolean runsElsewhere(int i) {
        int j = soleReader[i];
        if (reluAbsorbed[i]) {
            return ((AbsorbsRelu) nodes.get(j).layer()).absorbsRelu();
        }
        return j >= 0 && movedToPool[j] == i && ((CommutesWithMaxPool) nodes.get(i).layer()).commutesWithMaxPool();
    }

    /** The only reader of node i, past a ReLU that reader absorbs; −1 if none. */
    private int readerPastAbsorbed(int i) {
        int j = soleReader[i];
        return j >= 0 && reluAbsorbed[j] ? soleReader[j] : j;
    }

    /** The reader of node i past an absorbed ReLU and a layer moved after its pool, if any; −1 if none. */
    private int readerPastSkippable(int i) {
        int j = readerPastAbsorbed(i);
        return j >= 0 && soleReader[j] >= 0 && movedToPool[soleReader[j]] == j ? soleReader[j] : j;
    }

    /** Whether the layer between conv node i and its max-pool (poolReadsOnly) runs after the pool in this pass. */
    private boolean movedChainActive(int i) {
        return !(nodes.get(readerPastAbsorbed(i)).layer() instanceof CommutesWithMaxPool c) || c.commutesWithMaxPool();
    }

    private static boolean isMaxPool(Layer layer) {
        return layer instanceof Pool2d pool && pool.kind() == Pool2d.Kind.MAX;
    }

    /**
     * Marks the next {@link #backward} as not yet begun, for a thread that waits on its parameter
     * gradients with {@link #backwardPassed}: call it before the pass is handed to its thread.
     */
    public void expectBackward() {
        backwardFrontier = nodes.size();
    }

    /**
     * Whether the backward pass expected by {@link #expectBackward} has finished node i, so that
     * the gradients of node i's parameters are final (backward visits nodes from last to first,
     * and a layer that ran after a pool gets its gradients in the pool's turn, earlier still).
     */
    public boolean backwardPassed(int node) {
        return backwardFrontier <= node;
    }

    /**
     * Backpropagates dL/d(output) through the graph (after a training forward). Parameter
     * gradients are overwritten, not accumulated.
     */
    public void backward(INDArray gradOutput) {
        int out = index.get(output);
        boolean[] written = new boolean[nodes.size()];
        grads[out] = Buffers.likeLayout(grads[out], outputs[out]);
        grads[out].assign(gradOutput);
        written[out] = true;
        // A node's output needs a gradient only if some parameter lies upstream of it (e.g. the
        // first conv after a fixed input quantizer must not compute dL/dx: for LeNet's conv1 that
        // deconvolution alone cost more than the rest of the step).
        boolean[] needsGrad = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            needsGrad[i] = !nodes.get(i).layer().params().isEmpty();
            for (int k : inputIndex[i]) {
                needsGrad[i] |= k >= 0 && needsGrad[k];
            }
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            backwardFrontier = i + 1;   // nodes after i are done
            if (!written[i]) {
                continue; // node does not influence the output
            }
            int[] ii = inputIndex[i];
            if (skipped[i]) {
                // Identity here (the reader applied the layer): hand dY on without a copy.
                int k = ii[0];
                if (k >= 0 && needsGrad[k]) {
                    if (written[k]) {
                        grads[k].addi(grads[i]);
                    } else {
                        grads[k] = grads[i];
                        written[k] = true;
                    }
                }
                continue;
            }
            INDArray gradOut = grads[i];
            int mv = movedToPool[i];
            if (mv >= 0 && skipped[mv]) {
                // The moved layer ran last in this node's forward, so its backward runs first.
                long t0 = backwardNanos != null ? System.nanoTime() : 0;
                movedGrad[i] = Buffers.likeLayout(movedGrad[i], outputs[i]);
                Layer moved = nodes.get(mv).layer();
                if (absorbsReluNode[mv] && skipped[inputIndex[mv][0]]) {
                    ((AbsorbsRelu) moved).backwardAfterRelu(grads[i], movedGrad[i]);
                } else {
                    moved.backward(grads[i], new INDArray[] {movedGrad[i]});
                }
                gradOut = movedGrad[i];
                if (backwardNanos != null) {
                    backwardNanos[mv] += System.nanoTime() - t0;
                }
            }
            INDArray[] gradIns = new INDArray[ii.length];
            boolean[] accumulate = new boolean[ii.length];
            for (int j = 0; j < ii.length; j++) {
                int k = ii[j];
                if (k < 0 || !needsGrad[k]) {
                    continue;
                }
                if (!written[k]) {
                    grads[k] = Buffers.likeLayout(grads[k], outputs[k]);
                    gradIns[j] = grads[k];
                } else {
                    gradScratch[k] = Buffers.likeLayout(gradScratch[k], outputs[k]);
                    gradIns[j] = gradScratch[k];
                    accumulate[j] = true;
                }
            }
            // The same input twice (x + x): the second slot must not alias the first.
            for (int j = 1; j < ii.length; j++) {
                for (int m = 0; m < j; m++) {
                    if (gradIns[j] != null && ii[j] == ii[m] && gradIns[j] == gradIns[m]) {
                        gradIns[j] = grads[ii[j]].ulike();
                        accumulate[j] = true;
                    }
                }
            }
            long t0 = backwardNanos != null ? System.nanoTime() : 0;
            if (absorbsReluNode[i] && skipped[ii[0]]) {
                ((AbsorbsRelu) nodes.get(i).layer()).backwardAfterRelu(gradOut, gradIns[0]);
            } else {
                nodes.get(i).layer().backward(gradOut, gradIns);
            }
            if (backwardNanos != null) {
                backwardNanos[i] += System.nanoTime() - t0;
            }
            for (int j = 0; j < ii.length; j++) {
                int k = ii[j];
                if (k < 0 || !needsGrad[k]) {
                    continue;
                }
                if (accumulate[j]) {
                    grads[k].addi(gradIns[j]);
                }
                written[k] = true;
            }
        }
        backwardFrontier = 0;
    }

    /**
     * Starts (or, with false, stops) accumulating wall time per node; ND4J ops run synchronously
     * on this backend, so the time of a node is the time of its kernels.
     */
    public void profile(boolean on) {
        forwardNanos = on ? new long[nodes.size()] : null;
        backwardNanos = on ? new long[nodes.size()] : null;
    }

    /** Accumulated forward and backward nanoseconds per node name since {@link #profile}(true). */
    public Map<String, long[]> profileNanos() {
        Map<String, long[]> m = new LinkedHashMap<>();
        if (forwardNanos != null) {
            for (int i = 0; i < nodes.size(); i++) {
                m.put(nodes.get(i).name(), new long[] {forwardNanos[i], backwardNanos[i]});
            }
        }
        return m;
    }

    /** Sum of the extra loss terms of weight transforms (the A2Q regulariser). */
    public double penalty() {
        double p = 0;
        for (Node n : nodes) {
            WeightTransform t = weightTransform(n.layer());
            if (t != null) {
                p += t.penalty();
            }
        }
        return p;
    }

    /** Adds the gradients of {@link #penalty()} to the transforms' parameter gradients. */
    public void addPenaltyGradients() {
        for (Node n : nodes) {
            WeightTransform t = weightTransform(n.layer());
            if (t != null) {
                t.addPenaltyGradient();
            }
        }
    }

    public static WeightTransform weightTransform(Layer layer) {
        return layer instanceof WeightedLayer w ? w.weightTransform() : null;
    }

    private static String join(long[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(a[i]);
        }
        return sb.toString();
    }
}
