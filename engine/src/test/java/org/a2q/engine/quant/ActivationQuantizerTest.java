package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    void fixedScaleInputGradientPassesInsideTheRangeOnly() {
        // The fixed-scale forward runs in place in its output and keeps no t: backward recomputes
        // t = x/s from the input when an input gradient is wanted.
        ActivationQuantizer q = ActivationQuantizer.fixed("in", 3, true, 0.25);   // t in [−4, 3] passes
        INDArray x = Nd4j.createFromArray(-1.25, -1.0, -0.2, 0.3, 0.75, 0.76, 9.0);
        INDArray before = x.dup();
        q.forward(new INDArray[] {x}, true);
        assertEquals(before, x);   // the input is not overwritten
        INDArray dy = Nd4j.createFromArray(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
        INDArray[] gx = {Nd4j.create(DataType.DOUBLE, 7)};
        q.backward(dy, gx);
        assertArrayEquals(new double[] {0, 2, 3, 4, 5, 0, 0}, gx[0].toDoubleVector(), 0.0);
        // A second forward on another tensor: the gradient follows the new t.
        q.forward(new INDArray[] {Nd4j.createFromArray(-2.0, 0.0, 0.7, 0.8, -0.9, 1.0, 0.1)}, true);
        q.backward(dy, gx);
        assertArrayEquals(new double[] {0, 2, 3, 0, 5, 0, 7}, gx[0].toDoubleVector(), 0.0);
    }

    @Test
    void backwardGivesTheSameGradientWhetherOrNotItWritesOverDy() {
        // The mask's upper step is built in the gradient buffer unless that buffer is dy itself.
        ActivationQuantizer q = ActivationQuantizer.learned("q", 2, false);   // codes 0..3
        q.setScale(0.5);
        INDArray x = Nd4j.createFromArray(-1.0, 0.0, 0.2, 1.0, 1.5, 1.6, 4.0);   // t = −2, 0, 0.4, 2, 3, 3.2, 8
        double[] dy = {1, 2, 3, 4, 5, 6, 7};
        double[] expected = {0, 2, 3, 4, 5, 0, 0};   // lo ≤ t ≤ hi passes
        q.forward(new INDArray[] {x}, true);
        INDArray[] separate = {Nd4j.create(DataType.DOUBLE, 7)};
        q.backward(Nd4j.createFromArray(dy), separate);
        assertArrayEquals(expected, separate[0].toDoubleVector(), 0.0);
        double scaleGrad = q.params().get(0).grad().getDouble(0);
        INDArray shared = Nd4j.createFromArray(dy);
        q.backward(shared, new INDArray[] {shared});
        assertArrayEquals(expected, shared.toDoubleVector(), 0.0);
        assertEquals(scaleGrad, q.params().get(0).grad().getDouble(0), 1e-12);
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

    /** The straightforward ops the fast kernel replaces: x.div(s), max, min, ND4J rint (halves to even). */
    private static INDArray referenceCodes(INDArray x, double s, double lo, double hi) {
        INDArray t = x.div(s);
        org.nd4j.linalg.ops.transforms.Transforms.max(t, lo, false);
        org.nd4j.linalg.ops.transforms.Transforms.min(t, hi, false);
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Rint(t, t));
        return t;
    }

    @Test
    void fastRoundingGivesTheSameCodesAsNd4jRintIncludingTies() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean signed : new boolean[] {false, true}) {
                for (int bits : new int[] {2, 4, 8, 16}) {
                  // a power-of-two scale makes x/s exact, so the halves stay exact ties
                  for (double s : new double[] {0.125, 0.37 / bits}) {
                    ActivationQuantizer q = ActivationQuantizer.learned("q", bits, signed);
                    q.setScale(s);
                    int n = 40_000;
                    double[] v = new double[n];
                    for (int i = 0; i < n; i++) {
                        double code = q.minCode() - 3 + rng.nextInt((int) (q.maxCode() - q.minCode() + 7));
                        // a third exact halves (ties), a third near-halves, a third anywhere
                        v[i] = switch (i % 3) {
                            case 0 -> (code + 0.5) * s;
                            case 1 -> (code + 0.5 + (rng.nextBoolean() ? 1e-7 : -1e-7)) * s;
                            default -> (code + rng.nextDouble()) * s;
                        };
                    }
                    INDArray x = Nd4j.createFromArray(v).castTo(type).reshape(8, 5, 1000);
                    INDArray expected = referenceCodes(x, q.scale(), q.minCode(), q.maxCode());
                    INDArray actual = x.ulike();
                    q.codes(x, actual);
                    assertEquals(0.0, expected.sub(actual).amaxNumber().doubleValue(), 0.0,
                            type + (signed ? " signed " : " unsigned ") + bits + " bits");
                    // and ties really occur: some t = x/s land exactly on k + ½
                    INDArray t = x.div(q.scale());
                    INDArray frac = t.sub(org.nd4j.linalg.ops.transforms.Transforms.floor(t, true));
                    if (s == 0.125) {
                        org.junit.jupiter.api.Assertions.assertTrue(frac.eq(0.5).castTo(DataType.INT).sumNumber().intValue() > 1000);
                    }
                  }
                }
            }
        }
    }
}
