package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.a2q.engine.model.ModelTemplates;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float path runs different kernels (oneDNN) from the double path of the gradient checks
 * (libnd4j's generic ones, oneDNN has no f64), so float gradients are compared with double ones
 * computed from the same values.
 */
class FloatKernelTest {
    private static double relDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).norm2Number().doubleValue()
                / Math.max(1e-12, b.castTo(DataType.DOUBLE).norm2Number().doubleValue());
    }

    private static void compareConv(int stride, int pad, boolean needInputGrad) {
        compareConv(3, stride, pad, needInputGrad);   // columns path (ColumnConv)
        compareConv(6, stride, pad, needInputGrad);   // direct oneDNN kernels
    }

    private static void compareConv(int cin, int stride, int pad, boolean needInputGrad) {
        Conv2d f = new Conv2d("c", cin, 8, 3, 3, stride, stride, pad, pad, true, new SplittableRandom(1));
        INDArray x = Init.uniform(new SplittableRandom(2), -1, 1, 4, cin, 9, 9);
        INDArray y = f.forward(new INDArray[] {x}, true);
        INDArray dy = Init.uniform(new SplittableRandom(3), -1, 1, y.shape());
        INDArray dx = needInputGrad ? x.ulike() : null;
        f.backward(dy, new INDArray[] {dx});

        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            Conv2d d = new Conv2d("c", cin, 8, 3, 3, stride, stride, pad, pad, true, new SplittableRandom(1));
            d.weight().value().assign(f.weight().value().castTo(DataType.DOUBLE));
            d.bias().value().assign(f.bias().value().castTo(DataType.DOUBLE));
            INDArray xd = x.castTo(DataType.DOUBLE);
            INDArray yd = d.forward(new INDArray[] {xd}, true);
            INDArray dxd = xd.ulike();
            d.backward(dy.castTo(DataType.DOUBLE), new INDArray[] {dxd});
            assertTrue(relDiff(y, yd) < 1e-5, "forward");
            assertTrue(relDiff(f.weight().grad(), d.weight().grad()) < 1e-5, "weight grad, stride " + stride);
            assertTrue(relDiff(f.bias().grad(), d.bias().grad()) < 1e-5, "bias grad");
            if (needInputGrad) {
                assertTrue(relDiff(dx, dxd) < 1e-5, "input grad, stride " + stride);
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void convStrideOneFirstLayerAndHiddenLayer() {
        compareConv(1, 1, false);
        compareConv(1, 0, true);
    }

    @Test
    void convStrideTwo() {
        compareConv(2, 1, true);
        compareConv(2, 0, false);
    }

    @Test
    void resnetTrainsInFloat() {
        Graph g = ModelTemplates.create("resnet", 0);
        INDArray x = Init.uniform(new SplittableRandom(4), 0, 1, 8, 1, 28, 28);
        INDArray out = g.forward(x, true);
        g.backward(Init.uniform(new SplittableRandom(5), -1, 1, out.shape()));
        double norm = g.gradArena().norm2Number().doubleValue();
        assertTrue(norm > 0 && Double.isFinite(norm), "gradient norm " + norm);
    }
}
