package org.a2q.app.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The models and runs opened lately, newest first, remembered across sessions in {@link Settings}.
 * A file opened again moves to the top instead of appearing twice, and the list is capped so the
 * menu stays short.
 */
public final class RecentFiles {
    /** Entries the menu offers. */
    public static final int MAX = 8;
    /** Settings key; the value is the absolute paths, one per line. */
    static final String KEY = "recent.files";

    private final Settings settings;
    private final ObservableList<Path> files = FXCollections.observableArrayList();
    // One wrapper for everyone: it forwards changes through a weak listener, so a fresh wrapper per
    // call could be collected together with the listeners added to it.
    private final ObservableList<Path> readOnly = FXCollections.unmodifiableObservableList(files);

    public RecentFiles(Settings settings) {
        this.settings = settings;
        List<Path> stored = new ArrayList<>();
        for (String line : settings.get(KEY, "").split("\n")) {
            if (!line.isBlank()) {
                Path p = Path.of(line.strip());
                if (!stored.contains(p) && stored.size() < MAX) {
                    stored.add(p);
                }
            }
        }
        files.setAll(stored);
    }

    /** Newest first. */
    public ObservableList<Path> files() {
        return readOnly;
    }

    /** Puts a file at the top (moving it there if it is already listed) and remembers the list. */
    public void add(Path file) {
        Path p = file.toAbsolutePath().normalize();
        List<Path> next = new ArrayList<>(files);
        next.remove(p);
        next.add(0, p);
        while (next.size() > MAX) {
            next.remove(next.size() - 1);
        }
        files.setAll(next);
        save();
    }

    /** Forgets one file, e.g. one that no longer exists. */
    public void remove(Path file) {
        if (files.remove(file.toAbsolutePath().normalize())) {
            save();
        }
    }

    public void clear() {
        files.clear();
        save();
    }

    private void save() {
        StringBuilder sb = new StringBuilder();
        for (Path p : files) {
            String line = p + "\n";
            // java.util.prefs refuses longer values; the oldest entries give way.
            if (sb.length() + line.length() > java.util.prefs.Preferences.MAX_VALUE_LENGTH) {
                break;
            }
            sb.append(line);
        }
        settings.put(KEY, sb.toString());
        settings.flush();
    }
}
