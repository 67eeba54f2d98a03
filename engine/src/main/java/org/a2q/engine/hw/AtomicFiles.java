package org.a2q.engine.hw;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.a2q.engine.EngineException;

/**
 * Writes a file so that readers see either the old content or the complete new one, never a
 * half-written file: write a temporary file in the same directory (same file system, so the rename
 * is atomic), force it to disk, then rename it over the target.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void writeString(Path target, String content) {
        write(target, content.getBytes(StandardCharsets.UTF_8));
    }

    public static void write(Path target, byte[] content) {
        if (target == null) {
            throw new EngineException("no output file given");
        }
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new EngineException("cannot write " + target + ": its directory does not exist; create it first");
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (AtomicMoveNotSupportedException e) {
            throw new EngineException("cannot replace " + target + " atomically on this file system; write to a local"
                    + " directory instead", e);
        } catch (IOException e) {
            throw new EngineException("cannot write " + target + ": " + e.getMessage()
                    + "; check that the directory is writable and the disk is not full", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The original error is the one worth reporting; a stray temp file is harmless.
                }
            }
        }
    }
}
