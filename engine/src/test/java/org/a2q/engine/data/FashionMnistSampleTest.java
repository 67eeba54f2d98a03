package org.a2q.engine.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reads the Fashion-MNIST subset shipped in samples/fashion-mnist. The expected numbers were
 * computed independently from the files with standard command-line tools (zcat, od, awk).
 */
class FashionMnistSampleTest {
    @TempDir
    Path tmp;

    /** Surefire runs in the module directory; walk up so the test also works from the repository root. */
    static Path sampleDir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path s = p.resolve("samples").resolve("fashion-mnist");
            if (Files.isDirectory(s)) return s;
            p = p.getParent();
        }
        throw new IllegalStateException("samples/fashion-mnist not found above " + Path.of("").toAbsolutePath());
    }

    private static long pixelSum(ImageDataset d, int item) {
        long s = 0;
        for (byte b : d.image(item)) s += b & 0xff;
        return s;
    }

    @Test
    void bundledSubsetHasTheDocumentedContent() {
        DatasetSplit s = IdxDatasets.loadSplit(sampleDir());
        ImageDataset train = s.train();
        ImageDataset test = s.test();
        assertEquals(10_000, train.size());
        assertEquals(2_000, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, train.itemShape());
        assertArrayEquals(new int[] {1, 28, 28}, test.itemShape());
        assertEquals(10, train.numClasses());
        assertEquals(IdxDatasets.FASHION_MNIST_CLASSES.size(), train.numClasses());

        int[] trainLabels = train.labels();
        int[] testLabels = test.labels();
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9}, java.util.Arrays.copyOf(trainLabels, 12));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5}, java.util.Arrays.copyOf(testLabels, 12));
        assertArrayEquals(new int[] {942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000}, train.classCounts());
        assertArrayEquals(new int[] {200, 203, 214, 190, 219, 195, 197, 200, 194, 188}, test.classCounts());

        assertEquals(76_247, pixelSum(train, 0));
        assertEquals(79_936, pixelSum(train, 9_999));
        assertEquals(59_629, pixelSum(test, 1_999));
        long total = 0;
        for (int i = 0; i < train.size(); i++) total += pixelSum(train, i);
        assertEquals(572_388_787L, total);
        train.validateForTraining();
    }

    @Test
    void gzipAndRawCopiesReadTheSame() throws IOException {
        Path src = sampleDir();
        for (String base : new String[] {IdxDatasets.TRAIN_IMAGES, IdxDatasets.TRAIN_LABELS,
                IdxDatasets.TEST_IMAGES, IdxDatasets.TEST_LABELS}) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(src.resolve(base + ".gz")))) {
                Files.write(tmp.resolve(base), in.readAllBytes());
            }
        }
        DatasetSplit gz = IdxDatasets.loadSplit(src, 10);
        DatasetSplit raw = IdxDatasets.loadSplit(tmp, 10);
        for (ImageDataset[] pair : new ImageDataset[][] {{gz.train(), raw.train()}, {gz.test(), raw.test()}}) {
            assertEquals(pair[0].size(), pair[1].size());
            assertArrayEquals(pair[0].labels(), pair[1].labels());
            assertArrayEquals(pair[0].rawPixels(), pair[1].rawPixels());
        }
    }
}
