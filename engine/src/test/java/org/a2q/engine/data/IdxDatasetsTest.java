package org.a2q.engine.data;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.a2q.engine.data.IdxTestFiles.gzip;
import static org.a2q.engine.data.IdxTestFiles.images;
import static org.a2q.engine.data.IdxTestFiles.labels;
import static org.a2q.engine.data.IdxTestFiles.ramp;
import static org.a2q.engine.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxDatasetsTest {
    @TempDir
    Path dir;

    private void writeSplit(Path d, byte[] trainLabels, byte[] testLabels, boolean gz) {
        String ext = gz ? ".gz" : "";
        java.util.function.UnaryOperator<byte[]> enc = b -> gz ? gzip(b) : b;
        write(d, IdxDatasets.TRAIN_IMAGES + ext, enc.apply(images(trainLabels.length, 3, 2, ramp(trainLabels.length * 6))));
        write(d, IdxDatasets.TRAIN_LABELS + ext, enc.apply(labels(trainLabels)));
        write(d, IdxDatasets.TEST_IMAGES + ext, enc.apply(images(testLabels.length, 3, 2, ramp(testLabels.length * 6))));
        write(d, IdxDatasets.TEST_LABELS + ext, enc.apply(labels(testLabels)));
    }

    @Test
    void loadsSplitAndInfersClassCount() {
        writeSplit(dir, new byte[] {0, 4, 2, 4, 1}, new byte[] {3, 0}, true);
        DatasetSplit s = IdxDatasets.loadSplit(dir);
        assertEquals(5, s.train().size());
        assertEquals(2, s.test().size());
        assertEquals(5, s.train().numClasses());
        assertEquals(5, s.test().numClasses());
        assertArrayEquals(new int[] {1, 3, 2}, s.train().itemShape());
        assertArrayEquals(new int[] {0, 4, 2, 4, 1}, s.train().labels());
        assertEquals(ramp(30)[6 * 3 + 5] & 0xff, s.train().pixel(3, 0, 2, 1));
        assertArrayEquals(new int[] {1, 1, 1, 0, 2}, s.train().classCounts());
    }

    @Test
    void explicitClassCountKeepsClassesAbsentFromASubset() {
        writeSplit(dir, new byte[] {0, 1, 2}, new byte[] {1}, false);
        DatasetSplit s = IdxDatasets.loadSplit(dir, 10);
        assertEquals(10, s.train().numClasses());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, s.train().classCounts());
    }

    @Test
    void rawFilesWinOverGzipWhenBothExist() {
        writeSplit(dir, new byte[] {0, 1}, new byte[] {1}, true);
        write(dir, IdxDatasets.TRAIN_LABELS, labels((byte) 1, (byte) 0));
        assertArrayEquals(new int[] {1, 0}, IdxDatasets.loadSplit(dir).train().labels());
    }

    @Test
    void missingFilesAreListedWithTheExpectedNames() throws Exception {
        writeSplit(dir, new byte[] {0, 1}, new byte[] {1}, true);
        Files.delete(dir.resolve(IdxDatasets.TEST_LABELS + ".gz"));
        Files.delete(dir.resolve(IdxDatasets.TRAIN_IMAGES + ".gz"));
        EngineException e = assertThrows(EngineException.class, () -> IdxDatasets.loadSplit(dir));
        String m = e.getMessage();
        assertTrue(m.startsWith(dir + ": missing train-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz];"), m);
        assertTrue(m.contains("train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                + "t10k-labels-idx1-ubyte"), m);

        Path none = dir.resolve("absent");
        EngineException e2 = assertThrows(EngineException.class, () -> IdxDatasets.loadSplit(none));
        assertTrue(e2.getMessage().startsWith(none + ": directory not found"), e2.getMessage());
    }

    @Test
    void countMismatchNamesBothFiles() {
        Path img = write(dir, "i", images(3, 2, 2, new byte[12]));
        Path lab = write(dir, "l", labels((byte) 0, (byte) 1));
        EngineException e = assertThrows(EngineException.class, () -> IdxDatasets.load(img, lab, 10));
        assertEquals(img + ": holds 3 images but " + lab + " holds 2 labels; the two files must describe "
                + "the same items", e.getMessage());
    }

    @Test
    void testLabelUnknownToTrainingIsReported() {
        writeSplit(dir, new byte[] {0, 1, 2}, new byte[] {1, 7}, false);
        EngineException e = assertThrows(EngineException.class, () -> IdxDatasets.loadSplit(dir));
        String m = e.getMessage();
        assertTrue(m.startsWith(dir.resolve(IdxDatasets.TEST_LABELS) + ": label 7 of item 1 is out of range"), m);
        assertTrue(m.contains("only use classes 0..2"), m);
    }

    @Test
    void trainAndTestShapesMustAgree() {
        writeSplit(dir, new byte[] {0, 1}, new byte[] {1}, false);
        write(dir, IdxDatasets.TEST_IMAGES, images(1, 2, 3, new byte[6]));
        EngineException e = assertThrows(EngineException.class, () -> IdxDatasets.loadSplit(dir));
        assertTrue(e.getMessage().contains("test items are 1x2x3 but training items"), e.getMessage());
    }
}
