package org.a2q.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ColumnConvTest {
    /**
     * dW and db land in strided targets exactly as in dense ones (the layer hands arena slots;
     * a reshape of a strided target would be a copy and the write lost).
     */
    @Test
    void gradientsReachStridedTargetsToo() {
        Conv2d conv = new Conv2d("c", 2, 4, 3, 3, 1, 1, 1, 1, true, new SplittableRandom(1));
        ColumnConv columns = new ColumnConv(conv);
        INDArray x = Init.uniform(new SplittableRandom(2), -1, 1, 3, 2, 6, 6);
        INDArray y = columns.forward(x, conv.weight().value(), conv.bias().value(), false);
        INDArray dy = Init.uniform(new SplittableRandom(3), -1, 1, y.shape());

        INDArray denseW = Nd4j.create(DataType.FLOAT, 4, 2, 3, 3);
        INDArray denseB = Nd4j.create(DataType.FLOAT, 4);
        columns.backward(dy, denseW, denseB);
        INDArray stridedW = Nd4j.create(DataType.FLOAT, 3, 3, 2, 4).permute(3, 2, 1, 0);   // [4, 2, 3, 3], not dense
        INDArray stridedB = Nd4j.create(DataType.FLOAT, 4, 2).getColumn(0);                // 4 values, stride 2
        assertFalse(Buffers.reshapesInPlace(stridedW));
        assertFalse(Buffers.isDense(stridedB));
        columns.backward(dy, stridedW, stridedB);

        assertEquals(0.0, stridedW.sub(denseW).amaxNumber().doubleValue(), 0.0);
        assertEquals(0.0, stridedB.sub(denseB).amaxNumber().doubleValue(), 0.0);
        assertTrue(denseW.amaxNumber().doubleValue() > 0 && denseB.amaxNumber().doubleValue() > 0);
    }
}
