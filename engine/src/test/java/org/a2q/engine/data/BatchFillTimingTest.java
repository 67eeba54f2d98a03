package org.a2q.engine.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Measures how long refilling one 64-image Fashion-MNIST batch takes, so a regression to per-element
 * ND4J calls (~10 us each, i.e. ~0.5 s per batch) is caught. The bound is loose because the test
 * machines are shared; the median is printed for the record.
 */
class BatchFillTimingTest {
    @Test
    void filling64ImagesIsCheap() {
        ImageDataset train = IdxDatasets.loadSplit(FashionMnistSampleTest.sampleDir(), 10).train();
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Batcher b = new Batcher(train, 64, t);
            int[] order = Shuffle.permutation(train.size(), 5, 0);
            int batches = order.length / 64;
            for (int i = 0; i < 2000; i++) b.fill(order, (i % batches) * 64, 64); // JIT warm-up
            long[] ns = new long[2000];
            for (int i = 0; i < ns.length; i++) {
                long t0 = System.nanoTime();
                b.fill(order, (i % batches) * 64, 64);
                ns[i] = System.nanoTime() - t0;
            }
            Arrays.sort(ns);
            double medianUs = ns[ns.length / 2] / 1e3;
            System.out.printf("batch fill 64x1x28x28 %s: median %.1f us, p10 %.1f us, p90 %.1f us%n",
                    t, medianUs, ns[ns.length / 10] / 1e3, ns[ns.length * 9 / 10] / 1e3);
            assertTrue(medianUs < 5_000, "median fill " + medianUs + " us");
        }
    }
}
