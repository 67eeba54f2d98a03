package org.a2q.app;

import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.StringProperty;
import javafx.geometry.Rectangle2D;
import javafx.scene.Scene;
import javafx.stage.Screen;
import javafx.stage.Stage;
import org.a2q.app.view.ErrorDialogs;
import org.a2q.app.view.MainWindow;
import org.a2q.app.view.NavItem;
import org.a2q.app.view.ThemeManager;
import org.a2q.app.vm.BitWidthsViewModel;
import org.a2q.app.vm.BoundExplorerViewModel;
import org.a2q.app.vm.BudgetsViewModel;
import org.a2q.app.vm.MacArrayViewModel;
import org.a2q.app.vm.DataViewModel;
import org.a2q.app.vm.ErrorViewModel;
import org.a2q.app.vm.ExportViewModel;
import org.a2q.app.vm.RecentFiles;
import org.a2q.app.vm.TradeOffsViewModel;
import org.a2q.app.vm.ModelViewModel;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.app.vm.Settings;
import org.a2q.app.vm.TaskRunner;
import org.a2q.app.vm.TrainViewModel;
import org.a2q.engine.train.Optimizer;

/**
 * Wires view-models, views and settings together and opens the window on the bundled sample
 * (LeNet and the Fashion-MNIST subset), so a first-time user sees a real model at once.
 * The application and the UI tests both start the workbench through here.
 */
public final class Workbench {
    public static final double DEFAULT_WIDTH = 1280;
    public static final double DEFAULT_HEIGHT = 820;

    private final Stage stage;
    private final Settings settings;
    private final ErrorDialogs errors;
    private final TaskRunner runner;
    private final SessionViewModel session;
    private final ModelViewModel model;
    private final DataViewModel data;
    private final TrainViewModel train;
    private final BoundExplorerViewModel learn;
    private final BitWidthsViewModel bits;
    private final BudgetsViewModel budgets;
    private final MacArrayViewModel mac;
    private final ErrorViewModel error;
    private final TradeOffsViewModel tradeOffs;
    private final ExportViewModel exports;
    private final RecentFiles recent;
    private final ThemeManager theme;
    private final MainWindow window;

    private Workbench(Stage stage, Settings settings) {
        this.stage = stage;
        this.settings = settings;
        errors = new ErrorDialogs(stage);
        runner = new TaskRunner(errors);
        session = new SessionViewModel(runner, errors);
        model = new ModelViewModel(session);
        data = new DataViewModel(session);
        train = new TrainViewModel(session, Platform::runLater);
        learn = new BoundExplorerViewModel();
        bits = new BitWidthsViewModel(session);
        budgets = new BudgetsViewModel(session);
        mac = new MacArrayViewModel(session);
        error = new ErrorViewModel(session);
        tradeOffs = new TradeOffsViewModel(session);
        exports = new ExportViewModel(session, mac);
        recent = new RecentFiles(settings);
        session.setOnModelOpened(recent::add);
        theme = new ThemeManager(settings.getBoolean("theme.dark", false), settings.getDouble("theme.fontScale", 1.0));
        restoreAndRemember();
        window = new MainWindow(session, model, data, train, learn, bits, budgets, mac, error, tradeOffs, theme,
                settings, exports, recent);
    }

    /** Opens the workbench in the given stage and starts loading the bundled sample. */
    public static Workbench open(Stage stage, Settings settings) {
        Workbench w = new Workbench(stage, settings);
        w.errors.installAsUncaughtHandler();
        Scene scene = new Scene(w.window, settings.getDouble("window.width", DEFAULT_WIDTH),
                settings.getDouble("window.height", DEFAULT_HEIGHT));
        w.theme.attach(scene);
        stage.setTitle("A2Q Workbench");
        stage.setScene(scene);
        w.placeWindow();
        stage.setOnHidden(e -> w.saveWindow());
        NavItem first;
        try {
            first = NavItem.valueOf(settings.get("view", NavItem.MODEL.name()));
        } catch (IllegalArgumentException e) {
            first = NavItem.MODEL;
        }
        w.window.select(first);
        stage.show();
        // Start with keyboard focus in the navigation, not on whichever toolbar button comes first.
        Platform.runLater(() -> w.window.lookup("#navigation").requestFocus());
        w.session.loadBuiltIn("lenet", 0);
        w.session.loadSampleData();
        w.tradeOffs.openBundled();
        return w;
    }

