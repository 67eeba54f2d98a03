package org.a2q.engine.train;

import org.a2q.engine.EngineException;

/** Learning rate as a function of the step: constant, step decay, or cosine annealing to zero. */
public record LearningRateSchedule(Kind kind, double base, int stepEpochs, double gamma) {
    public enum Kind { CONSTANT, STEP, COSINE }

    public LearningRateSchedule {
        if (!(base > 0) || !Double.isFinite(base)) {
            throw new EngineException("learning rate must be a positive number, got " + base);
        }
        if (kind == Kind.STEP && (stepEpochs < 1 || !(gamma > 0))) {
            throw new EngineException("step schedule needs a step of ≥ 1 epoch and gamma > 0");
        }
    }

    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule(Kind.CONSTANT, lr, 1, 1);
    }

    public static LearningRateSchedule step(double lr, int stepEpochs, double gamma) {
        return new LearningRateSchedule(Kind.STEP, lr, stepEpochs, gamma);
    }

    public static LearningRateSchedule cosine(double lr) {
        return new LearningRateSchedule(Kind.COSINE, lr, 1, 1);
    }

    /**
     * @param epoch      0-based epoch of the step
     * @param step       0-based global step
     * @param totalSteps steps of the whole run
     */
    public double at(int epoch, long step, long totalSteps) {
        return switch (kind) {
            case CONSTANT -> base;
            case STEP -> base * Math.pow(gamma, epoch / stepEpochs);
            // lr_t = lr/2 · (1 + cos(π t / T))
            case COSINE -> 0.5 * base * (1 + Math.cos(Math.PI * Math.min(step, totalSteps) / Math.max(1, totalSteps)));
        };
    }
}
