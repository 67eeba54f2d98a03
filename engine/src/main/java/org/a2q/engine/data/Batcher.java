package org.a2q.engine.data;

import org.a2q.engine.EngineException;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts an {@link ImageDataset} into mini-batches of float (or double) pixels scaled to [0, 1].
 *
 * <p>Every ND4J allocation costs tens of microseconds, so the feature array of each batch size is
 * allocated once and refilled: the pixels are converted into a Java staging array through a
 * 256-entry lookup table and then copied into the array's native memory with a single bulk copy.
 * A full batch and the smaller last batch of an epoch each get their own cached array.
 *
 * <p>Not thread-safe; one Batcher per consumer.
 */
public final class Batcher {
    private static final float[] FLOAT_SCALE = new float[256];
    private static final double[] DOUBLE_SCALE = new double[256];

    static {
        // A table gives exactly v/255 (correctly rounded division), unlike multiplying by 1/255.
        for (int v = 0; v < 256; v++) {
            FLOAT_SCALE[v] = v / 255f;
            DOUBLE_SCALE[v] = v / 255.0;
        }
    }

    private final ImageDataset data;
    private final int batchSize;
    private final DataType dtype;
    private Slot full;
    private Slot partial;

    /** Batches in ND4J's default floating-point type. */
    public Batcher(ImageDataset data, int batchSize) {
        this(data, batchSize, Nd4j.defaultFloatingPointType());
    }

    /**
     * @param dtype {@link DataType#FLOAT} or {@link DataType#DOUBLE}
     * @throws EngineException if the batch size is below 1 or the type is not supported
     */
    public Batcher(ImageDataset data, int batchSize, DataType dtype) {
        if (batchSize < 1) {
            throw new EngineException("batch size is " + batchSize + "; it must be at least 1");
        }
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new EngineException("batch data type " + dtype + " is not supported; use FLOAT or DOUBLE");
        }
        this.data = data;
        this.batchSize = batchSize;
        this.dtype = dtype;
    }

    public ImageDataset data() { return data; }

    public int batchSize() { return batchSize; }

    public DataType dataType() { return dtype; }

    /** Batches per epoch: ceil(size / batchSize). */
    public int batchCount() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /** The epoch's batches in the shuffled order given by {@link Shuffle#permutation}(size, seed, epoch). */
    public Epoch epoch(long seed, int epoch) {
        return new Epoch(Shuffle.permutation(data.size(), seed, epoch));
    }

    /** All items in data-set order, e.g. for evaluation. */
    public Epoch inOrder() {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        return new Epoch(order);
    }

    /**
     * Fills a batch with {@code items[from .. from+count-1]}. The result reuses this Batcher's
     * arrays (see {@link Batch}).
     *
     * @param count 1..batchSize
     */
    public Batch fill(int[] items, int from, int count) {
        if (count < 1 || count > batchSize) {
            throw new IllegalArgumentException("count must be 1.." + batchSize + ", got " + count);
        }
        if (from < 0 || from + count > items.length) {
            throw new IndexOutOfBoundsException("items[" + from + ".." + (from + count - 1) + "] outside 0.."
                    + (items.length - 1));
        }
        Slot s = slotFor(count);
        byte[] px = data.rawPixels();
        int chw = data.imageSize();
        int n = data.size();
        for (int b = 0; b < count; b++) {
            int it = items[from + b];
            if (it < 0 || it >= n) {
                throw new IndexOutOfBoundsException("item " + it + " outside 0.." + (n - 1) + " of " + data.name());
            }
            s.items[b] = it;
            s.labels[b] = data.rawLabel(it);
        }
        if (s.floatStage != null) {
            float[] st = s.floatStage;
            for (int b = 0, o = 0; b < count; b++) {
                for (int k = s.items[b] * chw, end = k + chw; k < end; k++) st[o++] = FLOAT_SCALE[px[k] & 0xff];
            }
            s.floatPtr.put(st);
        } else {
            double[] st = s.doubleStage;
            for (int b = 0, o = 0; b < count; b++) {
                for (int k = s.items[b] * chw, end = k + chw; k < end; k++) st[o++] = DOUBLE_SCALE[px[k] & 0xff];
            }
            s.doublePtr.put(st);
        }
        return s.batch;
    }

    private Slot slotFor(int count) {
        if (count == batchSize) {
            if (full == null) full = new Slot(count);
            return full;
        }
        if (partial == null || partial.size != count) partial = new Slot(count);
        return partial;
    }

    /** Preallocated arrays for one batch size. */
    private final class Slot {
        final int size;
        final int[] labels;
        final int[] items;
        final float[] floatStage;
        final double[] doubleStage;
        final FloatPointer floatPtr;
        final DoublePointer doublePtr;
        final Batch batch;

        Slot(int size) {
            this.size = size;
            labels = new int[size];
            items = new int[size];
            int len = Math.multiplyExact(size, data.imageSize());
            INDArray features;
            // Detached from any workspace the caller has open: the array outlives every batch.
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                features = Nd4j.createUninitialized(dtype,
                        new long[] {size, data.channels(), data.height(), data.width()}, 'c');
            }
            // A fresh c-order array is dense and starts at its buffer's first element, so one bulk
            // copy of len elements to the buffer's address fills it exactly.
            if (dtype == DataType.FLOAT) {
                floatStage = new float[len];
                floatPtr = new FloatPointer(features.data().addressPointer());
                doubleStage = null;
                doublePtr = null;
            } else {
                doubleStage = new double[len];
                doublePtr = new DoublePointer(features.data().addressPointer());
                floatStage = null;
                floatPtr = null;
            }
            batch = new Batch(features, labels, items);
        }
    }

    /** One pass over the data in a fixed order; iterate it with for-each. */
    public final class Epoch implements Iterable<Batch> {
        private final int[] order;

        private Epoch(int[] order) {
            this.order = order;
        }

        /** A copy of the item order of this epoch. */
        public int[] order() {
            return order.clone();
        }

        public int batchCount() {
            return Batcher.this.batchCount();
        }

        /** Batches in order; each {@code next()} overwrites the arrays of the previous batch of that size. */
        @Override
        public Iterator<Batch> iterator() {
            return new Iterator<>() {
                private int pos;

                @Override
                public boolean hasNext() {
                    return pos < order.length;
                }

                @Override
                public Batch next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    int count = Math.min(batchSize, order.length - pos);
                    Batch b = fill(order, pos, count);
                    pos += count;
                    return b;
                }
            };
        }
    }
}
