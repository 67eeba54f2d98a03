package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.a2q.engine.nn.Buffers;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Row views of weights cut from a parameter arena are views, not copies. */
class ChannelRowsTest {
    @Test
    void aWeightWithASizeOneDimensionFromTheArenaIsViewedInPlace() {
        INDArray arena = Nd4j.create(DataType.FLOAT, 200);
        INDArray conv1 = arena.get(NDArrayIndex.interval(10, 160)).reshape('c', 6, 1, 5, 5);
        assertTrue(Buffers.reshapesInPlace(conv1));
        ChannelRows.RowsView view = new ChannelRows.RowsView();
        INDArray rows = view.of(conv1, 6, 25);
        rows.putScalar(1, 0, 7f);
        assertEquals(7f, arena.getFloat(35), "the rows write through to the arena");
        assertSame(rows, view.of(conv1, 6, 25), "and are kept for the next step");
        assertFalse(Buffers.reshapesInPlace(conv1.permute(0, 1, 3, 2)));
    }

    @Test
    void aQuantizerWritesItsGradientIntoAnArenaView() {
        INDArray arena = Nd4j.create(DataType.DOUBLE, 200);
        INDArray gradV = arena.get(NDArrayIndex.interval(10, 160)).reshape('c', 6, 1, 5, 5);
        INDArray w = Nd4j.rand(DataType.DOUBLE, 6, 1, 5, 5).subi(0.5);
        INDArray dy = Nd4j.rand(DataType.DOUBLE, 6, 1, 5, 5).subi(0.5);
        PerChannelWeightQuantizer q = new PerChannelWeightQuantizer("q", 6, 4, ScaleDomain.LOG2);
        q.initialize(w);
        q.forward(w);
        INDArray fresh = Nd4j.create(DataType.DOUBLE, 6, 1, 5, 5);
        q.backward(dy, fresh);
        q.backward(dy, gradV);
        assertTrue(fresh.amaxNumber().doubleValue() > 0);
        assertEquals(0.0, fresh.sub(gradV).amaxNumber().doubleValue(), 0.0);
    }
}
