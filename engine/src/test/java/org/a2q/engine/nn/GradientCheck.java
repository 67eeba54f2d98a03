package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in double precision against a layer's analytic backward, for the
 * scalar loss L = Σ y ∘ R with a fixed random R (so dL/dy = R).
 */
final class GradientCheck {
    private GradientCheck() { }

    static final double EPS = 1e-6;

    /** Checks the gradient of every input (all if checkInputs) and every parameter; returns max rel error. */
    static double check(Layer layer, INDArray[] inputs, boolean training, double tolerance, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        INDArray y = layer.forward(inputs, training);
        INDArray r = Init.uniform(rng, -1, 1, y.shape());
        INDArray[] gradIn = new INDArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            gradIn[i] = inputs[i].ulike();
        }
        layer.backward(r, gradIn);
        List<INDArray> analyticParams = new ArrayList<>();
        for (Param p : layer.params()) {
            analyticParams.add(p.grad().dup());
        }
        double worst = 0;
        for (int i = 0; i < inputs.length; i++) {
            worst = Math.max(worst, compare("input" + i, inputs[i], gradIn[i].dup(), layer, inputs, training, r, tolerance));
        }
        int pi = 0;
        for (Param p : layer.params()) {
            worst = Math.max(worst, compare(p.name(), p.value(), analyticParams.get(pi++), layer, inputs, training, r, tolerance));
        }
        return worst;
    }

    private static double compare(String what, INDArray target, INDArray analytic, Layer layer, INDArray[] inputs,
                                  boolean training, INDArray r, double tolerance) {
        INDArray flat = target.reshape(target.length());
        INDArray flatAnalytic = analytic.reshape(analytic.length());
        double worst = 0;
        long n = flat.length();
        long stride = Math.max(1, n / 40); // at most ~40 probes per tensor keeps the test fast
        for (long i = 0; i < n; i += stride) {
            double orig = flat.getDouble(i);
            flat.putScalar(i, orig + EPS);
            double plus = loss(layer, inputs, training, r);
            flat.putScalar(i, orig - EPS);
            double minus = loss(layer, inputs, training, r);
            flat.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * EPS);
            double a = flatAnalytic.getDouble(i);
            double err = Math.abs(a - numeric) / Math.max(1e-6, Math.abs(a) + Math.abs(numeric));
            assertTrue(err < tolerance, what + "[" + i + "]: analytic " + a + " vs numeric " + numeric);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static double loss(Layer layer, INDArray[] inputs, boolean training, INDArray r) {
        return layer.forward(inputs, training).mul(r).sumNumber().doubleValue();
    }
}
