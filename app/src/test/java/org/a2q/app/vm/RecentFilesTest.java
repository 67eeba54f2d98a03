package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.prefs.Preferences;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecentFilesTest {
    private static final String NODE = "org/a2q/workbench-test-recent";
    private final Settings settings = new Settings(Preferences.userRoot().node(NODE));

    @AfterEach
    void removeNode() throws Exception {
        Preferences.userRoot().node(NODE).removeNode();
    }

    private static Path file(String name) {
        return Path.of(name).toAbsolutePath().normalize();
    }

    @Test
    void newestComesFirstAndSurvivesANewSession() {
        RecentFiles recent = new RecentFiles(settings);
        recent.add(file("a.a2q"));
        recent.add(file("b.onnx"));
        RecentFiles again = new RecentFiles(new Settings(Preferences.userRoot().node(NODE)));
        assertEquals(List.of(file("b.onnx"), file("a.a2q")), again.files());
    }

    @Test
    void reopeningMovesAFileToTheTopWithoutADuplicate() {
        RecentFiles recent = new RecentFiles(settings);
        recent.add(file("a.a2q"));
        recent.add(file("b.a2q"));
        recent.add(file("a.a2q"));
        assertEquals(List.of(file("a.a2q"), file("b.a2q")), recent.files());
    }

    @Test
    void relativeAndAbsoluteSpellingsAreOneEntry() {
        RecentFiles recent = new RecentFiles(settings);
        recent.add(Path.of("runs/../a.a2q"));
        recent.add(file("a.a2q"));
        assertEquals(List.of(file("a.a2q")), recent.files());
    }

    @Test
    void theOldestEntriesFallOffAtTheCap() {
        RecentFiles recent = new RecentFiles(settings);
        List<Path> added = new ArrayList<>();
        for (int i = 0; i < RecentFiles.MAX + 3; i++) {
            added.add(file("run" + i + ".a2q"));
            recent.add(added.get(i));
        }
        assertEquals(RecentFiles.MAX, recent.files().size());
        assertEquals(added.get(added.size() - 1), recent.files().get(0));
        assertEquals(added.get(3), recent.files().get(RecentFiles.MAX - 1));
        assertEquals(RecentFiles.MAX, new RecentFiles(settings).files().size());
    }

    @Test
    void removeAndClearAreRemembered() {
        RecentFiles recent = new RecentFiles(settings);
        recent.add(file("a.a2q"));
        recent.add(file("b.a2q"));
        recent.remove(file("a.a2q"));
        assertEquals(List.of(file("b.a2q")), new RecentFiles(settings).files());
        recent.clear();
        assertTrue(new RecentFiles(settings).files().isEmpty());
    }

    @Test
    void overlongListsKeepTheNewestEntriesThatFit() {
        RecentFiles recent = new RecentFiles(settings);
        String longDir = "d".repeat(2500);
        for (int i = 0; i < 5; i++) {
            recent.add(file(longDir + "/run" + i + ".a2q"));
        }
        List<Path> stored = new RecentFiles(settings).files();
        assertTrue(stored.size() >= 2 && stored.size() < 5, "only what fits in one preference value: " + stored.size());
        assertEquals(file(longDir + "/run4.a2q"), stored.get(0));
    }
}
