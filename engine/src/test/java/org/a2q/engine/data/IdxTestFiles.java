package org.a2q.engine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests, so every bad-input case is a few explicit bytes. */
final class IdxTestFiles {
    private IdxTestFiles() {
    }

    /** Header (magic + dims, big-endian) followed by the payload. */
    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (int d : dims) b.putInt(d);
        b.put(payload);
        return b.array();
    }

    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        return idx(IdxReader.MAGIC_IMAGES_U8, new int[] {count, rows, cols}, pixels);
    }

    static byte[] labels(byte... labels) {
        return idx(IdxReader.MAGIC_LABELS_U8, new int[] {labels.length}, labels);
    }

    /** Pixels 0,1,2,... (mod 256) so every position has a distinct, predictable value. */
    static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 3);
        return b;
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(data);
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