    public Stage stage() { return stage; }
    public MainWindow window() { return window; }
    public TaskRunner runner() { return runner; }
    public SessionViewModel session() { return session; }
    public ModelViewModel model() { return model; }
    public DataViewModel data() { return data; }
    public TrainViewModel train() { return train; }
    public BoundExplorerViewModel learn() { return learn; }
    public BitWidthsViewModel bits() { return bits; }
    public BudgetsViewModel budgets() { return budgets; }
    public MacArrayViewModel mac() { return mac; }
    public ErrorViewModel error() { return error; }
    public TradeOffsViewModel tradeOffs() { return tradeOffs; }
    public ExportViewModel exports() { return exports; }
    public RecentFiles recent() { return recent; }
    public ThemeManager theme() { return theme; }
    public ErrorDialogs errors() { return errors; }

    /** Last session's settings in, every later change out: the user never has to save settings. */
    private void restoreAndRemember() {
        theme.darkProperty().addListener((o, a, b) -> settings.putBoolean("theme.dark", b));
        theme.fontScaleProperty().addListener((o, a, b) -> settings.putDouble("theme.fontScale", b.doubleValue()));

        remember("train.epochs", train.epochsProperty());
        remember("train.batch", train.batchSizeProperty());
        remember("train.quickBatches", train.quickBatchesProperty());
        remember("train.quick", train.quickRunProperty());
        remember("train.lr", train.learningRateProperty());
        try {
            train.optimizerProperty().set(Optimizer.Kind.valueOf(settings.get("train.optimizer", "ADAM")));
        } catch (IllegalArgumentException e) {
            train.optimizerProperty().set(Optimizer.Kind.ADAM);
        }
        train.optimizerProperty().addListener((o, a, b) -> settings.put("train.optimizer", b.name()));

        remember("learn.n", learn.inputBitsProperty());
        remember("learn.m", learn.weightBitsProperty());
        remember("learn.p", learn.accBitsProperty());
        remember("learn.k", learn.dotLengthProperty());
        remember("learn.signed", learn.signedInputsProperty());
        remember("learn.weights", learn.weightsTextProperty());
    }

    private void remember(String key, IntegerProperty p) {
        p.set(settings.getInt(key, p.get()));
        p.addListener((o, a, b) -> settings.putInt(key, b.intValue()));
    }

    private void remember(String key, BooleanProperty p) {
        p.set(settings.getBoolean(key, p.get()));
        p.addListener((o, a, b) -> settings.putBoolean(key, b));
    }

    private void remember(String key, StringProperty p) {
        p.set(settings.get(key, p.get()));
        p.addListener((o, a, b) -> settings.put(key, b == null ? "" : b));
    }

    /** Restores the last position only if it is still on a screen (monitors come and go). */
    private void placeWindow() {
        double x = settings.getDouble("window.x", Double.NaN);
        double y = settings.getDouble("window.y", Double.NaN);
        if (!Double.isNaN(x) && !Double.isNaN(y)
                && !Screen.getScreensForRectangle(new Rectangle2D(x, y, 100, 100)).isEmpty()) {
            stage.setX(x);
            stage.setY(y);
        }
        stage.setMaximized(settings.getBoolean("window.maximized", false));
    }

    private void saveWindow() {
        settings.putBoolean("window.maximized", stage.isMaximized());
        if (!stage.isMaximized() && stage.getScene() != null) {
            settings.putDouble("window.width", stage.getScene().getWidth());
            settings.putDouble("window.height", stage.getScene().getHeight());
            settings.putDouble("window.x", stage.getX());
            settings.putDouble("window.y", stage.getY());
        }
        settings.flush();
    }
}
