package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.a2q.engine.DoublePrecision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference gradient checks in double precision for every layer. */
class LayerGradientTest {
    @BeforeAll
    static void useDouble() {
        DoublePrecision.enter();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.leave();
    }

    private static INDArray rand(long seed, long... shape) {
        return Init.uniform(new SplittableRandom(seed), -1, 1, shape);
    }

    private static final double TOL = 1e-5;

    @Test
    void linear() {
        Linear l = new Linear("fc", 7, 5, true, new SplittableRandom(1));
        GradientCheck.check(l, new INDArray[] {rand(2, 4, 7)}, true, TOL, 3);
    }

    @Test
    void conv2dWithPaddingAndBias() {
        Conv2d c = new Conv2d("c", 3, 4, 3, 3, 1, 1, 1, 1, true, new SplittableRandom(1));
        GradientCheck.check(c, new INDArray[] {rand(2, 2, 3, 6, 6)}, true, TOL, 3);
    }

    @Test
    void conv2dStrideTwoNoBias() {
        Conv2d c = new Conv2d("c", 2, 3, 3, 3, 2, 2, 1, 1, false, new SplittableRandom(4));
        GradientCheck.check(c, new INDArray[] {rand(5, 2, 2, 7, 7)}, true, TOL, 6);
    }

    // Layers with more than ColumnConv.MAX_IN_CHANNELS inputs take the direct oneDNN kernels.
    @Test
    void conv2dManyInputChannelsWithPaddingAndBias() {
        Conv2d c = new Conv2d("c", 5, 3, 3, 3, 1, 1, 1, 1, true, new SplittableRandom(21));
        GradientCheck.check(c, new INDArray[] {rand(22, 2, 5, 6, 6)}, true, TOL, 23);
    }

    @Test
    void conv2dManyInputChannelsStrideTwo() {
        Conv2d c = new Conv2d("c", 4, 3, 3, 3, 2, 2, 1, 1, false, new SplittableRandom(24));
        GradientCheck.check(c, new INDArray[] {rand(25, 2, 4, 7, 7)}, true, TOL, 26);
    }

    @Test
    void conv2dRectangularKernel() {
        Conv2d c = new Conv2d("c", 1, 2, 5, 3, 1, 2, 2, 0, true, new SplittableRandom(7));
        GradientCheck.check(c, new INDArray[] {rand(8, 2, 1, 9, 8)}, true, TOL, 9);
    }

    @Test
    void batchNormTraining() {
        BatchNorm2d bn = new BatchNorm2d("bn", 3, 1e-5, 0.1);
        bn.gamma().value().assign(rand(10, 3));
        bn.beta().value().assign(rand(11, 3));
        GradientCheck.check(bn, new INDArray[] {rand(12, 4, 3, 3, 3)}, true, TOL, 13);
    }

    @Test
    void batchNormTrainingNormalisesWithThePopulationVariance() {
        BatchNorm2d bn = new BatchNorm2d("bn", 3, 1e-12, 0.1);
        INDArray x = rand(19, 4, 3, 3, 3).muli(5).addi(2);
        INDArray y = bn.forward(new INDArray[] {x}, true);
        INDArray mean = y.mean(0, 2, 3);
        INDArray var = y.var(false, 0, 2, 3);   // biased: Σ(y − ȳ)²/n
        for (int c = 0; c < 3; c++) {
            assertEquals(0.0, mean.getDouble(c), 1e-9);
            assertEquals(1.0, var.getDouble(c), 1e-9);
        }
    }

    @Test
    void batchNormEvaluation() {
        BatchNorm2d bn = new BatchNorm2d("bn", 3, 1e-5, 0.1);
        bn.runningMean().assign(rand(14, 3));
        bn.runningVar().assign(rand(15, 3).add(1.5));
        bn.gamma().value().assign(rand(16, 3));
        GradientCheck.check(bn, new INDArray[] {rand(17, 2, 3, 4, 4)}, false, TOL, 18);
    }

