package org.a2q.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.LearningRateSchedule;
import org.a2q.engine.train.Optimizer;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.TrainListener;
import org.a2q.engine.train.Trainer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Divergence in a model with BatchNorm: the step whose loss is NaN/Inf must not leave anything of
 * itself behind — neither in the parameters nor in the running statistics that a checkpoint saves
 * and inference uses. (Input data cannot carry NaN: images are stored as bytes.)
 */
class NumericalFaultTest {
    @Test
    void divergenceKeepsParametersAndBatchNormStatisticsOfTheLastGoodStep() {
        Graph g = ModelTemplates.create("resnet", 0, 1, 8, 8, 10);
        TrainConfig cfg = new TrainConfig(3, 16, Optimizer.Kind.SGD, LearningRateSchedule.constant(1e8), 0, 0, 0, 6, 0);
        Trainer t = new Trainer(g, cfg);
        INDArray[] values = new INDArray[1];
        @SuppressWarnings("unchecked")
        Map<String, INDArray>[] state = new Map[1];
        int[] goodSteps = new int[1];
        t.addListener(new TrainListener() {
            @Override
            public void onStep(StepEvent e) {
                values[0] = g.valueArena().dup();
                state[0] = CancellationTest.bnState(g);
                goodSteps[0]++;
            }
        });
        EngineException e = assertThrows(EngineException.class,
                () -> t.fit(CancellationTest.synthetic(96, 8, 8), null, Cancellation.none()));
        assertTrue(e.getMessage().startsWith("training diverged"), e.getMessage());
        assertTrue(e.getMessage().contains("Lower the learning rate"), e.getMessage());
        assertNotNull(values[0], "at least one good step before the divergence");
        // assertTrue, not assertEquals: printing every BatchNorm vector would bury the point.
        assertTrue(values[0].equals(g.valueArena()), "parameters of the last good step");
        Map<String, INDArray> now = CancellationTest.bnState(g);
        for (Map.Entry<String, INDArray> s : now.entrySet()) {
            assertTrue(s.getValue().equals(state[0].get(s.getKey())), s.getKey() + " is not the last good step's (now "
                    + s.getValue().maxNumber() + " max)");
        }
        System.out.println("divergence after " + goodSteps[0] + " good step(s): " + e.getMessage());
    }
}
