package org.a2q.engine.data;

import org.a2q.engine.EngineException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX files of MNIST-style data sets: unsigned-byte images (3 dimensions) and
 * unsigned-byte labels (1 dimension), either raw or gzip-compressed.
 *
 * <p>Compression is recognised from the first two bytes (the gzip magic), not from the file
 * name, because renamed or pre-extracted copies are common. Every size a header declares is
 * checked against the bytes that can really be there <em>before</em> any large array is
 * allocated, so a corrupt or hostile header ends in an {@link EngineException} naming the file,
 * never in an {@link OutOfMemoryError}.
 *
 * <p>Decompressed data must match the header exactly; missing or surplus bytes are errors. Bytes
 * after the end of a complete gzip stream are ignored, as gzip(1) does: the data itself is complete
 * and its CRC has been verified.
 */
public final class IdxReader {
    /** IDX magic of an unsigned-byte array with 3 dimensions (count, rows, columns). */
    public static final int MAGIC_IMAGES_U8 = 0x00000803;
    /** IDX magic of an unsigned-byte array with 1 dimension (count). */
    public static final int MAGIC_LABELS_U8 = 0x00000801;

    /**
     * Largest payload we hold: the images of one file live in one Java byte[], and the JVM refuses
     * arrays close to Integer.MAX_VALUE.
     */
    static final long MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 16L;

    /**
     * DEFLATE cannot expand data by more than about 1032:1, so a gzip file of S bytes cannot hold
     * more than this many times S bytes. Used to reject impossible headers without decompressing.
     */
    static final long MAX_DEFLATE_RATIO = 1032L;

    /** Read granularity for gzip input: memory grows with the data really present, not the header. */
    private static final int CHUNK = 1 << 16;

    private IdxReader() {
    }

