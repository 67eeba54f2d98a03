package org.a2q.engine.data;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatcherTest {
    /** n items of 2 channels x 3 x 4 with varied bytes (0..255 all occur) and labels item % 5. */
    static ImageDataset synthetic(int n) {
        byte[] px = new byte[n * 24];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 37 + i / 7);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 5;
        return new ImageDataset("synthetic", px, labels, 2, 3, 4, 5);
    }

    private static void assertRowIsItem(ImageDataset d, Batch b, int row, int item) {
        assertEquals(item, b.items()[row]);
        assertEquals(d.label(item), b.labels()[row]);
        INDArray f = b.features();
        for (int c = 0; c < d.channels(); c++) {
            for (int y = 0; y < d.height(); y++) {
                for (int x = 0; x < d.width(); x++) {
                    int p = d.pixel(item, c, y, x);
                    if (f.dataType() == DataType.DOUBLE) {
                        assertEquals(p / 255.0, f.getDouble(row, c, y, x), 0.0);
                    } else {
                        assertEquals(p / 255f, f.getFloat(row, c, y, x), 0.0f);
                    }
                }
            }
        }
    }

    @Test
    void batchHoldsPixelOver255ForChosenItems() {
        ImageDataset d = synthetic(50);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Batcher b = new Batcher(d, 4, t);
            Batch batch = b.fill(new int[] {9, 49, 0, 17, 33}, 1, 4);
            assertEquals(t, batch.features().dataType());
            assertArrayEquals(new long[] {4, 2, 3, 4}, batch.features().shape());
            assertEquals('c', batch.features().ordering());
            assertArrayEquals(new int[] {49, 0, 17, 33}, batch.items());
            assertArrayEquals(new int[] {4, 0, 2, 3}, batch.labels());
            int[] items = {49, 0, 17, 33};
            for (int r = 0; r < 4; r++) assertRowIsItem(d, batch, r, items[r]);
        }
    }

    @Test
    void extremesScaleToZeroAndOne() {
        byte[] px = {0, (byte) 255, (byte) 128, 1};
        ImageDataset d = new ImageDataset("ends", px, new int[] {0, 1}, 1, 1, 2, 2);
        INDArray f = new Batcher(d, 2, DataType.FLOAT).fill(new int[] {0, 1}, 0, 2).features();
        assertArrayEquals(new float[] {0f, 1f, 128f / 255f, 1f / 255f}, f.data().asFloat(), 0f);
    }

    @Test
    void epochCoversEveryItemOnceWithASmallerLastBatch() {
        ImageDataset d = synthetic(150);
        Batcher b = new Batcher(d, 64, DataType.FLOAT);
        assertEquals(3, b.batchCount());
        Batcher.Epoch epoch = b.epoch(42, 0);
        int[] order = epoch.order();
        assertArrayEquals(Shuffle.permutation(150, 42, 0), order);

        List<Integer> sizes = new ArrayList<>();
        List<INDArray> arrays = new ArrayList<>();
        int[] seen = new int[150];
        int pos = 0;
        for (Batch batch : epoch) {
            sizes.add(batch.size());
            arrays.add(batch.features());
            assertEquals(batch.size(), batch.features().size(0));
            for (int r = 0; r < batch.size(); r++) {
                assertEquals(order[pos + r], batch.items()[r]);
                seen[batch.items()[r]]++;
            }
            // Check a row now: the next batch of this size overwrites the array.
            assertRowIsItem(d, batch, batch.size() - 1, order[pos + batch.size() - 1]);
            pos += batch.size();
        }
        assertEquals(List.of(64, 64, 22), sizes);
        for (int s : seen) assertEquals(1, s);
        // Full batches reuse one array; the last, smaller batch has its own.
        assertSame(arrays.get(0), arrays.get(1));
        assertNotSame(arrays.get(0), arrays.get(2));
        assertArrayEquals(new long[] {22, 2, 3, 4}, arrays.get(2).shape());

        // The next epoch reuses both cached arrays and follows a different order.
        List<INDArray> next = new ArrayList<>();
        for (Batch batch : b.epoch(42, 1)) next.add(batch.features());
        assertSame(arrays.get(0), next.get(0));
        assertSame(arrays.get(2), next.get(2));
        assertTrue(!Arrays.equals(order, b.epoch(42, 1).order()));
    }

    @Test
    void inOrderAndExactMultiples() {
        ImageDataset d = synthetic(128);
        Batcher b = new Batcher(d, 64, DataType.DOUBLE);
        assertEquals(2, b.batchCount());
        int batches = 0;
        for (Batch batch : b.inOrder()) {
            assertEquals(64, batch.size());
            assertRowIsItem(d, batch, 0, batches * 64);
            assertRowIsItem(d, batch, 63, batches * 64 + 63);
            batches++;
        }
        assertEquals(2, batches);
    }

    @Test
    void fashionMnistBatchMatchesTheFile() {
        ImageDataset train = IdxDatasets.loadSplit(FashionMnistSampleTest.sampleDir(), 10).train();
        // DOUBLE so that summing 10,000 images below is exact enough to compare with the file's sum.
        Batcher b = new Batcher(train, 64, DataType.DOUBLE);
        assertEquals(157, b.batchCount()); // 156 full batches and one of 10,000 - 156*64 = 16
        int last = -1;
        int lastSize = 0;
        double sum = 0;
        for (Batch batch : b.epoch(1, 0)) {
            last++;
            lastSize = batch.size();
            if (last == 0) {
                for (int r : new int[] {0, 31, 63}) assertRowIsItem(train, batch, r, batch.items()[r]);
            }
            sum += batch.features().sumNumber().doubleValue();
        }
        assertEquals(156, last);
        assertEquals(16, lastSize);
        // Sum of all pixels of the subset is 572,388,787 (counted from the file with zcat/od/awk).
        assertEquals(572_388_787.0 / 255.0, sum, 1e-6);
    }

    @Test
    void defaultTypeFollowsNd4j() {
        Batcher b = new Batcher(synthetic(3), 2);
        assertEquals(Nd4j.defaultFloatingPointType(), b.dataType());
        assertEquals(b.dataType(), b.fill(new int[] {2, 1}, 0, 2).features().dataType());
    }

    @Test
    void invalidSettingsAreClear() {
        ImageDataset d = synthetic(3);
        assertTrue(assertThrows(EngineException.class, () -> new Batcher(d, 0)).getMessage()
                .contains("batch size is 0"));
        assertTrue(assertThrows(EngineException.class, () -> new Batcher(d, 2, DataType.INT))
                .getMessage().contains("use FLOAT or DOUBLE"));
        Batcher b = new Batcher(d, 2, DataType.FLOAT);
        assertThrows(IndexOutOfBoundsException.class, () -> b.fill(new int[] {0, 3}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> b.fill(new int[] {0, 1, 2}, 0, 3));
    }
}
