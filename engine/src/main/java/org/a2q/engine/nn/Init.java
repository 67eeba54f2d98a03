package org.a2q.engine.nn;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded parameter initialisation, identical on every machine (a Java PRNG, not ND4J's), so the
 * same seed gives the same model and the same loss curve.
 */
public final class Init {
    private Init() { }

    /**
     * U(−1/√fanIn, 1/√fanIn): PyTorch's default for Linear/Conv weights (kaiming-uniform with
     * a = √5) and biases, so models trained here behave like their PyTorch twins.
     */
    public static INDArray uniformFanIn(SplittableRandom rng, long fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return uniform(rng, -bound, bound, shape);
    }

    public static INDArray uniform(SplittableRandom rng, double lo, double hi, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] values = new double[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = lo + (hi - lo) * rng.nextDouble();
        }
        return Nd4j.createFromArray(values).castTo(Nd4j.defaultFloatingPointType()).reshape('c', shape);
    }

    public static INDArray constant(double value, long... shape) {
        return Nd4j.create(Nd4j.defaultFloatingPointType(), shape, 'c').assign(value);
    }

    public static DataType floatType() {
        return Nd4j.defaultFloatingPointType();
    }
}
