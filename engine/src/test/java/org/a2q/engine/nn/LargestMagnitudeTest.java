package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LargestMagnitudeTest {
    @Test
    void findsTheLargestAbsoluteValueAndSeesLaterWrites() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray x = Nd4j.createFromArray(new double[][] {{0.5, -7.25, 3}, {7.0, -1, 2}}).castTo(type);
            LargestMagnitude m = new LargestMagnitude(x);
            assertEquals(7.25, m.value(), 0.0, type.toString());
            x.putScalar(5, 9.5);          // written after binding: read at the next call
            assertEquals(9.5, m.value(), 0.0);
            x.assign(0);
            assertEquals(0.0, m.value(), 0.0);
            assertEquals(2.0, new LargestMagnitude(Nd4j.createFromArray(-2.0).castTo(type)).value(), 0.0);
        }
    }

    @Test
    void aRowBlockViewReadsOnlyItsOwnValues() {
        INDArray all = Nd4j.createFromArray(new float[][] {{100, 1}, {-3, 2}, {0.5f, -50}});
        INDArray middle = all.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all());
        assertEquals(3.0, new LargestMagnitude(middle).value(), 0.0);
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThrows(IllegalArgumentException.class, () -> new LargestMagnitude(Nd4j.create(DataType.INT, 3)));
        INDArray column = Nd4j.create(DataType.FLOAT, 3, 2).get(NDArrayIndex.all(), NDArrayIndex.point(0));
        assertThrows(IllegalArgumentException.class, () -> new LargestMagnitude(column));
    }
}
