package org.a2q.app.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.a2q.engine.EngineException;

/**
 * The Trade-offs view: the rows of a sweep's results.csv (written by {@code a2q sweep}), accuracy
 * against accumulator width per method, and opening a point's saved model into the session.
 */
public final class TradeOffsViewModel {
    /** The columns a results.csv must have, by name (their order may change between versions). */
    static final List<String> COLUMNS = List.of("method", "M", "N", "P", "init", "accuracy", "exact_width_needed",
            "channels_at_risk", "sparsity", "mean_budget_utilisation", "train_seconds", "run");

    /** One row of results.csv; {@code run} is the point's model file relative to the sweep folder. */
    public record Point(String method, int weightBits, int actBits, int accBits, String init, double accuracy,
                        int exactWidth, long channelsAtRisk, double sparsity, double meanUtilisation,
                        double trainSeconds, String run) {
        /**
         * Where the point sits on the width axis: the target P for the accumulator-aware methods;
         * plain QAT has no target (the sweep repeats it for every P), so it is drawn at the width
         * its trained weights actually need.
         */
        public int plotWidth() {
            return "qat".equalsIgnoreCase(method) ? exactWidth : accBits;
        }
    }

    private final SessionViewModel session;
    private final ObservableList<Point> points = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<Path> folder = new ReadOnlyObjectWrapper<>(this, "folder");
    private final ReadOnlyStringWrapper source = new ReadOnlyStringWrapper(this, "source", "No sweep opened.");
    private final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper(this, "message", "");

    public TradeOffsViewModel(SessionViewModel session) {
        this.session = session;
    }

    public ObservableList<Point> points() { return points; }
    public ReadOnlyObjectProperty<Path> folderProperty() { return folder.getReadOnlyProperty(); }
    /** One line naming the open sweep. */
    public ReadOnlyStringProperty sourceProperty() { return source.getReadOnlyProperty(); }
    /** The outcome of the last click on a point (opened, or why not). */
    public ReadOnlyStringProperty messageProperty() { return message.getReadOnlyProperty(); }

    /** The sweep shipped with the project, if this installation has it. */
    public static Path bundledSweep() {
        Path results = AppPaths.home().resolve("samples").resolve("results");
        if (!Files.isDirectory(results)) {
            return null;
        }
        try (Stream<Path> dirs = Files.list(results)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("results.csv"))).sorted().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** Opens the bundled sweep when there is one; quietly nothing otherwise. */
    public void openBundled() {
        Path p = bundledSweep();
        if (p != null) {
            openSweep(p);
        }
    }

    /** Reads a sweep folder's results.csv on the worker. */
    public void openSweep(Path dir) {
        Path csv = dir.resolve("results.csv");
        session.runner().submit("Opening sweep", false, p -> {
            if (!Files.isRegularFile(csv)) {
                throw new EngineException("The folder " + dir.getFileName() + " has no results.csv. Choose the "
                        + "output folder of a2q sweep.");
            }
            return parse(Files.readAllLines(csv, StandardCharsets.UTF_8));
        }, rows -> {
            folder.set(dir);
            points.setAll(rows);
            message.set("");
            long models = rows.stream().filter(r -> Files.isRegularFile(dir.resolve(r.run()))).count();
            source.set(String.format(Locale.ROOT, "%s — %d rows, %s", dir.getFileName(), rows.size(),
                    models == 0 ? "without model files (click a point to see why)"
                            : models + " of them with a model file to open"));
        });
    }

    /** Opens the point's model into the session, or says plainly why it cannot. */
    public void openPoint(Point p) {
        Path dir = folder.get();
        if (p == null || dir == null) {
            return;
        }
        Path model = dir.resolve(p.run()).normalize();
        if (!Files.isRegularFile(model)) {
            message.set(String.format(Locale.ROOT, "%s at P = %d: its model file %s is not present. Sweep results "
                    + "shipped with the project contain the table only; run a2q sweep yourself to get the models.",
                    p.method(), p.accBits(), p.run()));
            return;
        }
        message.set(String.format(Locale.ROOT, "Opening %s at P = %d (%s) into the session…", p.method(), p.accBits(),
                p.run()));
        session.openRun(model);
    }

    /** The rows of a results.csv; columns are found by their header names. */
    public static List<Point> parse(List<String> lines) {
        if (lines.isEmpty()) {
            throw new EngineException("results.csv is empty");
        }
        List<String> header = Arrays.stream(lines.get(0).split(",", -1)).map(String::trim).toList();
        int[] at = new int[COLUMNS.size()];
        for (int i = 0; i < at.length; i++) {
            at[i] = header.indexOf(COLUMNS.get(i));
            if (at[i] < 0) {
                throw new EngineException("results.csv has no column " + COLUMNS.get(i) + "; it has " + header);
            }
        }
        List<Point> out = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            try {
                out.add(new Point(f[at[0]].trim(), Integer.parseInt(f[at[1]].trim()), Integer.parseInt(f[at[2]].trim()),
                        Integer.parseInt(f[at[3]].trim()), f[at[4]].trim(), Double.parseDouble(f[at[5]].trim()),
                        Integer.parseInt(f[at[6]].trim()), Long.parseLong(f[at[7]].trim()),
                        Double.parseDouble(f[at[8]].trim()), Double.parseDouble(f[at[9]].trim()),
                        Double.parseDouble(f[at[10]].trim()), f[at[11]].trim()));
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new EngineException("results.csv line " + (n + 1) + " is malformed: " + line, e);
            }
        }
        return out;
    }
}
