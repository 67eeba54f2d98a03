package org.a2q.engine.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.a2q.engine.EngineException;
import org.a2q.engine.EngineRuntime;
import org.a2q.engine.model.GraphSpec;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.NativeOp;
import org.a2q.engine.nn.Param;
import org.a2q.engine.nn.WeightedLayer;
import org.a2q.engine.quant.Quantization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Forward, loss and backward of one training batch, leaving dL/dθ of the batch's mean loss in the
 * graph's gradient arena (penalties and the optimizer step are the caller's).
 *
 * <p>With two or more engine threads and a convolutional graph whose layers treat every sample
 * on its own (no batch statistics, no dropout), the batch is split in two halves that run at the
 * same time: the first on the calling thread, the second on a worker with a replica of the graph
 * that computes with the very same parameter arrays and has its own gradient arena, each half on
 * one thread per op; the replica's gradients are then added to the graph's. The two halves'
 * gradients are scaled by 1/(whole batch), so the sum is the batch's gradient up to float rounding.
 *
 * <p>Why: on two cores this engine's step ran no faster with two threads per op than with one
 * (most of its ~100 native calls are too small to split well), while two halves on one core each
 * took 1.2–1.4x less time than the whole batch on both (LeNet, batch 64, alternated in one
 * process: 3.1–3.4 ms against 4.0–4.4 ms forward and backward).
 *
 * <p>Weight quantizers run once per step, not once per half: their work is O(parameters) and does
 * not shrink with the batch. Before the halves, each quantized layer's ŵ is computed (the layers
 * divided between the two threads) and handed to that layer in both graphs; after them, the two
 * halves' dL/dŵ are added and mapped back through the quantizer once (its backward is linear in
 * dL/dŵ, so this equals the sum of the two halves' dL/dv, g and s gradients).
 */
public final class BatchStep implements AutoCloseable {
    /** Batches smaller than twice this run whole: halves of a few samples are all overhead. */
    static final int MIN_PART = 4;

    private final Graph graph;
    private boolean splittable;         // cleared if no replica can be built
    private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    private final SoftmaxCrossEntropy replicaLoss = new SoftmaxCrossEntropy();
    private Graph replica;
    private INDArray replicaShares;     // the value arena the replica was built on
    private List<Quantized> transformedOnCaller;   // quantized layers whose quantizer runs on the calling thread
    private List<Quantized> transformedOnWorker;   // ... and on the worker
    // Bound once (a fresh INDArray.addi built a legacy op every step: 15-25 µs of dispatch each).
    private final NativeOp arenaSum = new NativeOp("add");

    /** A quantized layer in the graph and the same layer in the replica. */
    private record Quantized(WeightedLayer layer, WeightedLayer replica) { }

    /** graph arena range += replica arena range, bound once to the two views. */
    private record RangeSum(INDArray mine, INDArray theirs, NativeOp add) {
        void run() {
            add.exec(new INDArray[] {mine, theirs}, mine);
        }
    }

    // The gradient-arena ranges each thread adds before its quantizers' backward: the caller's
    // cover exactly its quantized layers' parameter blocks (weight, bias, quantizer parameters),
    // the worker's everything else, so neither adds a slot the other's quantizer writes. Null:
    // the blocks are not contiguous in the arena, and the step sums serially as for float.
    private List<RangeSum> callerSum;
    private List<RangeSum> workerSum;
    private SpinHandoffWorker worker;
    private int correct;
    private boolean lastSplit;

    /** @param allowSplit false: always the whole batch on the calling thread (per-layer profiles) */
    public BatchStep(Graph graph, boolean allowSplit) {
        this.graph = graph;
        this.splittable = allowSplit && worthSplitting(graph);
    }

    public BatchStep(Graph graph) {
        this(graph, true);
    }

    /**
     * Whether the step would split a batch now: the graph allows it (no layer with running state
     * such as BatchNorm, whose batch statistics would then be per half, and no dropout, whose
     * random masks the replica would repeat), gains from it (it has convolutions) and the engine
     * has at least two threads.
     */
    public boolean splitsBatches() {
        return splittable && EngineRuntime.threads() >= 2;
    }

    /** Whether the last {@link #run} split its batch. */
    public boolean lastSplit() {
        return lastSplit;
    }

    /** Argmax hits in the last batch. */
    public int correct() {
        return correct;
    }

