package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The op numbers of {@link LegacyLoop} are libnd4j's legacy tables, not checked by the native
 * interface: a wrong number runs another op. So every op is compared, value for value, with the
 * same arithmetic done in Java, for float and double, on dense arrays and on views with an offset.
 */
class LegacyLoopTest {
    private static final DataType[] TYPES = {DataType.FLOAT, DataType.DOUBLE};

    private static INDArray random(DataType type, long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray a = Nd4j.create(type, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, Math.round(r.nextDouble(-20, 20) * 8) / 8.0);   // includes ties and integers
        }
        return a;
    }

    /** Rows [1, 4) of a [5, 7] array: a view whose buffer starts at an offset. */
    private static INDArray offsetView(DataType type, long seed) {
        return random(type, seed, 5, 7).get(NDArrayIndex.interval(1, 4), NDArrayIndex.all());
    }

    private static double[] values(INDArray a) {
        return a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    /** What x op y gives in the array's type (float rounding of the double result for float). */
    private static double rounded(DataType type, double v) {
        return type == DataType.FLOAT ? (double) (float) v : v;
    }

    @Test
    void pairwiseOpsComputeWhatTheirNamesSay() {
        for (DataType type : TYPES) {
            for (boolean view : new boolean[] {false, true}) {
                INDArray x = view ? offsetView(type, 1) : random(type, 1, 3, 7);
                INDArray y = view ? offsetView(type, 2) : random(type, 2, 3, 7);
                y.addi(0.0625 * 3);   // no zero divisors
                double[] xv = values(x);
                double[] yv = values(y);
                for (LegacyLoop.Pairwise op : LegacyLoop.Pairwise.values()) {
                    INDArray z = Nd4j.create(type, 3, 7);
                    LegacyLoop.pairwise(op, x, y, z).run();
                    double[] zv = values(z);
                    for (int i = 0; i < xv.length; i++) {
                        double expected = switch (op) {
                            case ADD -> xv[i] + yv[i];
                            case SUBTRACT -> xv[i] - yv[i];
                            case MULTIPLY -> xv[i] * yv[i];
                            case DIVIDE -> xv[i] / yv[i];
                            case MAX -> Math.max(xv[i], yv[i]);
                            case MIN -> Math.min(xv[i], yv[i]);
                        };
                        assertEquals(rounded(type, expected), zv[i], 0.0, op + " " + type + " view=" + view + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void scalarOpsReadTheScalarAtEveryCall() {
        for (DataType type : TYPES) {
            INDArray x = random(type, 3, 4, 5);
            double[] xv = values(x);
            INDArray s = Nd4j.create(type, 1);
            for (LegacyLoop.Scalar op : LegacyLoop.Scalar.values()) {
                INDArray z = Nd4j.create(type, 4, 5);
                LegacyLoop loop = LegacyLoop.scalar(op, x, s, z);
                for (double sv : new double[] {2.5, -3.0, 0.125}) {
                    s.putScalar(0, sv);   // changed after binding: the loop must see it
                    loop.run();
                    double[] zv = values(z);
                    for (int i = 0; i < xv.length; i++) {
                        double expected = switch (op) {
                            case ADD -> xv[i] + sv;
                            case SUBTRACT -> xv[i] - sv;
                            case MULTIPLY -> xv[i] * sv;
                            case DIVIDE -> xv[i] / sv;
                            case MAX -> Math.max(xv[i], sv);
                            case MIN -> Math.min(xv[i], sv);
                            case STEP -> xv[i] > sv ? 1.0 : 0.0;
                        };
                        assertEquals(rounded(type, expected), zv[i], 0.0, op + " " + type + " s=" + sv + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void rowScalarOpsUseEachRowsOwnValue() {
        for (DataType type : TYPES) {
            for (boolean view : new boolean[] {false, true}) {
                INDArray x = view ? offsetView(type, 8) : random(type, 8, 3, 7);
                INDArray perRow = Nd4j.create(new double[] {2.5, -0.125, 4}).castTo(type);
                double[] xv = values(x);
                for (LegacyLoop.Scalar op : new LegacyLoop.Scalar[] {LegacyLoop.Scalar.MULTIPLY, LegacyLoop.Scalar.SUBTRACT,
                        LegacyLoop.Scalar.ADD}) {
                    for (INDArray s : new INDArray[] {perRow, perRow.reshape(3, 1)}) {
                        INDArray z = Nd4j.create(type, 3, 7);
                        LegacyLoop.rowScalar(op, x, s, z).run();
                        double[] zv = values(z);
                        for (int i = 0; i < xv.length; i++) {
                            double sv = perRow.getDouble(i / 7);
                            double expected = switch (op) {
                                case MULTIPLY -> xv[i] * sv;
                                case SUBTRACT -> xv[i] - sv;
                                default -> xv[i] + sv;
                            };
                            assertEquals(rounded(type, expected), zv[i], 0.0, op + " " + type + " view=" + view + " at " + i);
                        }
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> LegacyLoop.rowScalar(LegacyLoop.Scalar.MULTIPLY,
                Nd4j.create(DataType.FLOAT, 3, 4), Nd4j.create(DataType.FLOAT, 4), Nd4j.create(DataType.FLOAT, 3, 4)));
    }

    @Test
    void transformsAndInPlaceUse() {
        for (DataType type : TYPES) {
            INDArray x = random(type, 4, 6, 6);
            x.putScalar(0, 0.0);
            double[] xv = values(x);
            INDArray z = Nd4j.create(type, 6, 6);
            LegacyLoop.transform(LegacyLoop.Transform.ABS, x, z).run();
            double[] abs = values(z);
            LegacyLoop.transform(LegacyLoop.Transform.SIGN, x, x).run();   // in place
            double[] sign = values(x);
            for (int i = 0; i < xv.length; i++) {
                assertEquals(Math.abs(xv[i]), abs[i], 0.0);
                assertEquals(Math.signum(xv[i]), sign[i], 0.0);
            }
        }
    }

    @Test
    void convertingToIntTruncatesTowardZeroAndBackIsExact() {
        for (DataType type : TYPES) {
            INDArray x = Nd4j.create(new double[] {2.9, -2.9, 0.5, -0.5, 7.0, -8.0, 1e-9, -1e-9, 1234.99, -0.0}).castTo(type);
            INDArray ints = Nd4j.create(DataType.INT, 10);
            LegacyLoop.convert(x, ints).run();
            assertArrayEquals(new int[] {2, -2, 0, 0, 7, -8, 0, 0, 1234, 0}, ints.toIntVector());
            INDArray back = Nd4j.create(type, 10);
            LegacyLoop.convert(ints, back).run();
            assertArrayEquals(new double[] {2, -2, 0, 0, 7, -8, 0, 0, 1234, 0}, values(back), 0.0);
        }
    }

    @Test
    void rebindingMovesTheLoopToOtherArrays() {
        INDArray a = random(DataType.FLOAT, 6, 2, 3);
        INDArray b = random(DataType.FLOAT, 7, 2, 3);
        INDArray z = Nd4j.create(DataType.FLOAT, 2, 3);
        LegacyLoop loop = LegacyLoop.pairwise(LegacyLoop.Pairwise.ADD, a, a, z);
        loop.run();
        assertEquals(a.mul(2), z);
        loop.rebind(a, b, z).run();
        assertEquals(a.add(b), z);
    }

    @Test
    void mismatchedArraysAreRefusedBeforeAnyNativeCall() {
        INDArray x = Nd4j.create(DataType.FLOAT, 2, 3);
        assertThrows(IllegalArgumentException.class,
                () -> LegacyLoop.pairwise(LegacyLoop.Pairwise.ADD, x, Nd4j.create(DataType.FLOAT, 3, 2), x));
        assertThrows(IllegalArgumentException.class,
                () -> LegacyLoop.pairwise(LegacyLoop.Pairwise.ADD, x, x, Nd4j.create(DataType.DOUBLE, 2, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> LegacyLoop.scalar(LegacyLoop.Scalar.ADD, x, Nd4j.create(DataType.FLOAT, 2), x));
    }
}
