package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.prefs.Preferences;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SettingsTest {
    private final Preferences node = Preferences.userRoot().node("org/a2q/workbench-test-settings");
    private final Settings settings = new Settings(node);

    @AfterEach
    void removeNode() throws Exception {
        node.removeNode();
    }

    @Test
    void valuesSurviveANewInstance() {
        settings.putInt("train.epochs", 7);
        settings.putBoolean("theme.dark", true);
        settings.putDouble("theme.fontScale", 1.5);
        settings.put("learn.weights", "1, -1");
        settings.flush();
        Settings again = new Settings(Preferences.userRoot().node("org/a2q/workbench-test-settings"));
        assertEquals(7, again.getInt("train.epochs", 1));
        assertTrue(again.getBoolean("theme.dark", false));
        assertEquals(1.5, again.getDouble("theme.fontScale", 1.0));
        assertEquals("1, -1", again.get("learn.weights", ""));
        again.clear();
        assertEquals(1, settings.getInt("train.epochs", 1));
    }
}
