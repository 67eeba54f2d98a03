package org.a2q.engine.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One mini-batch. All three arrays belong to the {@link Batcher} that produced them and are
 * overwritten by its next batch of the same size: use (or copy) a batch before asking for the next.
 *
 * @param features [size, C, H, W] pixels scaled to [0, 1] (pixel / 255), NCHW, c-order
 * @param labels   class of each row of {@code features}
 * @param items    index in the data set of each row, for tracing a prediction back to its image
 */
public record Batch(INDArray features, int[] labels, int[] items) {
    /** Number of items in this batch (the last batch of an epoch may be smaller). */
    public int size() {
        return labels.length;
    }
}
