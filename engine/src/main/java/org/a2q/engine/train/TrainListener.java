package org.a2q.engine.train;

/**
 * Watches a training run; the CLI's progress bar and the GUI's live charts are listeners.
 * Called on the training thread: implementations must be quick and hand work to their own thread.
 */
public interface TrainListener {
    /** After every optimizer step. */
    default void onStep(StepEvent e) { }

    /** After every epoch (with test accuracy when it was evaluated). */
    default void onEpoch(EpochEvent e) { }

    record StepEvent(int epoch, int step, int stepsPerEpoch, long globalStep, long totalSteps, double loss,
                     double penalty, double batchAccuracy, double imagesPerSecond, double learningRate,
                     double elapsedSeconds, double etaSeconds) { }

    record EpochEvent(int epoch, int epochs, double trainLoss, double trainAccuracy, double testAccuracy,
                      double imagesPerSecond, double seconds) { }
}