    /** Images of one IDX file: {@code count} images of {@code rows x cols} bytes, row-major, back to back. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        /** Bytes per image ({@code rows * cols}). */
        public int imageSize() {
            return rows * cols;
        }
    }

    /**
     * Reads an unsigned-byte image file (magic 0x00000803).
     *
     * @throws EngineException if the file is missing, unreadable, not an image IDX file, truncated,
     *                         has extra bytes, or declares more data than it can contain
     */
    public static Images readImages(Path file) {
        try (Source src = Source.open(file)) {
            int[] dims = readHeader(src, MAGIC_IMAGES_U8);
            long count = Integer.toUnsignedLong(dims[0]);
            long rows = Integer.toUnsignedLong(dims[1]);
            long cols = Integer.toUnsignedLong(dims[2]);
            if (rows == 0 || cols == 0) {
                throw fail(file, "declares images of " + rows + "x" + cols
                        + " pixels; both sides must be at least 1");
            }
            String what = count + " images of " + rows + "x" + cols + " pixels";
            byte[] pixels = readPayload(src, what, count, rows * cols);
            return new Images((int) count, (int) rows, (int) cols, pixels);
        }
    }

    /**
     * Reads an unsigned-byte label file (magic 0x00000801) and checks every label lies in
     * {@code [0, numClasses)}.
     *
     * @param numClasses number of classes; labels outside {@code 0..numClasses-1} are an error.
     *                   Pass 256 (or any larger value) to accept every byte value.
     * @throws EngineException on any problem {@link #readImages} reports, or a label out of range
     */
    public static int[] readLabels(Path file, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        byte[] raw;
        try (Source src = Source.open(file)) {
            int[] dims = readHeader(src, MAGIC_LABELS_U8);
            long count = Integer.toUnsignedLong(dims[0]);
            raw = readPayload(src, count + " labels", count, 1);
        }
        int[] labels = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            int v = raw[i] & 0xff;
            if (v >= numClasses) {
                throw fail(file, "label " + v + " of item " + i + " is out of range: expected 0.."
                        + (numClasses - 1) + " for " + numClasses + " classes");
            }
            labels[i] = v;
        }
        return labels;
    }

    /** Reads the magic and the dimensions; returns the dimensions as raw (unsigned) ints. */
    private static int[] readHeader(Source src, int expectedMagic) {
        int magic = src.readHeaderInt("the 4-byte magic number");
        if (magic != expectedMagic) {
            StringBuilder msg = new StringBuilder("wrong magic number ").append(hex(magic))
                    .append(", expected ").append(hex(expectedMagic)).append(" (")
                    .append(describeMagic(expectedMagic)).append(")");
            if (magic == MAGIC_IMAGES_U8 || magic == MAGIC_LABELS_U8) {
                msg.append("; this is an IDX ").append(describeMagic(magic))
                        .append(" file: are the image and label files swapped?");
            } else if ((magic >>> 16) != 0) {
                msg.append("; this is not an IDX file");
            } else {
                msg.append("; only unsigned-byte IDX files are supported");
            }
            throw fail(src.file, msg.toString());
        }
        int ndims = magic & 0xff;
        int[] dims = new int[ndims];
        for (int d = 0; d < ndims; d++) {
            dims[d] = src.readHeaderInt("dimension " + (d + 1) + " of " + ndims);
        }
        return dims;
    }

    /**
     * Reads {@code count * itemBytes} bytes after checking that this many bytes can exist in the
     * file, so the allocation is bounded by the file itself.
     */
    private static byte[] readPayload(Source src, String what, long count, long itemBytes) {
        BigInteger declared = BigInteger.valueOf(count).multiply(BigInteger.valueOf(itemBytes));
        String declaredText = what + " (" + grouped(declared) + " bytes)";
        if (!src.gzip) {
            long present = src.fileSize - src.headerBytes;
            int cmp = declared.compareTo(BigInteger.valueOf(present));
            if (cmp > 0) {
                throw fail(src.file, "truncated: the header declares " + declaredText + " but only "
                        + grouped(present) + " bytes follow the header");
            }
            if (cmp < 0) {
                throw fail(src.file, "the header declares " + declaredText + " but "
                        + grouped(declared.negate().add(BigInteger.valueOf(present)))
                        + " extra bytes follow them; the file is corrupt or not this kind of IDX file");
            }
        }
        if (declared.compareTo(BigInteger.valueOf(MAX_PAYLOAD_BYTES)) > 0) {
            throw fail(src.file, "the header declares " + declaredText + ", more than the "
                    + grouped(MAX_PAYLOAD_BYTES) + " bytes one file may hold here; split the data set"
                    + " into smaller files, or the header is corrupt");
        }
        long n = declared.longValueExact();
        if (src.gzip) {
            long possible = src.fileSize * MAX_DEFLATE_RATIO;
            if (n > possible) {
                throw fail(src.file, "the header declares " + declaredText + " but a gzip file of "
                        + grouped(src.fileSize) + " bytes cannot decompress to more than about "
                        + grouped(possible) + "; the header is corrupt or the file truncated");
            }
        }
        return src.readPayload((int) n, declaredText);
    }

    private static String describeMagic(int magic) {
        if (magic == MAGIC_IMAGES_U8) return "unsigned-byte images, 3 dimensions";
        if (magic == MAGIC_LABELS_U8) return "unsigned-byte labels, 1 dimension";
        return "unknown";
    }

    static String hex(int v) {
        return String.format(Locale.ROOT, "0x%08X", v);
    }

    static String grouped(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String grouped(BigInteger v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    static EngineException fail(Path file, String problem) {
        return new EngineException(file + ": " + problem);
    }

    /** An opened IDX file, raw or gzip, that turns every I/O failure into an EngineException. */
    private static final class Source implements AutoCloseable {
        final Path file;
        final long fileSize;
        final boolean gzip;
        final InputStream in;
        long headerBytes;

        private Source(Path file, long fileSize, boolean gzip, InputStream in) {
            this.file = file;
            this.fileSize = fileSize;
            this.gzip = gzip;
            this.in = in;
        }

        static Source open(Path file) {
            if (Files.isDirectory(file)) {
                throw fail(file, "is a directory, expected an IDX file");
            }
            if (!Files.exists(file)) {
                throw fail(file, "file not found");
            }
            InputStream raw = null;
            try {
                long size = Files.size(file);
                raw = new BufferedInputStream(Files.newInputStream(file), CHUNK);
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                boolean gzip = b0 == 0x1f && b1 == 0x8b;
                InputStream in = gzip ? new GZIPInputStream(raw, CHUNK) : raw;
                return new Source(file, size, gzip, in);
            } catch (EOFException e) {
                closeQuietly(raw);
                throw fail(file, "truncated gzip header: the file starts like gzip but ends after "
                        + "fewer than the 10 bytes a gzip header needs");
            } catch (ZipException e) {
                closeQuietly(raw);
                throw fail(file, "corrupt gzip header (" + describe(e) + ")");
            } catch (IOException e) {
                closeQuietly(raw);
                throw fail(file, "cannot be read: " + describe(e));
            }
        }

        int readHeaderInt(String what) {
            byte[] b = new byte[4];
            int got = readFully(b, 0, 4, "the header");
            if (got < 4) {
                throw fail(file, "truncated header: " + what + " is missing (the file ends after "
                        + (headerBytes + got) + " bytes" + (gzip ? " of decompressed data" : "") + ")");
            }
            headerBytes += 4;
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        }

        /**
         * Reads exactly n bytes and checks nothing follows. For gzip the buffer starts at a size
         * bounded by the compressed file and only grows as data really arrives, so a header that
         * lies costs no more memory than the file's real content.
         */
        byte[] readPayload(int n, String declaredText) {
            byte[] buf;
            if (gzip) {
                long firstGuess = Math.max(CHUNK, 8L * fileSize); // real images compress ~2-4x
                buf = new byte[(int) Math.min(n, firstGuess)];
            } else {
                buf = new byte[n];
            }
            int filled = 0;
            while (filled < n) {
                if (filled == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
                }
                int got = readFully(buf, filled, buf.length - filled, "the data");
                filled += got;
                if (filled < buf.length) {
                    throw fail(file, "truncated: the header declares " + declaredText + " but only "
                            + grouped(filled) + " bytes of data are present");
                }
            }
            int extra = readFully(new byte[1], 0, 1, "the data");
            if (extra > 0) {
                throw fail(file, "the header declares " + declaredText + " but more data follows"
                        + (gzip ? " inside the gzip stream" : "") + "; the file is corrupt or not this kind of IDX file");
            }
            return buf;
        }

        /** Reads up to len bytes; returns fewer only at end of data. */
        private int readFully(byte[] b, int off, int len, String part) {
            int total = 0;
            try {
                while (total < len) {
                    int r = in.read(b, off + total, len - total);
                    if (r < 0) break;
                    total += r;
                }
                return total;
            } catch (EOFException e) {
                throw fail(file, "truncated gzip data while reading " + part
                        + ": the compressed stream ends early (" + describe(e) + ")");
            } catch (ZipException e) {
                throw fail(file, "corrupt gzip data while reading " + part + " (" + describe(e) + ")");
            } catch (IOException e) {
                throw fail(file, "cannot be read (" + describe(e) + ")");
            }
        }

        @Override
        public void close() {
            closeQuietly(in);
        }

        private static void closeQuietly(InputStream s) {
            if (s == null) return;
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a read-only stream cannot lose data; the read result already stands
            }
        }

        private static String describe(IOException e) {
            if (e instanceof AccessDeniedException) return "permission denied";
            if (e instanceof NoSuchFileException) return "file not found";
            String m = e.getMessage();
            return m == null ? e.getClass().getSimpleName() : m;
        }
    }
}
