package org.a2q.engine.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.a2q.engine.EngineException;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.ImageDataset;
import org.a2q.engine.nn.Graph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mini-batch training of a graph with softmax cross-entropy: forward, loss (+ the weight
 * transforms' penalty, i.e. the A2Q regulariser), backward, optimizer step; listeners see every
 * step and epoch; a {@link Cancellation} stops it between steps, leaving the model in the state
 * of the last completed step. A non-finite loss stops training BEFORE the update that would
 * have spoiled the parameters.
 */
public final class Trainer {
    private final Graph graph;
    private final TrainConfig config;
    private final Optimizer optimizer;
    private final List<TrainListener> listeners = new CopyOnWriteArrayList<>();
    private final List<TrainListener.EpochEvent> history = new ArrayList<>();
    private int epochsDone;

    public Trainer(Graph graph, TrainConfig config) {
        this(graph, config, config.newOptimizer());
    }

    public Trainer(Graph graph, TrainConfig config, Optimizer optimizer) {
        this.graph = graph;
        this.config = config;
        this.optimizer = optimizer;
    }

    public Trainer addListener(TrainListener l) {
        listeners.add(l);
        return this;
    }

    public Optimizer optimizer() { return optimizer; }
    public TrainConfig config() { return config; }
    public Graph graph() { return graph; }
    public List<TrainListener.EpochEvent> history() { return List.copyOf(history); }
    public int epochsDone() { return epochsDone; }

    /** Continue from a restored run: the next epoch to train is {@code epochsDone}. */
    public void resumeAt(int epochsDone, List<TrainListener.EpochEvent> previous) {
        this.epochsDone = epochsDone;
        history.clear();
        history.addAll(previous);
    }

    /** Trains the remaining epochs; returns the epoch history. test may be null. */
    public List<TrainListener.EpochEvent> fit(ImageDataset train, ImageDataset test, Cancellation cancel) {
        train.validateForTraining();
        long[] want = graph.inputShape();
        int[] have = train.itemShape();
        if (want.length != have.length || want[0] != have[0] || want[1] != have[1] || want[2] != have[2]) {
            throw new EngineException("the data's images are " + have[0] + "x" + have[1] + "x" + have[2]
                    + " but the model expects " + want[0] + "x" + want[1] + "x" + want[2]
                    + "; pick a model built for this data or resize the data");
        }
        Batcher batcher = new Batcher(train, config.batchSize(), graph.valueArena().dataType());
        int stepsPerEpoch = batcher.batchCount();
        if (config.maxStepsPerEpoch() > 0) {
            stepsPerEpoch = Math.min(stepsPerEpoch, config.maxStepsPerEpoch());
        }
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        long runStart = System.nanoTime();
        long stepsThisRun = 0;
        long globalStep = (long) epochsDone * stepsPerEpoch;
        // A training forward pass updates layer state (BatchNorm running statistics) before the loss
        // is known; keep a copy from before each step so a diverging step leaves none of itself behind.
        List<INDArray> liveState = new ArrayList<>();
        List<INDArray> savedState = new ArrayList<>();
        for (Graph.Node n : graph.nodes()) {
            for (INDArray a : n.layer().state().values()) {
                liveState.add(a);
                savedState.add(a.dup());
            }
        }
        // Splits each batch over two threads when the engine has them and the model allows it.
        try (BatchStep batchStep = new BatchStep(graph)) {
            for (int epoch = epochsDone; epoch < config.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                int correct = 0;
                int seen = 0;
                int step = 0;
                for (Batch b : batcher.epoch(config.seed(), epoch)) {
                    if (step >= stepsPerEpoch) {
                        break;
                    }
                    if (cancel.isCancelled()) {
                        return history();
                    }
                    long t0 = System.nanoTime();
                    for (int i = 0; i < liveState.size(); i++) {
                        savedState.get(i).assign(liveState.get(i));
                    }
                    double l = batchStep.run(b.features(), b.labels(), b.size());
                    double penalty = graph.penalty();
                    if (!Double.isFinite(l) || !Double.isFinite(penalty)) {
                        for (int i = 0; i < liveState.size(); i++) {
                            liveState.get(i).assign(savedState.get(i));
                        }
                        throw new EngineException("training diverged at epoch " + (epoch + 1) + ", step " + (step + 1)
                                + " (loss " + l + "); the model keeps the parameters of the last good step. "
                                + "Lower the learning rate (now " + config.schedule().base() + ") and resume.");
                    }
                    graph.addPenaltyGradients();
                    double lr = config.schedule().at(epoch, globalStep, totalSteps);
                    optimizer.step(graph, lr);
                    long t1 = System.nanoTime();
                    step++;
                    globalStep++;
                    stepsThisRun++;
                    lossSum += l * b.size();
                    correct += batchStep.correct();
                    seen += b.size();
                    double elapsed = (t1 - runStart) / 1e9;
                    double perStep = elapsed / stepsThisRun;
                    double eta = perStep * (totalSteps - globalStep);
                    TrainListener.StepEvent ev = new TrainListener.StepEvent(epoch, step, stepsPerEpoch, globalStep,
                            totalSteps, l, penalty, (double) batchStep.correct() / b.size(), b.size() / ((t1 - t0) / 1e9), lr,
                            elapsed, eta);
                    for (TrainListener li : listeners) {
                        li.onStep(ev);
                    }
                }
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                double testAcc = Double.NaN;
                batchStep.restoreThreads();
                if (test != null && config.evalEvery() > 0 && ((epoch + 1) % config.evalEvery() == 0 || epoch + 1 == config.epochs())) {
                    testAcc = Evaluation.evaluate(graph, test, Math.max(config.batchSize(), 256), cancel).accuracy();
                }
                TrainListener.EpochEvent ev = new TrainListener.EpochEvent(epoch, config.epochs(), lossSum / Math.max(1, seen),
                        (double) correct / Math.max(1, seen), testAcc, seen / seconds, seconds);
                history.add(ev);
                epochsDone = epoch + 1;
                for (TrainListener li : listeners) {
                    li.onEpoch(ev);
                }
            }
        }
        return history();
    }
}
