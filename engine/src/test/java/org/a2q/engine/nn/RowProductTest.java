package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class RowProductTest {
    @Test
    void rowSumsOfADenseArrayAndOfAnArenaView() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray arena = Nd4j.arange(200).castTo(type).subi(60);
            // rows 3 x 7 cut from the middle of the arena, as a layer's weight is
            INDArray view = arena.get(NDArrayIndex.interval(17, 38)).reshape('c', 3, 7);
            INDArray dense = view.dup('c');
            for (INDArray rows : new INDArray[] {dense, view}) {
                INDArray out = Nd4j.create(type, 3);
                new RowProduct(rows, Nd4j.ones(type, 7), out).run();
                for (int r = 0; r < 3; r++) {
                    double expected = 0;
                    for (int k = 0; k < 7; k++) {
                        expected += 17 + 7 * r + k - 60;
                    }
                    assertEquals(expected, out.getDouble(r), 0.0, type + " row " + r);
                }
                INDArray w = Nd4j.create(new double[] {1, 0, 0, 0, 0, 0, 2}).castTo(type);
                new RowProduct(rows, w, out).run();
                assertEquals((17 - 60) + 2 * (23 - 60), out.getDouble(0), 0.0);
            }
        }
    }

    @Test
    void refusesWhatGemvCannotReadAsRows() {
        INDArray rows = Nd4j.create(DataType.FLOAT, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> new RowProduct(rows.transpose(), Nd4j.ones(DataType.FLOAT, 3), Nd4j.create(DataType.FLOAT, 4)));
        assertThrows(IllegalArgumentException.class, () -> new RowProduct(rows, Nd4j.ones(DataType.FLOAT, 3), Nd4j.create(DataType.FLOAT, 3)));
        assertThrows(IllegalArgumentException.class, () -> new RowProduct(rows, Nd4j.ones(DataType.DOUBLE, 4), Nd4j.create(DataType.FLOAT, 3)));
        assertThrows(IllegalArgumentException.class, () -> new RowProduct(rows.castTo(DataType.INT), Nd4j.ones(DataType.INT, 4), Nd4j.create(DataType.INT, 3)));
    }
}
