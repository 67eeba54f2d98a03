package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ActivationQuantizerTest {
    @Test
    void unsignedForwardAndStraightThroughGradients() {
        ActivationQuantizer q = ActivationQuantizer.learned("q", 2, false); // codes 0..3
        q.setScale(0.5);
        double[] x = {-0.3, 0.2, 0.26, 0.74, 1.4, 2.0};
        INDArray in = Nd4j.createFromArray(x);
        INDArray y = q.forward(new INDArray[] {in}, true).dup();
        // t = x/s = [-0.6, 0.4, 0.52, 1.48, 2.8, 4.0] → clamp [0,3] → round → [0, 0, 1, 1, 3, 3]
        double[] expectY = {0, 0, 0.5, 0.5, 1.5, 1.5};
        for (int i = 0; i < x.length; i++) {
            assertEquals(expectY[i], y.getDouble(i), 1e-12);
        }
        double[] dy = {1, 2, 3, 4, 5, 6};
        INDArray gx = in.ulike();
        q.backward(Nd4j.createFromArray(dy), new INDArray[] {gx});
        double[] expectGx = {0, 2, 3, 4, 5, 0}; // passes where 0 ≤ t ≤ 3
        double ds = 0;
        double[] code = {0, 0, 1, 1, 3, 3};
        for (int i = 0; i < x.length; i++) {
            assertEquals(expectGx[i], gx.getDouble(i), 1e-12);
            double t = x[i] / 0.5;
            boolean inside = t >= 0 && t <= 3;
            ds += dy[i] * (code[i] - (inside ? t : 0));   // LSQ: q − t inside, q (the clip code) outside
        }
        assertEquals(ds, q.params().get(0).grad().getDouble(0), 1e-5);
    }

    @Test
    void signedRangeAndFixedScale() {
        ActivationQuantizer q = ActivationQuantizer.fixed("in", 3, true, 0.25); // codes −4..3
        INDArray y = q.forward(new INDArray[] {Nd4j.createFromArray(-5.0, -0.2, 0.3, 9.0)}, false);
        assertEquals(-1.0, y.getDouble(0), 1e-12);
        assertEquals(-0.25, y.getDouble(1), 1e-12);
        assertEquals(0.25, y.getDouble(2), 1e-12);
        assertEquals(0.75, y.getDouble(3), 1e-12);
        assertEquals(0, q.params().size());
    }

    @Test
    void imageInputQuantizerReproducesThePixels() {
        ActivationQuantizer q = ActivationQuantizer.fixed("in", 8, false, 1.0 / 255);
        float[] px = new float[256];
        for (int i = 0; i < 256; i++) {
            px[i] = i / 255f;
        }
        INDArray y = q.forward(new INDArray[] {Nd4j.createFromArray(px)}, false);
        for (int i = 0; i < 256; i++) {
            assertEquals(px[i], y.getFloat(i), 1e-7f);
        }
    }

    @Test
    void calibrationPutsTheHighPercentileOnTheTopCode() {
        ActivationQuantizer q = ActivationQuantizer.learned("q", 4, false);
        q.startCalibration();
        double[] v = new double[100_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i / 1000.0;      // 0 … 99.999
        }
        INDArray x = Nd4j.createFromArray(v).castTo(DataType.FLOAT);
        assertEquals(x, q.forward(new INDArray[] {x}, false)); // passes through while calibrating
        q.finishCalibration();
        // 99.999th percentile of 0..99.999 ≈ 99.998; top code 15
        assertEquals(99.998 / 15, q.scale(), 1e-4);
    }
}
