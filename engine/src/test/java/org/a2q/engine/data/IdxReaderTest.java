package org.a2q.engine.data;

import org.a2q.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.a2q.engine.data.IdxTestFiles.gzip;
import static org.a2q.engine.data.IdxTestFiles.images;
import static org.a2q.engine.data.IdxTestFiles.labels;
import static org.a2q.engine.data.IdxTestFiles.ramp;
import static org.a2q.engine.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** Asserts the message starts with the file and contains every given fragment. */
    private static EngineException assertFails(Path file, Runnable r, String... fragments) {
        EngineException e = assertThrows(EngineException.class, r::run);
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), "message should name the file first: " + m);
        for (String f : fragments) assertTrue(m.contains(f), "message lacks '" + f + "': " + m);
        return e;
    }

    @Test
    void readsRawAndGzipIdenticallyWhateverTheFileName() {
        byte[] img = images(3, 4, 5, ramp(60));
        // Names deliberately lie about compression: detection must use the content.
        IdxReader.Images raw = IdxReader.readImages(write(dir, "a.gz", img));
        IdxReader.Images gz = IdxReader.readImages(write(dir, "b-idx3-ubyte", gzip(img)));
        assertEquals(3, raw.count());
        assertEquals(4, raw.rows());
        assertEquals(5, raw.cols());
        assertEquals(20, raw.imageSize());
        assertArrayEquals(ramp(60), raw.pixels());
        assertEquals(raw.count(), gz.count());
        assertEquals(raw.rows(), gz.rows());
        assertEquals(raw.cols(), gz.cols());
        assertArrayEquals(raw.pixels(), gz.pixels());

        byte[] lab = labels((byte) 2, (byte) 0, (byte) 9);
        assertArrayEquals(new int[] {2, 0, 9}, IdxReader.readLabels(write(dir, "l", lab), 10));
        assertArrayEquals(new int[] {2, 0, 9}, IdxReader.readLabels(write(dir, "l.gz", gzip(lab)), 10));
    }

    @Test
    void labelsAboveOneHundredTwentySevenAreUnsigned() {
        byte[] lab = labels((byte) 200, (byte) 255);
        assertArrayEquals(new int[] {200, 255}, IdxReader.readLabels(write(dir, "l", lab), 256));
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope-idx3-ubyte.gz");
        assertFails(missing, () -> IdxReader.readImages(missing), "not found");
        assertFails(dir, () -> IdxReader.readImages(dir), "is a directory");
    }

    @Test
    void wrongMagicNamesExpectedAndFound() {
        Path f = write(dir, "imgs", labels((byte) 1, (byte) 2));
        assertFails(f, () -> IdxReader.readImages(f), "wrong magic number 0x00000801", "expected 0x00000803",
                "swapped");
        Path g = write(dir, "labs.gz", gzip(images(1, 1, 1, new byte[1])));
        assertFails(g, () -> IdxReader.readLabels(g, 10), "0x00000803", "expected 0x00000801");
        Path png = write(dir, "pic.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0});
        assertFails(png, () -> IdxReader.readImages(png), "0x89504E47", "not an IDX file");
        Path floats = write(dir, "f", IdxTestFiles.idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]));
        assertFails(floats, () -> IdxReader.readImages(floats), "0x00000D03", "only unsigned-byte");
    }

    @Test
    void truncatedHeader() {
        byte[] full = images(2, 2, 2, new byte[8]);
        Path raw = write(dir, "h", Arrays.copyOf(full, 10));
        assertFails(raw, () -> IdxReader.readImages(raw), "truncated header", "dimension 2 of 3", "after 10 bytes");
        Path gz = write(dir, "h.gz", gzip(Arrays.copyOf(full, 3)));
        assertFails(gz, () -> IdxReader.readImages(gz), "truncated header", "magic", "decompressed");
        Path empty = write(dir, "empty", new byte[0]);
        assertFails(empty, () -> IdxReader.readImages(empty), "truncated header");
        Path gzHead = write(dir, "cut.gz", Arrays.copyOf(gzip(full), 5));
        assertFails(gzHead, () -> IdxReader.readImages(gzHead), "truncated gzip header");
    }

    @Test
    void truncatedData() {
        byte[] full = images(3, 4, 5, ramp(60));
        Path raw = write(dir, "t", Arrays.copyOf(full, full.length - 1));
        assertFails(raw, () -> IdxReader.readImages(raw), "truncated", "3 images of 4x5 pixels (60 bytes)",
                "only 59 bytes");
        // A complete gzip stream whose content is short: the IDX data is truncated.
        Path gz = write(dir, "t.gz", gzip(Arrays.copyOf(full, full.length - 7)));
        assertFails(gz, () -> IdxReader.readImages(gz), "truncated", "only 53 bytes");
        // A gzip stream cut in the middle: the compression layer itself is truncated.
        byte[] big = images(50, 28, 28, randomBytes(50 * 784, 1));
        byte[] z = gzip(big);
        Path cut = write(dir, "cut.gz", Arrays.copyOf(z, z.length / 2));
        assertFails(cut, () -> IdxReader.readImages(cut), "truncated gzip data");
    }

    @Test
    void extraBytesAfterDeclaredData() {
        byte[] full = images(1, 2, 2, new byte[5]);
        Path raw = write(dir, "x", full);
        assertFails(raw, () -> IdxReader.readImages(raw), "1 images of 2x2 pixels (4 bytes)", "1 extra bytes");
        Path gz = write(dir, "x.gz", gzip(full));
        assertFails(gz, () -> IdxReader.readImages(gz), "more data follows inside the gzip stream");
    }

    @Test
    void bytesAfterACompleteGzipStreamAreIgnoredLikeGzipDoes() {
        byte[] z = gzip(labels((byte) 3, (byte) 4));
        byte[] padded = Arrays.copyOf(z, z.length + 100);
        assertArrayEquals(new int[] {3, 4}, IdxReader.readLabels(write(dir, "pad.gz", padded), 10));
    }

    @Test
    void corruptGzipIsReportedNotThrownRaw() {
        byte[] z = gzip(images(20, 28, 28, randomBytes(20 * 784, 2)));
        // Damage the middle of the deflate stream, after the IDX header has been decoded intact.
        for (int i = z.length / 2; i < z.length / 2 + 40; i++) z[i] ^= (byte) 0x5A;
        Path f = write(dir, "bad.gz", z);
        assertFails(f, () -> IdxReader.readImages(f), "gzip data");
        // A flipped bit in the stored CRC: the data decode fine but the trailer check fails.
        byte[] c = gzip(images(2, 2, 2, new byte[8]));
        c[c.length - 8] ^= 1;
        Path crc = write(dir, "crc.gz", c);
        assertFails(crc, () -> IdxReader.readImages(crc), "corrupt gzip data");
    }

    @Test
    void hugeDeclaredSizesFailFastWithoutAllocating() {
        // 100,000 x 100,000 x 100 = 10^12 bytes declared in a 16-byte file.
        byte[] header = IdxTestFiles.idx(IdxReader.MAGIC_IMAGES_U8, new int[] {100_000, 100_000, 100}, new byte[0]);
        long t0 = System.nanoTime();
        Path raw = write(dir, "huge", header);
        assertFails(raw, () -> IdxReader.readImages(raw), "truncated", "1,000,000,000,000 bytes",
                "only 0 bytes follow");
        Path gz = write(dir, "huge.gz", gzip(header));
        assertFails(gz, () -> IdxReader.readImages(gz), "1,000,000,000,000 bytes", "more than the 2,147,483,631");
        // Unsigned 32-bit dimensions: 0xFFFFFFFF items must not turn negative.
        Path neg = write(dir, "neg", IdxTestFiles.idx(IdxReader.MAGIC_LABELS_U8, new int[] {-1}, new byte[3]));
        assertFails(neg, () -> IdxReader.readLabels(neg, 10), "4294967295 labels (4,294,967,295 bytes)");
        // Under the array limit but impossible for the compressed size: caught by the deflate ratio bound.
        byte[] mid = IdxTestFiles.idx(IdxReader.MAGIC_IMAGES_U8, new int[] {1_000_000, 28, 28}, new byte[10]);
        Path midGz = write(dir, "mid.gz", gzip(mid));
        assertFails(midGz, () -> IdxReader.readImages(midGz), "784,000,000 bytes", "cannot decompress to more");
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "bad headers must be rejected at once");
    }

    @Test
    void plausibleButLyingGzipHeaderOnlyCostsTheRealData() {
        // 2 MB of incompressible bytes pass the ratio bound for a 1.5e9-byte claim only if the file
        // were ~1.5 MB; here it is 2 MB, so the reader must decompress and then find the truncation
        // (with a buffer that grows with the data, not 1.5 GB up front).
        int real = 2 << 20;
        byte[] lie = IdxTestFiles.idx(IdxReader.MAGIC_IMAGES_U8, new int[] {1_500_000, 1000, 1},
                randomBytes(real, 3));
        Path f = write(dir, "lie.gz", gzip(lie));
        assertFails(f, () -> IdxReader.readImages(f), "truncated", "1,500,000,000 bytes",
                "only 2,097,152 bytes");
    }

    @Test
    void zeroSizedImagesAreRejected() {
        Path f = write(dir, "z", images(3, 0, 5, new byte[0]));
        assertFails(f, () -> IdxReader.readImages(f), "0x5 pixels");
    }

    @Test
    void labelOutOfRange() {
        Path f = write(dir, "l", labels((byte) 1, (byte) 9, (byte) 3, (byte) 10));
        assertFails(f, () -> IdxReader.readLabels(f, 10), "label 10 of item 3 is out of range", "0..9");
        assertArrayEquals(new int[] {1, 9, 3, 10}, IdxReader.readLabels(f, 11));
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }
}
