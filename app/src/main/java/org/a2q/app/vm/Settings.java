package org.a2q.app.vm;

import java.util.prefs.BackingStoreException;
import java.util.prefs.Preferences;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the workbench remembers between sessions (window, theme, text size, last settings), kept in
 * java.util.prefs so nothing needs a config file. Tests use their own node so they never touch
 * the user's settings.
 */
public final class Settings {
    /** Preference node of the real application. */
    public static final String USER_NODE = "org/a2q/workbench";

    private final Preferences prefs;

    public Settings(Preferences prefs) {
        this.prefs = prefs;
    }

    public static Settings user() {
        return new Settings(Preferences.userRoot().node(USER_NODE));
    }

    public String get(String key, String def) { return prefs.get(key, def); }
    public void put(String key, String value) { prefs.put(key, value); }
    public int getInt(String key, int def) { return prefs.getInt(key, def); }
    public void putInt(String key, int value) { prefs.putInt(key, value); }
    public double getDouble(String key, double def) { return prefs.getDouble(key, def); }
    public void putDouble(String key, double value) { prefs.putDouble(key, value); }
    public boolean getBoolean(String key, boolean def) { return prefs.getBoolean(key, def); }
    public void putBoolean(String key, boolean value) { prefs.putBoolean(key, value); }

    /** Writes to disk now; java.util.prefs would otherwise do it some time later, or not at all on a kill. */
    public void flush() {
        try {
            prefs.flush();
        } catch (BackingStoreException e) {
            // Losing remembered window sizes is not worth a dialog; note it for whoever reads the log.
            Logger.getLogger("org.a2q.app").log(Level.WARNING, "could not save settings: " + e.getMessage());
        }
    }

    /** Forgets everything (tests, and a future "reset settings" command). */
    public void clear() {
        try {
            prefs.clear();
        } catch (BackingStoreException e) {
            Logger.getLogger("org.a2q.app").log(Level.WARNING, "could not clear settings: " + e.getMessage());
        }
    }
}
