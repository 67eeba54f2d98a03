package org.a2q.engine.data;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDatasetTest {
    /** 4 items of 2x2x3 (C x H x W); pixel value = item*12 + offset within the item. */
    private static ImageDataset sample() {
        byte[] px = new byte[4 * 12];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 5);
        return new ImageDataset("demo", px, new int[] {2, 0, 2, 1}, 2, 2, 3, 3);
    }

    @Test
    void accessorsFollowNchwLayout() {
        ImageDataset d = sample();
        assertEquals(4, d.size());
        assertEquals(12, d.imageSize());
        assertArrayEquals(new int[] {2, 2, 3}, d.itemShape());
        // item 2, channel 1, row 0, column 2 -> offset 2*12 + (1*2+0)*3 + 2 = 32 -> 160
        assertEquals(160, d.pixel(2, 1, 0, 2));
        // item 3, channel 1, row 1, column 2 -> offset 47 -> 235
        assertEquals(235, d.pixel(3, 1, 1, 2));
        assertEquals((byte) (12 * 5), d.image(1)[0]);
        assertArrayEquals(new int[] {1, 1, 2}, d.classCounts());
        assertEquals(3, d.presentClassCount());
    }

    @Test
    void firstAndSubsetCopyTheRightItems() {
        ImageDataset d = sample();
        ImageDataset f = d.first(2);
        assertEquals(2, f.size());
        assertArrayEquals(new int[] {2, 0}, f.labels());
        assertArrayEquals(d.image(1), f.image(1));
        assertEquals(4, d.first(99).size());

        ImageDataset s = d.subset(new int[] {3, 0, 3});
        assertArrayEquals(new int[] {1, 2, 1}, s.labels());
        assertArrayEquals(d.image(3), s.image(0));
        assertArrayEquals(d.image(0), s.image(1));
        assertEquals(3, s.numClasses());
    }

    @Test
    void singleClassOrEmptyCannotTrain() {
        ImageDataset one = new ImageDataset("one-class", new byte[3 * 4], new int[] {5, 5, 5}, 1, 2, 2, 10);
        EngineException e = assertThrows(EngineException.class, one::validateForTraining);
        assertEquals("one-class: all 3 items have label 5; training a classifier needs items of at least "
                + "two classes", e.getMessage());
        assertEquals(1, one.presentClassCount());
        ImageDataset empty = one.first(0);
        assertTrue(assertThrows(EngineException.class, empty::validateForTraining).getMessage().contains("empty"));
        sample().validateForTraining();
    }

    @Test
    void inconsistentInputIsRejected() {
        EngineException size = assertThrows(EngineException.class,
                () -> new ImageDataset("x", new byte[7], new int[] {0, 1}, 1, 2, 2, 2));
        assertTrue(size.getMessage().contains("2 labels need 2 x 4 = 8 pixel bytes, but 7"), size.getMessage());
        EngineException range = assertThrows(EngineException.class,
                () -> new ImageDataset("x", new byte[8], new int[] {0, 2}, 1, 2, 2, 2));
        assertTrue(range.getMessage().startsWith("x: label 2 of item 1 is out of range"), range.getMessage());
    }
}
