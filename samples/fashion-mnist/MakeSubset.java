/*
 * Writes the Fashion-MNIST subset bundled with A2Q Workbench: the first 10,000 training items and
 * the first 2,000 test items, in the standard gzip IDX file names.
 *
 * Run with a JDK 17 or newer (no build needed, no other tools):
 *
 *   java samples/fashion-mnist/MakeSubset.java SOURCE_DIR [OUT_DIR]
 *
 * SOURCE_DIR holds the four original files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
 * t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), e.g. as installed by the Debian package
 * dataset-fashion-mnist (`dpkg -L dataset-fashion-mnist` shows where). OUT_DIR defaults to the
 * directory of this script. Items are taken in file order, unchanged; only the item count in each
 * header is rewritten. The program prints per-class counts and SHA-256 sums for samples/README.md.
 */

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;

public class MakeSubset {
    static final int TRAIN_ITEMS = 10_000;
    static final int TEST_ITEMS = 2_000;
    static final int CLASSES = 10;

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java MakeSubset.java SOURCE_DIR [OUT_DIR]");
            System.exit(2);
        }
        Path src = Path.of(args[0]);
        Path out = args.length == 2 ? Path.of(args[1]) : scriptDir();
        Files.createDirectories(out);
        for (String set : new String[] {"train", "t10k"}) {
            int n = set.equals("train") ? TRAIN_ITEMS : TEST_ITEMS;
            byte[] labels = take(src, out, set + "-labels-idx1-ubyte", 0x801, n);
            take(src, out, set + "-images-idx3-ubyte", 0x803, n);
            int[] counts = new int[CLASSES];
            for (byte b : labels) {
                if ((b & 0xff) >= CLASSES) throw new IllegalStateException("label " + (b & 0xff) + " >= " + CLASSES);
                counts[b & 0xff]++;
            }
            System.out.println(set + " per-class counts: " + Arrays.toString(counts));
        }
    }

    /** Copies the header (with count n) and the first n items; returns the items' bytes (no header). */
    static byte[] take(Path src, Path out, String base, int magic, int n) throws IOException {
        Path in = src.resolve(base + ".gz");
        byte[] all;
        try (InputStream s = new GZIPInputStream(Files.newInputStream(in))) {
            all = s.readAllBytes();
        }
        int ndims = magic & 0xff;
        int header = 4 + 4 * ndims;
        if (all.length < header || readInt(all, 0) != magic) {
            throw new IllegalStateException(in + ": not an IDX file with magic 0x" + Integer.toHexString(magic));
        }
        int count = readInt(all, 4);
        long itemBytes = 1;
        for (int d = 1; d < ndims; d++) itemBytes *= readInt(all, 4 + 4 * d);
        if (all.length != header + count * itemBytes) {
            throw new IllegalStateException(in + ": size does not match its header");
        }
        if (count < n) throw new IllegalStateException(in + ": only " + count + " items, need " + n);
        byte[] subset = Arrays.copyOf(all, header + (int) (n * itemBytes));
        writeInt(subset, 4, n);
        byte[] gz = gzip(subset);
        Path target = out.resolve(base + ".gz");
        Files.write(target, gz);
        System.out.println(target.getFileName() + ": " + n + " items, " + subset.length + " bytes raw, "
                + gz.length + " bytes gzip; sha256 gz " + sha256(gz) + ", sha256 raw " + sha256(subset));
        return Arrays.copyOfRange(subset, header, subset.length);
    }

    /**
     * gzip with a fixed header (no name, no time stamp, OS "unknown"), so the output depends only
     * on the input and the zlib deflate at level 9; GZIPOutputStream's header differs by JDK.
     */
    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        bos.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff});
        Deflater def = new Deflater(9, true);
        try (OutputStream d = new DeflaterOutputStream(bos, def, 1 << 16)) {
            d.write(data);
        }
        def.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        writeLe(bos, (int) crc.getValue());
        writeLe(bos, data.length);
        return bos.toByteArray();
    }

    static void writeLe(ByteArrayOutputStream o, int v) {
        for (int i = 0; i < 4; i++) o.write((v >>> (8 * i)) & 0xff);
    }

    static int readInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static void writeInt(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) b[off + i] = (byte) (v >>> (24 - 8 * i));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    static Path scriptDir() {
        // The source launcher does not expose the script path; run from the repository root or pass OUT_DIR.
        return Path.of("samples", "fashion-mnist");
    }
}
