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

    /** Adam over several steps equals the textbook update done with plain allocating array ops, bit for bit. */
    @Test
    void adamMatchesTheStraightforwardArrayOpsExactly() {
        SplittableRandom rng = new SplittableRandom(5);
        Graph g = Graph.builder(30).add("fc", new Linear("fc", 30, 20, true, rng)).build();
        Optimizer adam = Optimizer.adam(1e-3);
        org.nd4j.linalg.api.ndarray.INDArray w = g.valueArena().dup();
        org.nd4j.linalg.api.ndarray.INDArray m = w.ulike().assign(0);
        org.nd4j.linalg.api.ndarray.INDArray v = w.ulike().assign(0);
        for (int t = 1; t <= 5; t++) {
            org.nd4j.linalg.api.ndarray.INDArray grad = org.a2q.engine.nn.Init.uniform(new SplittableRandom(t), -1, 1, w.shape());
            g.gradArena().assign(grad);
            adam.step(g, 0.01);
            org.nd4j.linalg.api.ndarray.INDArray gr = grad.add(w.mul(g.decayMask()).mul(1e-3));
            m = m.mul(0.9).add(gr.mul(1 - 0.9));
            v = v.mul(0.999).add(gr.mul(gr).mul(1 - 0.999));
            double c1 = 1 - Math.pow(0.9, t);
            double c2 = 1 - Math.pow(0.999, t);
            org.nd4j.linalg.api.ndarray.INDArray upd = m.div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(v.div(c2), true).add(1e-8));
            org.nd4j.linalg.factory.Nd4j.getBlasWrapper().level1().axpy(w.length(), -0.01 / c1, upd, w);
            assertEquals(0.0, w.sub(g.valueArena()).amaxNumber().doubleValue(), 0.0, "step " + t);
        }
    }
}
