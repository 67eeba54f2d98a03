package org.a2q.engine.reliability;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;

/**
 * Child process for {@link CrashSafetyTest}: saves the same run file over and over, version after
 * version, until it is killed. Version k has every parameter equal to k and epochs_done = k, so the
 * parent can tell a complete version from any mix of two. Prints "saved k" after each save returns.
 */
public final class CrashingWriter {
    private CrashingWriter() { }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int first = Integer.parseInt(args[1]);
        Graph g = ModelTemplates.create("mlp", 0); // ~1 MB per save: long enough to be killed mid-write
        System.out.println("ready");
        System.out.flush();
        for (int k = first; ; k++) {
            g.valueArena().assign(k);
            RunFile.save(file, g, null, k, List.of(), Map.of("version", k));
            System.out.println("saved " + k);
            System.out.flush();
        }
    }

    /** Whether a loaded run is exactly version k as written above. */
    static boolean isVersion(RunFile.Run r, int k) {
        return r.epochsDone() == k && r.graph().valueArena().minNumber().doubleValue() == k
                && r.graph().valueArena().maxNumber().doubleValue() == k
                && Integer.valueOf(k).equals(r.sections().get("version"));
    }
}
