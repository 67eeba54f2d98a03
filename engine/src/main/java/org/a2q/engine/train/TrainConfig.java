package org.a2q.engine.train;

import org.a2q.engine.EngineException;

/**
 * Everything a training run needs besides the model and data.
 *
 * @param maxStepsPerEpoch 0 for whole epochs; otherwise stop each epoch after this many batches
 *                         (quick runs in tests and the GUI's "few batches" mode)
 * @param evalEvery        evaluate on the test set every this many epochs (0 never)
 */
public record TrainConfig(int epochs, int batchSize, Optimizer.Kind optimizer, LearningRateSchedule schedule,
                          double momentum, double weightDecay, long seed, int maxStepsPerEpoch, int evalEvery) {
    public TrainConfig {
        if (epochs < 1) {
            throw new EngineException("epochs must be ≥ 1, got " + epochs);
        }
        if (batchSize < 1 || batchSize > 65536) {
            throw new EngineException("batch size must be in 1..65536, got " + batchSize);
        }
        if (maxStepsPerEpoch < 0) {
            throw new EngineException("steps per epoch must be ≥ 0");
        }
    }

    /** The defaults used for the bundled LeNet recipe: Adam 1e-3, cosine, batch 64. */
    public static TrainConfig defaults(int epochs) {
        return new TrainConfig(epochs, 64, Optimizer.Kind.ADAM, LearningRateSchedule.cosine(1e-3), 0.9, 0.0, 0, 0, 1);
    }

    public TrainConfig withEpochs(int e) {
        return new TrainConfig(e, batchSize, optimizer, schedule, momentum, weightDecay, seed, maxStepsPerEpoch, evalEvery);
    }

    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(epochs, b, optimizer, schedule, momentum, weightDecay, seed, maxStepsPerEpoch, evalEvery);
    }

    public TrainConfig withSchedule(LearningRateSchedule s) {
        return new TrainConfig(epochs, batchSize, optimizer, s, momentum, weightDecay, seed, maxStepsPerEpoch, evalEvery);
    }

    public TrainConfig withOptimizer(Optimizer.Kind o, double m, double wd) {
        return new TrainConfig(epochs, batchSize, o, schedule, m, wd, seed, maxStepsPerEpoch, evalEvery);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(epochs, batchSize, optimizer, schedule, momentum, weightDecay, s, maxStepsPerEpoch, evalEvery);
    }

    public TrainConfig withMaxStepsPerEpoch(int n) {
        return new TrainConfig(epochs, batchSize, optimizer, schedule, momentum, weightDecay, seed, n, evalEvery);
    }

    public Optimizer newOptimizer() {
        return optimizer == Optimizer.Kind.SGD ? Optimizer.sgd(momentum, weightDecay) : Optimizer.adam(weightDecay);
    }
}
