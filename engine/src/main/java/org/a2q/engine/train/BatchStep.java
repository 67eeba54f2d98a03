package org.a2q.engine.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.a2q.engine.EngineException;
import org.a2q.engine.EngineRuntime;
import org.a2q.engine.model.GraphSpec;
import org.a2q.engine.nn.Conv2d;
import org.a2q.engine.nn.Dropout;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.LegacyLoop;
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
 * not shrink with the batch. Each quantized layer's ŵ is computed by the first half to reach the
 * layer and shared with the other ({@link SharedWeight}); after the halves, their dL/dŵ are added
 * and mapped back through the quantizer once (its backward is linear in dL/dŵ, so this equals the
 * sum of the two halves' dL/dv, g and s gradients).
 *
 * <p>That sum and mapping back is done layer by layer ({@link Tail}) by whichever thread has
 * finished its half, as soon as the other half's backward is past the layer. The halves rarely
 * end together (their medians differed by 50–560 µs from process to process here), so the first
 * one done works through fc3, fc2 and fc1 while the other is still in conv2's backward. Alternated
 * step by step in one process (LeNet, A2Q+, batch 64), halves plus this work took 92–137 µs less
 * than halves followed by the sum and the quantizers on both threads; float steps, which only
 * sum, 10–40 µs less.
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
    private List<SharedWeight> shared;  // per quantized layer in node order: its ŵ of the current step
    // Bound once (a fresh INDArray.addi built a legacy op every step: 15-25 µs of dispatch each).
    private final NativeOp arenaSum = new NativeOp("add");

    /**
     * ŵ of one quantized layer for both halves of a split step, computed once per step by the first
     * thread that asks for it; the layer and its replica ask through
     * {@link WeightedLayer#useTransformedWeight(Supplier)} when their forward gets to them. A thread
     * that finds it being computed by the other computes the next layers' ŵ meanwhile (or waits).
     * So the quantizers run while the halves do, mostly on whichever half is ahead, instead of
     * both threads computing them before the halves start (LeNet A2Q+, batch 64, alternated step
     * by step in one process: 64–80 µs less per step). Taking the largest unclaimed ŵ first, or
     * all of them, while waiting measured no better.
     */
    private final class SharedWeight implements Supplier<INDArray> {
        private final WeightedLayer layer;
        private final WeightedLayer replicaLayer;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile INDArray value;

        SharedWeight(WeightedLayer layer, WeightedLayer replicaLayer) {
            this.layer = layer;
            this.replicaLayer = replicaLayer;
        }

        /** Forgets the last step's ŵ (on the calling thread, before the halves are handed out). */
        void reset() {
            value = null;
            claimed.set(false);
        }

        /** Runs the quantizer if no thread has claimed this step's ŵ yet; false if one has. */
        boolean computeIfUnclaimed() {
            if (claimed.get() || !claimed.compareAndSet(false, true)) {
                return false;
            }
            try {
                value = layer.weightTransform().forward(layer.weight().value());
            } catch (RuntimeException | Error e) {
                halfFailed = true;
                throw e;
            }
            return true;
        }

        @Override
        public INDArray get() {
            INDArray w = value;
            if (w != null) {
                return w;
            }
            computeIfUnclaimed();
            long start = System.nanoTime();
            while ((w = value) == null) {
                if (!computeNextUnclaimed()) {
                    if (halfFailed) {
                        throw new OtherHalfFailed();
                    }
                    SpinHandoffWorker.pause(System.nanoTime() - start);
                }
            }
            return w;
        }

        /** dL/dŵ of both halves, summed in the weight's gradient, mapped back through the quantizer in place. */
        void backward() {
            computeIfUnclaimed();   // a layer no half reached still needs its forward state
            INDArray grad = layer.weight().grad();
            layer.weightTransform().backward(grad, grad);
        }
    }

    /** Thrown by a half that waited for a ŵ the other half failed to compute; the step reports that failure. */
    private static final class OtherHalfFailed extends RuntimeException {
        OtherHalfFailed() {
            super("the other half of the batch failed", null, true, false);   // runBoth attaches that failure
        }
    }

    /** The first ŵ no thread has claimed yet, computed; false if all are claimed. */
    private boolean computeNextUnclaimed() {
        for (SharedWeight w : shared) {
            if (w.computeIfUnclaimed()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The gradient-arena block of one node's parameters: graph block += replica block, then, for a
     * quantized layer, its quantizer's backward. Runs once both halves' backward passed the node.
     */
    private record Tail(int node, LegacyLoop sum, SharedWeight quantized) {
        void run() {
            sum.run();
            if (quantized != null) {
                quantized.backward();
            }
        }
    }

    // One Tail per node with parameters, last node first: the order in which backward finishes
    // them. Whichever thread is done with its half takes the next one, waits until the other
    // half's backward has passed that node and runs it, so a half that finishes early sums and
    // maps back the gradients of the layers the other half is already past (fc3, fc2, fc1 while
    // the other still runs conv2's backward) instead of waiting. Null: some node's parameters are
    // not one block of the arena (shared), and the step sums the whole arena after both halves.
    private List<Tail> tails;
    private final AtomicInteger nextTail = new AtomicInteger();
    private volatile boolean halfFailed;    // a half threw: the other must not wait for its backward or a ŵ
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

    /** Whether a split step sums (and maps back) layer by layer as the halves finish, see {@link #tails}. */
    boolean sumsLayerByLayer() {
        return tails != null;
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
            for (SharedWeight w : shared) {
                w.reset();
                w.layer.useTransformedWeight(w);
                w.replicaLayer.useTransformedWeight(w);
            }
            graph.expectBackward();
            replica.expectBackward();
            nextTail.set(0);
            halfFailed = false;
            double[] losses = new double[2];
            try {
                if (tails != null) {
                    worker.runBoth(() -> { losses[0] = half(graph, loss, head, labels, 0, first, size); runTails(); },
                            () -> { losses[1] = half(replica, replicaLoss, tail, labels, first, second, size); runTails(); });
                } else {
                    worker.runBoth(() -> losses[0] = half(graph, loss, head, labels, 0, first, size),
                            () -> losses[1] = half(replica, replicaLoss, tail, labels, first, second, size));
                    arenaSum.exec(new INDArray[] {graph.gradArena(), replica.gradArena()}, graph.gradArena());
                    for (SharedWeight w : shared) {
                        w.backward();
                    }
                }
            } catch (OtherHalfFailed e) {
                throw rethrown(e);
            }
            correct = loss.correct() + replicaLoss.correct();
            return (losses[0] * first + losses[1] * second) / size;
        } finally {
            useOwnTransforms();
        }
    }

    /** The failure of the other half that made this one give up (attached to it by runBoth). */
    private static RuntimeException rethrown(OtherHalfFailed e) {
        for (Throwable t : e.getSuppressed()) {
            if (t instanceof RuntimeException r) {
                return r;
            }
            if (t instanceof Error err) {
                throw err;
            }
        }
        return new EngineException("a half of the split batch failed");
    }

    /** One half's forward, loss and backward; a failure tells the other thread not to wait for it. */
    private double half(Graph g, SoftmaxCrossEntropy l, INDArray features, int[] labels, int from, int count, int divisor) {
        try {
            return forwardBackward(g, l, features, labels, from, count, divisor);
        } catch (RuntimeException | Error e) {
            halfFailed = true;
            throw e;
        }
    }

    /** Takes the next {@link Tail} until none is left, each once both halves' backward passed its node. */
    private void runTails() {
        for (int t = nextTail.getAndIncrement(); t < tails.size(); t = nextTail.getAndIncrement()) {
            Tail tail = tails.get(t);
            long start = System.nanoTime();
            while (!(graph.backwardPassed(tail.node()) && replica.backwardPassed(tail.node()))) {
                if (halfFailed) {
                    return;   // runBoth reports the failure
                }
                SpinHandoffWorker.pause(System.nanoTime() - start);
            }
            tail.run();
        }
    }

    /** Back to each layer running its own quantizer (evaluation, reports, whole batches). */
    private void useOwnTransforms() {
        for (SharedWeight w : shared) {
            w.layer.useTransformedWeight((Supplier<INDArray>) null);
            w.replicaLayer.useTransformedWeight((Supplier<INDArray>) null);
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
        findQuantized();
        if (worker == null) {
            worker = new SpinHandoffWorker("a2q-batch-half");
        }
        return true;
    }

    /** The quantized layers of the graph with their replicas, in node order (the order forward needs their ŵ). */
    private void findQuantized() {
        shared = new ArrayList<>();
        List<Graph.Node> mine = graph.nodes();
        List<Graph.Node> theirs = replica.nodes();
        for (int i = 0; i < mine.size(); i++) {
            if (mine.get(i).layer() instanceof WeightedLayer l && l.weightTransform() != null) {
                shared.add(new SharedWeight(l, (WeightedLayer) theirs.get(i).layer()));
            }
        }
        divideTails();
    }

    /** The {@link #tails} of the graph, or null if some node's parameters are not one block of the arena. */
    private void divideTails() {
        tails = null;
        List<Param> all = graph.params();
        long[] start = new long[all.size() + 1];
        for (int i = 0; i < all.size(); i++) {
            start[i + 1] = start[i] + all.get(i).length();
        }
        Map<WeightedLayer, SharedWeight> quantized = new java.util.HashMap<>();
        for (SharedWeight w : shared) {
            quantized.put(w.layer, w);
        }
        List<Graph.Node> nodes = graph.nodes();
        List<Tail> list = new ArrayList<>();
        long covered = 0;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            List<Param> own = nodes.get(i).layer().params();
            if (own.isEmpty()) {
                continue;
            }
            int first = all.indexOf(own.get(0));
            for (int j = 0; j < own.size(); j++) {
                if (first < 0 || first + j >= all.size() || all.get(first + j) != own.get(j)) {
                    return;   // shared or out of order: sum the whole arena instead
                }
            }
            long from = start[first];
            long to = start[first + own.size()];
            covered += to - from;
            // graph block += replica block, libnd4j's add loop bound to the two views: through a
            // custom op (NativeOp) a block took 2.9 against 0.7 µs for 1 value, 7.5 against 4.7
            // for 48,000 (cache flushed before each call), and LeNet's quantized step has nine
            INDArray mineBlock = graph.gradArena().get(NDArrayIndex.interval(from, to));
            INDArray theirBlock = replica.gradArena().get(NDArrayIndex.interval(from, to));
            list.add(new Tail(i, LegacyLoop.pairwise(LegacyLoop.Pairwise.ADD, mineBlock, theirBlock, mineBlock),
                    nodes.get(i).layer() instanceof WeightedLayer l ? quantized.get(l) : null));
        }
        if (covered == start[all.size()]) {
            tails = list;
        }
    }

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
