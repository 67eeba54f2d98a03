package org.a2q.engine.data;

import org.a2q.engine.EngineException;

import java.util.Arrays;

/**
 * A training set and a held-out test set. Both must have the same item shape and class count,
 * otherwise a model trained on one could not be evaluated on the other.
 *
 * @param train items the model learns from
 * @param test  items only used to measure accuracy
 */
public record DatasetSplit(ImageDataset train, ImageDataset test) {
    public DatasetSplit {
        if (!Arrays.equals(train.itemShape(), test.itemShape())) {
            throw new EngineException(test.name() + ": test items are " + shape(test) + " but training items ("
                    + train.name() + ") are " + shape(train) + "; both sets must have the same image shape");
        }
        if (train.numClasses() != test.numClasses()) {
            throw new EngineException(test.name() + ": test set has " + test.numClasses()
                    + " classes but the training set (" + train.name() + ") has " + train.numClasses());
        }
    }

    private static String shape(ImageDataset d) {
        return d.channels() + "x" + d.height() + "x" + d.width();
    }
}
