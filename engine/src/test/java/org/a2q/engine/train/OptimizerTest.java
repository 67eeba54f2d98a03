package org.a2q.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Linear;
import org.junit.jupiter.api.Test;

/** One update by hand: the closed-form values of SGD with momentum, weight decay, and Adam. */
class OptimizerTest {
    private static Graph oneLinear() {
        Graph g = Graph.builder(2).add("fc", new Linear("fc", 2, 1, true, new SplittableRandom(0))).build();
        g.node("fc").layer().params().get(0).value().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(new float[][] {{1f, -2f}}));
        g.node("fc").layer().params().get(1).value().assign(0.5);
        g.gradArena().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(0.1f, 0.2f, 0.3f));
        return g;
    }

    @Test
    void sgdWithMomentumAndDecayOnWeightsOnly() {
        Graph g = oneLinear();
        Optimizer o = Optimizer.sgd(0.9, 0.01);
        o.step(g, 0.5);
        // weights: g + λw = [0.1+0.01, 0.2−0.02]; bias: no decay, 0.3. v = g; w −= 0.5·v
        assertEquals(1 - 0.5 * 0.11, g.valueArena().getDouble(0), 1e-6);
        assertEquals(-2 - 0.5 * 0.18, g.valueArena().getDouble(1), 1e-6);
        assertEquals(0.5 - 0.5 * 0.3, g.valueArena().getDouble(2), 1e-6);
        g.gradArena().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(0f, 0f, 0f));
        double before = g.valueArena().getDouble(2);
        o.step(g, 0.5);
        // second step: v = 0.9·0.3 + 0 → bias −= 0.5·0.27
        assertEquals(before - 0.5 * 0.27, g.valueArena().getDouble(2), 1e-6);
    }

    @Test
    void adamFirstStepMovesEachParameterByLearningRate() {
        Graph g = oneLinear();
        Optimizer.adam(0).step(g, 0.01);
        // bias-corrected m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g)
        assertEquals(1 - 0.01, g.valueArena().getDouble(0), 1e-6);
        assertEquals(-2 - 0.01, g.valueArena().getDouble(1), 1e-6);
        assertEquals(0.5 - 0.01, g.valueArena().getDouble(2), 1e-6);
    }

    @Test
    void schedules() {
        assertEquals(0.1, LearningRateSchedule.constant(0.1).at(5, 100, 200), 0);
        assertEquals(0.1 * 0.01, LearningRateSchedule.step(0.1, 2, 0.1).at(4, 0, 10), 1e-15);
        LearningRateSchedule c = LearningRateSchedule.cosine(0.2);
        assertEquals(0.2, c.at(0, 0, 100), 1e-15);
        assertEquals(0.1, c.at(0, 50, 100), 1e-12);
        assertEquals(0.0, c.at(0, 100, 100), 1e-12);
    }
}
