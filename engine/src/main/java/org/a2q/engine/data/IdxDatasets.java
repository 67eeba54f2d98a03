package org.a2q.engine.data;

import org.a2q.engine.EngineException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads MNIST-style data sets stored as IDX files: one image file plus one label file per set,
 * or a whole directory in the standard naming.
 */
public final class IdxDatasets {
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /** Class names of Fashion-MNIST, indexed by label (as published by Zalando Research). */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Labels are single bytes, so no IDX label file can name more classes than this. */
    private static final int MAX_BYTE_CLASSES = 256;

    private IdxDatasets() {
    }

    /**
     * Loads one set from an image file and a label file.
     *
     * @param numClasses number of classes; every label must be below it
     * @throws EngineException naming the file and the problem (see {@link IdxReader}), or when the
     *                         two files hold different numbers of items
     */
    public static ImageDataset load(Path images, Path labels, int numClasses) {
        IdxReader.Images img = IdxReader.readImages(images);
        int[] lab = IdxReader.readLabels(labels, numClasses);
        return combine(images, img, labels, lab, numClasses);
    }

    /**
     * Loads {@code train-*} and {@code t10k-*} files from a directory, raw or {@code .gz}, and takes
     * the number of classes from the training labels (largest label + 1).
     *
     * @throws EngineException if a file is missing (the message lists the expected names), fails to
     *                         read, or the test set uses a class the training set does not have
     */
    public static DatasetSplit loadSplit(Path dir) {
        Path[] f = locate(dir);
        IdxReader.Images trainImg = IdxReader.readImages(f[0]);
        int[] trainLab = IdxReader.readLabels(f[1], MAX_BYTE_CLASSES);
        int numClasses = 1;
        for (int l : trainLab) numClasses = Math.max(numClasses, l + 1);
        IdxReader.Images testImg = IdxReader.readImages(f[2]);
        int[] testLab = IdxReader.readLabels(f[3], MAX_BYTE_CLASSES);
        for (int i = 0; i < testLab.length; i++) {
            if (testLab[i] >= numClasses) {
                throw IdxReader.fail(f[3], "label " + testLab[i] + " of item " + i + " is out of range:"
                        + " the training labels (" + f[1].getFileName() + ") only use classes 0.."
                        + (numClasses - 1));
            }
        }
        return new DatasetSplit(combine(f[0], trainImg, f[1], trainLab, numClasses),
                combine(f[2], testImg, f[3], testLab, numClasses));
    }

    /**
     * Like {@link #loadSplit(Path)} with a fixed number of classes (e.g. 10 for Fashion-MNIST), so
     * a subset that happens to lack the last classes still gets the full class count.
     */
    public static DatasetSplit loadSplit(Path dir, int numClasses) {
        Path[] f = locate(dir);
        return new DatasetSplit(load(f[0], f[1], numClasses), load(f[2], f[3], numClasses));
    }

    /** Finds the four files, accepting each either raw or with {@code .gz}; raw wins if both exist. */
    static Path[] locate(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new EngineException(dir + ": " + (Files.exists(dir) ? "is not a directory" : "directory not found")
                    + "; expected a directory holding " + expectedNames());
        }
        String[] bases = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};
        Path[] found = new Path[bases.length];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < bases.length; i++) {
            Path raw = dir.resolve(bases[i]);
            Path gz = dir.resolve(bases[i] + ".gz");
            found[i] = Files.isRegularFile(raw) ? raw : Files.isRegularFile(gz) ? gz : null;
            if (found[i] == null) missing.add(bases[i] + "[.gz]");
        }
        if (!missing.isEmpty()) {
            throw new EngineException(dir + ": missing " + String.join(", ", missing)
                    + "; an IDX data set directory must hold " + expectedNames()
                    + " (each raw or gzip-compressed with .gz)");
        }
        return found;
    }

    private static String expectedNames() {
        return TRAIN_IMAGES + ", " + TRAIN_LABELS + ", " + TEST_IMAGES + " and " + TEST_LABELS;
    }

    private static ImageDataset combine(Path imgFile, IdxReader.Images img, Path labFile, int[] lab,
                                        int numClasses) {
        if (img.count() != lab.length) {
            throw IdxReader.fail(imgFile, "holds " + img.count() + " images but " + labFile + " holds "
                    + lab.length + " labels; the two files must describe the same items");
        }
        return new ImageDataset(imgFile.toString(), img.pixels(), lab, 1, img.rows(),
                img.cols(), numClasses);
    }
}
