package org.a2q.app.view;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import org.a2q.app.vm.Settings;

/** The platform's file dialogs, starting in the folder the user chose last time. */
final class FxFileChoosers implements FileChoosers {
    private static final String LAST_DIR = "lastDir";

    private final Supplier<Window> owner;
    private final Settings settings;

    FxFileChoosers(Supplier<Window> owner, Settings settings) {
        this.owner = owner;
        this.settings = settings;
    }

    @Override
    public Optional<Path> open(String title, String what, List<String> patterns) {
        FileChooser fc = new FileChooser();
        fc.setTitle(title);
        fc.getExtensionFilters().addAll(new FileChooser.ExtensionFilter(what + " (" + String.join(", ", patterns) + ")",
                patterns), new FileChooser.ExtensionFilter("All files", "*"));
        initialDir(fc::setInitialDirectory);
        return remembered(fc.showOpenDialog(owner.get()), true);
    }

    @Override
    public Optional<Path> save(String title, String initialName, String what, String pattern) {
        FileChooser fc = new FileChooser();
        fc.setTitle(title);
        fc.setInitialFileName(initialName);
        fc.getExtensionFilters().add(new FileChooser.ExtensionFilter(what + " (" + pattern + ")", pattern));
        initialDir(fc::setInitialDirectory);
        return remembered(fc.showSaveDialog(owner.get()), true);
    }

    @Override
    public Optional<Path> folder(String title) {
        DirectoryChooser dc = new DirectoryChooser();
        dc.setTitle(title);
        initialDir(dc::setInitialDirectory);
        return remembered(dc.showDialog(owner.get()), false);
    }

    private Optional<Path> remembered(File f, boolean isFile) {
        if (f == null) {
            return Optional.empty();
        }
        Path dir = isFile ? f.toPath().getParent() : f.toPath();
        if (dir != null) {
            settings.put(LAST_DIR, dir.toString());
        }
        return Optional.of(f.toPath());
    }

    private void initialDir(Consumer<File> set) {
        String last = settings.get(LAST_DIR, "");
        if (!last.isEmpty() && Files.isDirectory(Path.of(last))) {
            set.accept(new File(last));
        }
    }
}
