package org.a2q.engine.data;

import org.a2q.engine.EngineException;

import java.util.Arrays;

/**
 * A labelled image classification data set held compactly: pixels as unsigned bytes in one
 * N x C x H x W array (item-major, then channel, row, column) and one int label per item.
 *
 * <p>Bytes instead of floats keep Fashion-MNIST's 60,000 training images at 47 MB rather than
 * 188 MB; {@link Batcher} converts one batch at a time. Instances are immutable from the outside:
 * accessors copy, and the pixel array handed to the constructor becomes owned by the data set.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;
    private final int imageSize;

    /**
     * @param name       shown in messages (usually the file the items came from)
     * @param pixels     N*C*H*W unsigned bytes; owned by the data set from now on (not copied)
     * @param labels     N labels in {@code [0, numClasses)}; copied
     * @param numClasses number of classes the model distinguishes (at least 1)
     * @throws EngineException if the sizes do not agree or a label is out of range
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height, int width,
                        int numClasses) {
        this.name = name;
        if (channels < 1 || height < 1 || width < 1) {
            throw new EngineException(name + ": image shape " + channels + "x" + height + "x" + width
                    + " is invalid; every dimension must be at least 1");
        }
        if (numClasses < 1) {
            throw new EngineException(name + ": number of classes is " + numClasses + "; it must be at least 1");
        }
        long perImage = (long) channels * height * width;
        if (perImage * labels.length != pixels.length) {
            throw new EngineException(name + ": " + labels.length + " labels need " + labels.length
                    + " x " + perImage + " = " + perImage * labels.length + " pixel bytes, but "
                    + pixels.length + " were given");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new EngineException(name + ": label " + labels[i] + " of item " + i
                        + " is out of range: expected 0.." + (numClasses - 1));
            }
        }
        this.pixels = pixels;
        this.labels = labels.clone();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
        this.imageSize = (int) perImage;
    }

    public String name() { return name; }

    /** Number of items. */
    public int size() { return labels.length; }

    public int channels() { return channels; }

    public int height() { return height; }

    public int width() { return width; }

    /** Bytes per item: channels * height * width. */
    public int imageSize() { return imageSize; }

    public int numClasses() { return numClasses; }

    /** Shape of one item, {C, H, W}. */
    public int[] itemShape() { return new int[] {channels, height, width}; }

    public int label(int item) {
        return labels[checkItem(item)];
    }

    /** A copy of all labels. */
    public int[] labels() { return labels.clone(); }

    /** One pixel, 0..255. */
    public int pixel(int item, int channel, int y, int x) {
        checkItem(item);
        if (channel < 0 || channel >= channels || y < 0 || y >= height || x < 0 || x >= width) {
            throw new IndexOutOfBoundsException("pixel (" + channel + "," + y + "," + x + ") outside "
                    + channels + "x" + height + "x" + width);
        }
        return pixels[item * imageSize + (channel * height + y) * width + x] & 0xff;
    }

    /** A copy of one item's C*H*W bytes. */
    public byte[] image(int item) {
        int from = checkItem(item) * imageSize;
        return Arrays.copyOfRange(pixels, from, from + imageSize);
    }

    /** Items per class, indexed by label; length {@link #numClasses()}. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int l : labels) counts[l]++;
        return counts;
    }

    /** How many classes occur at least once. */
    public int presentClassCount() {
        int n = 0;
        for (int c : classCounts()) if (c > 0) n++;
        return n;
    }

    /**
     * Checks the data set can train a classifier: at least one item and at least two classes
     * present. With a single class the loss is minimised by a constant output and nothing is learnt.
     *
     * @throws EngineException naming the data set and what is wrong
     */
    public void validateForTraining() {
        if (labels.length == 0) {
            throw new EngineException(name + ": the data set is empty; training needs labelled items");
        }
        int present = presentClassCount();
        if (present < 2) {
            throw new EngineException(name + ": all " + labels.length + " items have label " + labels[0]
                    + "; training a classifier needs items of at least two classes");
        }
    }

    /** The first n items (all of them if n >= size). */
    public ImageDataset first(int n) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int k = Math.min(n, size());
        return new ImageDataset(name + " [first " + k + "]", Arrays.copyOf(pixels, k * imageSize),
                Arrays.copyOf(labels, k), channels, height, width, numClasses);
    }

    /** The given items, in the given order (repeats allowed). */
    public ImageDataset subset(int[] items) {
        byte[] px = new byte[Math.multiplyExact(items.length, imageSize)];
        int[] lb = new int[items.length];
        for (int i = 0; i < items.length; i++) {
            int it = checkItem(items[i]);
            System.arraycopy(pixels, it * imageSize, px, i * imageSize, imageSize);
            lb[i] = labels[it];
        }
        return new ImageDataset(name + " [subset of " + items.length + "]", px, lb, channels, height, width,
                numClasses);
    }

    /** The backing bytes, for {@link Batcher}'s conversion loop; never handed out publicly. */
    byte[] rawPixels() { return pixels; }

    int rawLabel(int item) { return labels[item]; }

    private int checkItem(int item) {
        if (item < 0 || item >= labels.length) {
            throw new IndexOutOfBoundsException("item " + item + " outside 0.." + (labels.length - 1)
                    + " of " + name);
        }
        return item;
    }

    @Override
    public String toString() {
        return name + ": " + size() + " items of " + channels + "x" + height + "x" + width + ", "
                + numClasses + " classes";
    }
}
