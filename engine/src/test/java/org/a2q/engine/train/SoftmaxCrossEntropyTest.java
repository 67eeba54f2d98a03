package org.a2q.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SoftmaxCrossEntropyTest {
    @Test
    void valuesAndGradientMatchClosedFormAndFiniteDifferences() {
        INDArray z = Nd4j.createFromArray(new double[][] {{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}});
        int[] y = {1, 0};
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        double loss = ce.compute(z, y, 2);
        // row 0: −log(e²/(e+e²+e^0.5)); row 1: −log(e⁻¹/(e⁻¹+1+e³))
        double l0 = -Math.log(Math.exp(2) / (Math.exp(1) + Math.exp(2) + Math.exp(0.5)));
        double l1 = -Math.log(Math.exp(-1) / (Math.exp(-1) + 1 + Math.exp(3)));
        assertEquals((l0 + l1) / 2, loss, 1e-12);
        assertEquals(1, ce.correct()); // row 0 predicts 1 (right), row 1 predicts 2 (wrong)
        INDArray g = ce.gradient().dup();
        double eps = 1e-6;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                double orig = z.getDouble(i, j);
                z.putScalar(i, j, orig + eps);
                double plus = new SoftmaxCrossEntropy().compute(z, y, 2);
                z.putScalar(i, j, orig - eps);
                double minus = new SoftmaxCrossEntropy().compute(z, y, 2);
                z.putScalar(i, j, orig);
                assertEquals((plus - minus) / (2 * eps), g.getDouble(i, j), 1e-8);
            }
        }
    }

    @Test
    void largeLogitsStayFinite() {
        INDArray z = Nd4j.createFromArray(new float[][] {{1000f, -1000f}});
        double loss = new SoftmaxCrossEntropy().compute(z, new int[] {1}, 1);
        assertEquals(2000.0, loss, 1e-6);
        assertEquals(DataType.FLOAT, z.dataType());
    }

    @Test
    void labelOutsideTheClassesIsAClearError() {
        INDArray z = Nd4j.zeros(DataType.FLOAT, 1, 3);
        EngineException e = assertThrows(EngineException.class, () -> new SoftmaxCrossEntropy().compute(z, new int[] {3}, 1));
        assertEquals("label 3 is outside the model's 3 classes", e.getMessage());
    }
}