    /** Runs forward, loss and backward of a batch of {@code size}; returns its mean loss. */
    public double run(INDArray features, int[] labels, int size) {
        lastSplit = splitsBatches() && size >= 2 * MIN_PART && ensureReplica();
        if (!lastSplit) {
            EngineRuntime.allOpThreads();
            double l = forwardBackward(graph, loss, features, labels, 0, size, size);
            correct = loss.correct();
            return l;
        }
        int first = (size + 1) / 2;
        int second = size - first;
        INDArray head = features.get(NDArrayIndex.interval(0, first));
        INDArray tail = features.get(NDArrayIndex.interval(first, size));
        // One thread per op from here until restoreThreads(), not only for this step: lowered and
        // raised around every step, the split step ran 0.73-0.80x as fast as the whole batch on two
        // threads instead of 1.33-1.37x (the gradient sum and the update run on one thread too).
        EngineRuntime.setOpThreads(1);
        try {
            boolean quantized = !transformedOnCaller.isEmpty();
            if (quantized) {
                worker.runBoth(() -> transformForward(transformedOnCaller), () -> transformForward(transformedOnWorker));
            }
            double[] losses = new double[2];
            worker.runBoth(() -> losses[0] = forwardBackward(graph, loss, head, labels, 0, first, size),
                    () -> losses[1] = forwardBackward(replica, replicaLoss, tail, labels, first, second, size));
            if (quantized && callerSum != null) {
                // Each thread adds the replica's gradients for its own quantized layers' slots (and
                // its share of the rest) and maps its layers back at once: no serial sum, one
                // hand-over fewer.
                worker.runBoth(() -> { sum(callerSum); transformBackward(transformedOnCaller); },
                        () -> { sum(workerSum); transformBackward(transformedOnWorker); });
            } else {
                arenaSum.exec(new INDArray[] {graph.gradArena(), replica.gradArena()}, graph.gradArena());
                if (quantized) {
                    worker.runBoth(() -> transformBackward(transformedOnCaller), () -> transformBackward(transformedOnWorker));
                }
            }
            correct = loss.correct() + replicaLoss.correct();
            return (losses[0] * first + losses[1] * second) / size;
        } finally {
            useOwnTransforms();
        }
    }

    /** ŵ of each layer's quantizer, handed to the layer in both graphs. */
    private static void transformForward(List<Quantized> layers) {
        for (Quantized q : layers) {
            INDArray w = q.layer().effectiveWeight();   // runs the quantizer: no weight is supplied between steps
            q.layer().useTransformedWeight(w);
            q.replica().useTransformedWeight(w);
        }
    }

    /**
     * Both halves' dL/dŵ, already added with the rest of the gradient arenas (each half's layers
     * left it in their weight's gradient), mapped back through the quantizer once and in place:
     * dL/dv and the quantizer's own gradients overwrite the graph's arena slots (the replica's
     * slots for the quantizer's parameters, added too, hold zeros: its layers never ran a
     * quantizer). Before, dL/dŵ went to per-layer scratch buffers and took one more native add per
     * quantized layer.
     */
    private static void transformBackward(List<Quantized> layers) {
        for (Quantized q : layers) {
            INDArray grad = q.layer().weight().grad();
            q.layer().weightTransform().backward(grad, grad);
        }
    }

    /** Back to each layer running its own quantizer (evaluation, reports, whole batches). */
    private void useOwnTransforms() {
        for (List<Quantized> side : List.of(transformedOnCaller, transformedOnWorker)) {
            for (Quantized q : side) {
                q.layer().useTransformedWeight(null);
                q.replica().useTransformedWeight(null);
            }
        }
    }

    /**
     * Forward, loss and backward of samples [from, from + count) of a batch of {@code divisor} on
     * one graph (the whole batch, or one half); returns their mean loss.
     */
    private static double forwardBackward(Graph g, SoftmaxCrossEntropy l, INDArray features, int[] labels, int from,
                                          int count, int divisor) {
        INDArray logits = g.forward(features, true);
        double mean = l.compute(logits, labels, from, count, divisor);
        g.backward(l.gradient());
        return mean;
    }

    /**
     * Builds the replica from the graph's description and its quantizers, or rebuilds it after the
     * graph was recompiled (new parameter arrays, e.g. a quantizer attached); false, and whole
     * batches from then on, for a graph that cannot be described (the model stays trainable).
     */
    private boolean ensureReplica() {
        if (replica != null && replicaShares == graph.valueArena()) {
            return true;
        }
        Graph r;
        try {
            r = GraphSpec.of(graph).build(0);
            Quantization.restore(r, Map.of(Quantization.SECTION, Quantization.section(graph, null)));
            r.compile();
            r.shareValuesWith(graph);
        } catch (EngineException e) {
            splittable = false;
            return false;
        }
        replica = r;
        replicaShares = graph.valueArena();
        divideTransforms();
        if (worker == null) {
            worker = new SpinHandoffWorker("a2q-batch-half");
        }
        return true;
    }