    @Test
    void batchNormUpdatesRunningStatisticsLikePyTorch() {
        BatchNorm2d bn = new BatchNorm2d("bn", 1, 1e-5, 0.1);
        INDArray x = Nd4j.createFromArray(1.0, 2.0, 3.0, 6.0).reshape(1, 1, 2, 2);
        bn.forward(new INDArray[] {x}, true);
        // mean 3, unbiased var 14/3: running = 0.9·init + 0.1·batch
        assertEquals(0.3, bn.runningMean().getDouble(0), 1e-12);
        assertEquals(0.9 + 0.1 * 14.0 / 3.0, bn.runningVar().getDouble(0), 1e-12);
        INDArray y = bn.forward(new INDArray[] {x}, true);
        double invStd = 1 / Math.sqrt(3.5 + 1e-5); // biased var of the batch is 3.5
        assertEquals((1 - 3) * invStd, y.getDouble(0), 1e-9);
    }

    @Test
    void relu() {
        GradientCheck.check(new ReLU(), new INDArray[] {rand(20, 3, 4, 5).addi(0.01)}, true, TOL, 21);
    }

    @Test
    void clip() {
        GradientCheck.check(new Clip(-0.5, 0.5), new INDArray[] {rand(22, 3, 7)}, true, TOL, 23);
    }

    @Test
    void maxPool() {
        GradientCheck.check(new Pool2d(Pool2d.Kind.MAX, 2, 2, 2, 2, 0, 0, false),
                new INDArray[] {rand(24, 2, 3, 6, 6)}, true, TOL, 25);
    }

    @Test
    void maxPoolOverlappingWithPadding() {
        GradientCheck.check(new Pool2d(Pool2d.Kind.MAX, 3, 3, 2, 2, 1, 1, false),
                new INDArray[] {rand(26, 2, 2, 7, 7)}, true, TOL, 27);
    }

    @Test
    void avgPoolIncludingPadding() {
        Pool2d p = new Pool2d(Pool2d.Kind.AVG, 3, 3, 2, 2, 1, 1, true);
        GradientCheck.check(p, new INDArray[] {rand(28, 2, 2, 5, 5)}, true, TOL, 29);
        INDArray ones = Nd4j.ones(DataType.DOUBLE, 1, 1, 3, 3);
        // Corner window covers 4 real values out of 9: 4/9 when padding counts, 1 otherwise.
        assertEquals(4.0 / 9.0, p.forward(new INDArray[] {ones}, false).getDouble(0), 1e-12);
        Pool2d q = new Pool2d(Pool2d.Kind.AVG, 3, 3, 2, 2, 1, 1, false);
        assertEquals(1.0, q.forward(new INDArray[] {ones}, false).getDouble(0), 1e-12);
        GradientCheck.check(q, new INDArray[] {rand(30, 2, 2, 5, 5)}, true, TOL, 31);
    }

    @Test
    void globalAvgPool() {
        GradientCheck.check(new GlobalAvgPool(), new INDArray[] {rand(32, 2, 3, 4, 5)}, true, TOL, 33);
    }

    @Test
    void flattenAndReshape() {
        GradientCheck.check(Reshape.flatten(), new INDArray[] {rand(34, 2, 3, 2, 2)}, true, TOL, 35);
        GradientCheck.check(new Reshape(4, -1), new INDArray[] {rand(36, 2, 12)}, true, TOL, 37);
    }

    @Test
    void add() {
        GradientCheck.check(new Add(), new INDArray[] {rand(38, 2, 3), rand(39, 2, 3)}, true, TOL, 40);
    }

    @Test
    void identityAndDropoutInEvaluation() {
        GradientCheck.check(new Identity(), new INDArray[] {rand(41, 3, 3)}, true, TOL, 42);
        GradientCheck.check(new Dropout(0.5), new INDArray[] {rand(43, 3, 3)}, false, TOL, 44);
    }

    @Test
    void dropoutTrainingUsesTheSameMaskForwardAndBackward() {
        Dropout d = new Dropout(0.5);
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1000);
        INDArray y = d.forward(new INDArray[] {x}, true).dup();
        INDArray g = x.ulike();
        d.backward(Nd4j.ones(DataType.DOUBLE, 1000), new INDArray[] {g});
        assertEquals(y, g);
        double kept = y.gt(0).castTo(DataType.DOUBLE).sumNumber().doubleValue();
        assertTrue(kept > 400 && kept < 600, "kept " + kept);
        assertEquals(2.0, y.maxNumber().doubleValue(), 1e-12);
    }
}