    /**
     * Divides the quantized layers between the two threads by weight count (largest first, each to
     * the less loaded side), counting each layer as at least {@link #TRANSFORM_OVERHEAD} values:
     * a quantizer's ~25 native calls cost something whatever the size (forward and backward hot:
     * conv1's 150 weights 5.4 µs, conv2's 2,400 12.5 µs, fc1's 48,000 117 µs; in the training step
     * the small ones cost several times that). LeNet: fc1 on one side, conv1, conv2, fc2 and fc3
     * (13,470 weights) on the other.
     */
    private void divideTransforms() {
        List<Quantized> pairs = new ArrayList<>();
        List<Graph.Node> mine = graph.nodes();
        List<Graph.Node> theirs = replica.nodes();
        for (int i = 0; i < mine.size(); i++) {
            if (mine.get(i).layer() instanceof WeightedLayer l && l.weightTransform() != null) {
                pairs.add(new Quantized(l, (WeightedLayer) theirs.get(i).layer()));
            }
        }
        pairs.sort(Comparator.comparingLong((Quantized p) -> -p.layer().weight().length()));
        transformedOnCaller = new ArrayList<>();
        transformedOnWorker = new ArrayList<>();
        long callerLoad = 0;
        long workerLoad = 0;
        for (Quantized p : pairs) {
            long cost = Math.max(p.layer().weight().length(), TRANSFORM_OVERHEAD);
            if (callerLoad <= workerLoad) {
                transformedOnCaller.add(p);
                callerLoad += cost;
            } else {
                transformedOnWorker.add(p);
                workerLoad += cost;
            }
        }
        divideArenaSum();
    }

    /** The arena ranges of each thread's quantized layers (see {@link #callerSum}), or null if a block is not contiguous. */
    private void divideArenaSum() {
        callerSum = null;
        workerSum = null;
        if (transformedOnCaller.isEmpty()) {
            return;   // float: nothing to fold the sum into
        }
        List<Param> all = graph.params();
        long[] start = new long[all.size() + 1];
        for (int i = 0; i < all.size(); i++) {
            start[i + 1] = start[i] + all.get(i).length();
        }
        TreeMap<Long, Long> callerBlocks = new TreeMap<>();
        for (Quantized q : transformedOnCaller) {
            List<Param> own = q.layer().params();
            int first = all.indexOf(own.get(0));
            for (int j = 0; j < own.size(); j++) {
                if (first < 0 || first + j >= all.size() || all.get(first + j) != own.get(j)) {
                    return;   // not one contiguous block: keep the serial sum
                }
            }
            callerBlocks.put(start[first], start[first + own.size()]);
        }
        List<RangeSum> mine = new ArrayList<>();
        List<RangeSum> theirs = new ArrayList<>();
        long at = 0;
        for (Map.Entry<Long, Long> b : callerBlocks.entrySet()) {
            if (b.getKey() > at) {
                theirs.add(rangeSum(at, b.getKey()));
            }
            mine.add(rangeSum(b.getKey(), b.getValue()));
            at = b.getValue();
        }
        if (start[all.size()] > at) {
            theirs.add(rangeSum(at, start[all.size()]));
        }
        callerSum = mine;
        workerSum = theirs;
    }

    private RangeSum rangeSum(long from, long to) {
        return new RangeSum(graph.gradArena().get(NDArrayIndex.interval(from, to)),
                replica.gradArena().get(NDArrayIndex.interval(from, to)), new NativeOp("add"));
    }

    private static void sum(List<RangeSum> ranges) {
        for (RangeSum r : ranges) {
            r.run();
        }
    }

    /** The least work a weight quantizer is counted as, in weights (see {@link #divideTransforms}). */
    static final long TRANSFORM_OVERHEAD = 4_000;

    /**
     * Whether splitting pays and is exact: every layer treats samples on their own (no running
     * state, no dropout), and there is a convolution. Alternated in one process, LeNet's step ran
     * 1.19–1.36x faster split; the MLP's (~0.9 ms of small matrix products, whose per-op costs do
     * not halve with the batch) 0.68–0.87x as fast.
     */
    private static boolean worthSplitting(Graph g) {
        boolean convolution = false;
        for (Graph.Node n : g.nodes()) {
            if (!n.layer().state().isEmpty() || n.layer() instanceof Dropout) {
                return false;
            }
            convolution |= n.layer() instanceof Conv2d;
        }
        return convolution;
    }

    /**
     * Gives each op all configured threads again and lets the worker stop spinning: for evaluation
     * between epochs, inference, or anything else that follows a run of steps.
     */
    public void restoreThreads() {
        EngineRuntime.allOpThreads();
        if (worker != null) {
            worker.rest();
        }
    }

    @Override
    public void close() {
        restoreThreads();
        if (worker != null) {
            worker.close();
            worker = null;
        }
    }
}
