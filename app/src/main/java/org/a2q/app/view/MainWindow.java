package org.a2q.app.view;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Separator;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.SplitMenuButton;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToolBar;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.Window;
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
import org.a2q.app.vm.TrainViewModel;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.controlsfx.control.StatusBar;
import org.jfree.chart.JFreeChart;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/**
 * The main window's content: toolbar, workflow navigation, the current view and the status bar.
 * Views are built on first visit, so start-up only pays for the Model view.
 */
public final class MainWindow extends BorderPane {
    private final SessionViewModel session;
    private final ModelViewModel modelVm;
    private final DataViewModel dataVm;
    private final TrainViewModel trainVm;
    private final BoundExplorerViewModel learnVm;
    private final BitWidthsViewModel bitsVm;
    private final BudgetsViewModel budgetsVm;
    private final MacArrayViewModel macVm;
    private final ErrorViewModel errorVm;
    private final TradeOffsViewModel tradeVm;
    private final ThemeManager theme;
    private final Settings settings;
    private final ExportViewModel exports;
    private final RecentFiles recent;
    /** The dialogs actually shown; views get {@link #choosers}, which always asks this one. */
    private FileChoosers fileChoosers;
    private final FileChoosers choosers = new FileChoosers() {
        @Override
        public Optional<Path> open(String title, String what, List<String> patterns) {
            return fileChoosers.open(title, what, patterns);
        }

        @Override
        public Optional<Path> save(String title, String initialName, String what, String pattern) {
            return fileChoosers.save(title, initialName, what, pattern);
        }

        @Override
        public Optional<Path> folder(String title) {
            return fileChoosers.folder(title);
        }
    };
    private final ListView<NavItem> nav = new ListView<>();
    private final StackPane content = new StackPane();
    private final Map<NavItem, Node> views = new EnumMap<>(NavItem.class);
    private TrainView trainView;

    public MainWindow(SessionViewModel session, ModelViewModel modelVm, DataViewModel dataVm, TrainViewModel trainVm,
                      BoundExplorerViewModel learnVm, BitWidthsViewModel bitsVm, BudgetsViewModel budgetsVm,
                      MacArrayViewModel macVm, ErrorViewModel errorVm, TradeOffsViewModel tradeVm, ThemeManager theme,
                      Settings settings, ExportViewModel exports, RecentFiles recent) {
        this.exports = exports;
        this.recent = recent;
        this.fileChoosers = new FxFileChoosers(this::window, settings);
        this.macVm = macVm;
        this.errorVm = errorVm;
        this.tradeVm = tradeVm;
        this.bitsVm = bitsVm;
        this.budgetsVm = budgetsVm;
        this.session = session;
        this.modelVm = modelVm;
        this.dataVm = dataVm;
        this.trainVm = trainVm;
        this.learnVm = learnVm;
        this.theme = theme;
        this.settings = settings;

        nav.setId("navigation");
        nav.getStyleClass().add("nav-list");
        nav.getItems().setAll(NavItem.values());
        nav.setCellFactory(l -> new NavCell());
        nav.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                show(b);
            }
        });

        setTop(toolbar());
        setLeft(nav);
        setCenter(content);
        setBottom(statusBar());
    }

    /** Switches to a view, as a click in the navigation does. */
    public void select(NavItem item) {
        nav.getSelectionModel().select(item);
    }

    public NavItem selected() {
        return nav.getSelectionModel().getSelectedItem();
    }

    /** Replaces the file dialogs, e.g. with fixed answers in a headless test. */
    public void setFileChoosers(FileChoosers c) {
        fileChoosers = c;
    }

    private void show(NavItem item) {
        Node v = views.computeIfAbsent(item, this::build);
        content.getChildren().setAll(v);
        settings.put("view", item.name());
    }

    private Node build(NavItem item) {
        return switch (item) {
            case MODEL -> new ModelView(modelVm, session, this::openModel);
            case DATA -> new DataView(dataVm, session, this::openDataFolder);
            case TRAIN -> trainView = new TrainView(trainVm, session, theme, this::saveRun);
            case LEARN -> new LearnView(learnVm);
            case BIT_WIDTHS -> new BitWidthsView(bitsVm, session);
            case BUDGETS -> new BudgetsView(budgetsVm, theme);
            case MAC_ARRAY -> new MacArrayView(macVm, exports, session, choosers, theme);
            case ERROR -> new ErrorView(errorVm, theme, () -> select(NavItem.BIT_WIDTHS));
            case TRADE_OFFS -> new TradeOffsView(tradeVm, theme, this::chooseSweepFolder);
        };
    }

    private ToolBar toolbar() {
        SplitMenuButton open = new SplitMenuButton();
        open.setText("Open…");
        open.setGraphic(new FontIcon(Material2AL.FOLDER_OPEN));
        open.setId("openRunButton");
        Ui.tip(open, "Open a saved run (.a2q: model, weights and training history) or a float ONNX model. "
                + "The arrow lists the files opened lately.");
        open.setOnAction(e -> openModel());
        recentMenu(open);
        recent.files().addListener((javafx.collections.ListChangeListener<Path>) c -> recentMenu(open));
        Button data = new Button("Open data…", new FontIcon(Material2AL.IMAGE));
        Ui.tip(data, "Open a folder of IDX image files (MNIST layout).");
        data.setOnAction(e -> openDataFolder());
        Button save = new Button("Save run…", new FontIcon(Material2MZ.SAVE));
        Ui.tip(save, "Save the model, optimizer state and training history as one .a2q file.");
        save.setOnAction(e -> saveRun());
        for (javafx.scene.control.ButtonBase b : List.of(open, data, save)) {
            b.disableProperty().bind(session.runner().busyProperty());
        }

        MenuItem layers = new MenuItem("Layer table (CSV)…");
        layers.setOnAction(e -> chooseSave("Export the layer table", "layers.csv", "CSV", "*.csv")
                .ifPresent(modelVm::exportCsv));
        MenuItem metrics = new MenuItem("Training metrics (CSV)…");
        metrics.setOnAction(e -> chooseSave("Export the training metrics", "metrics.csv", "CSV", "*.csv")
                .ifPresent(session::exportMetrics));
        MenuItem charts = new MenuItem("Training charts (PNG)…");
        charts.setOnAction(e -> exportCharts());
        // The model-level hardware exports; the MAC array view has these and the folding/trace ones.
        MenuItem intModel = new MenuItem("Integer model (JSON)…");
        intModel.setOnAction(e -> choosers.save("Export the integer model", "integer-model.json", "JSON", "*.json")
                .ifPresent(exports::exportIntegerModel));
        MenuItem golden = new MenuItem("Golden vectors (JSON)…");
        golden.setOnAction(e -> choosers.save("Export golden vectors", "golden.json", "JSON", "*.json")
                .ifPresent(exports::exportGoldenVectors));
        MenuItem qonnx = new MenuItem("QONNX for FINN…");
        qonnx.setOnAction(e -> choosers.save("Export QONNX", "model.qonnx.onnx", "ONNX", "*.onnx")
                .ifPresent(f -> exports.exportOnnx(f, QuantizedOnnxExporter.Style.QONNX)));
        MenuItem qcdq = new MenuItem("Quantized ONNX (QCDQ)…");
        qcdq.setOnAction(e -> choosers.save("Export QCDQ ONNX", "model.qcdq.onnx", "ONNX", "*.onnx")
                .ifPresent(f -> exports.exportOnnx(f, QuantizedOnnxExporter.Style.QCDQ)));
        for (MenuItem m : List.of(intModel, golden, qonnx, qcdq)) {
            m.disableProperty().bind(session.quantConfigProperty().isNull());
        }
        MenuButton export = new MenuButton("Export", new FontIcon(Material2AL.FILE_UPLOAD), layers, metrics, charts,
                new SeparatorMenuItem(), intModel, golden, qonnx, qcdq);
        export.setId("exportMenu");
        export.disableProperty().bind(session.runner().busyProperty());

        Button smaller = new Button("A−");
        smaller.setId("textSmaller");
        smaller.setOnAction(e -> theme.step(-1));
        Button bigger = new Button("A+");
        bigger.setId("textBigger");
        bigger.setOnAction(e -> theme.step(1));
        Label scale = new Label();
        scale.setId("textScale");
        scale.textProperty().bind(Bindings.createStringBinding(
                () -> String.format(Locale.ROOT, "%.0f %%", 100 * theme.fontScaleProperty().get()),
                theme.fontScaleProperty()));
        scale.setMinWidth(44);
        scale.setAlignment(Pos.CENTER);
        Ui.tip(smaller, "Smaller text");
        Ui.tip(bigger, "Larger text (for a projector)");
        HBox size = new HBox(2, smaller, scale, bigger);
        size.setAlignment(Pos.CENTER);

        ToggleButton dark = new ToggleButton();
        dark.setId("darkTheme");
        dark.selectedProperty().bindBidirectional(theme.darkProperty());
        dark.graphicProperty().bind(Bindings.createObjectBinding(() -> new FontIcon(
                dark.isSelected() ? Material2MZ.WB_SUNNY : Material2MZ.NIGHTS_STAY), dark.selectedProperty()));
        dark.textProperty().bind(Bindings.when(dark.selectedProperty()).then("Light").otherwise("Dark"));
        Ui.tip(dark, "Switch between the light and the dark theme");

        return new ToolBar(open, data, save, export, Ui.hgrow(), new Label("Text"), size,
                new Separator(javafx.geometry.Orientation.VERTICAL), dark);
    }

    private StatusBar statusBar() {
        StatusBar bar = new StatusBar();
        bar.setId("statusBar");
        bar.textProperty().bind(session.runner().messageProperty());
        bar.progressProperty().bind(session.runner().progressProperty());
        Button cancel = new Button("Cancel", new FontIcon(Material2AL.CANCEL));
        cancel.setId("statusCancel");
        cancel.getStyleClass().add("small");
        cancel.setOnAction(e -> session.runner().cancelCurrent());
        cancel.visibleProperty().bind(session.runner().cancellableProperty());
        cancel.managedProperty().bind(cancel.visibleProperty());
        Label data = new Label();
        data.getStyleClass().add("muted");
        data.textProperty().bind(session.dataSourceProperty());
        bar.getRightItems().addAll(cancel, new Separator(javafx.geometry.Orientation.VERTICAL), data);
        return bar;
    }

    private void openModel() {
        choosers.open("Open a model or a saved run", "Runs and ONNX models", List.of("*.a2q", "*.onnx"))
                .ifPresent(modelVm::open);
    }

    /** The open button's drop-down: recent files, newest first, then a way to forget them. */
    private void recentMenu(SplitMenuButton open) {
        List<MenuItem> items = new java.util.ArrayList<>();
        List<Path> files = recent.files();
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            Path parent = f.getParent();
            MenuItem item = new MenuItem(f.getFileName() + (parent == null ? "" : "  —  " + parent));
            item.setId("recentFile" + i);
            item.setMnemonicParsing(false); // underscores in file names are not shortcuts
            item.setOnAction(e -> openRecent(f));
            items.add(item);
        }
        if (items.isEmpty()) {
            MenuItem none = new MenuItem("No recent files");
            none.setDisable(true);
            items.add(none);
        } else {
            MenuItem clear = new MenuItem("Clear recent files");
            clear.setId("clearRecentFiles");
            clear.setOnAction(e -> recent.clear());
            items.add(new SeparatorMenuItem());
            items.add(clear);
        }
        open.getItems().setAll(items);
    }

    private void openRecent(Path file) {
        if (!Files.exists(file)) {
            recent.remove(file);
            session.errors().report("Cannot open " + file.getFileName(), file + " no longer exists: it was moved, "
                    + "renamed or deleted. It has been taken off the recent files; use Open… to find it.");
            return;
        }
        modelVm.open(file);
    }

    private void openDataFolder() {
        choosers.folder("Open a folder of IDX files").ifPresent(dataVm::openFolder);
    }

    private File chooseSweepFolder() {
        return choosers.folder("Open a sweep folder (with results.csv)").map(Path::toFile).orElse(null);
    }

    private void saveRun() {
        String name = session.modelNameProperty().get().isEmpty() ? "run" : session.modelNameProperty().get();
        chooseSave("Save the run", name + SessionViewModel.RUN_EXTENSION, "A2Q runs", "*.a2q")
                .ifPresent(session::saveRun);
    }

    private void exportCharts() {
        if (trainView == null) {
            trainView = (TrainView) views.computeIfAbsent(NavItem.TRAIN, this::build);
        }
        chooseSave("Export the training charts (one PNG per chart)", "training.png", "PNG images", "*.png")
                .ifPresent(p -> {
                    String base = p.getFileName().toString().replaceFirst("(?i)\\.png$", "");
                    List<String> names = List.of("loss", "accuracy", "throughput");
                    List<JFreeChart> cs = trainView.charts();
                    try {
                        for (int i = 0; i < cs.size(); i++) {
                            Charts.savePng(cs.get(i), p.resolveSibling(base + "-" + names.get(i) + ".png"), 1000, 600);
                        }
                        session.runner().setOutcome("exported " + cs.size() + " charts as " + base + "-*.png");
                    } catch (RuntimeException ex) {
                        session.errors().report("Could not export the charts",
                                org.a2q.app.vm.UserMessages.describe(ex));
                    }
                });
    }

    private Optional<Path> chooseSave(String title, String initialName, String what, String pattern) {
        return choosers.save(title, initialName, what, pattern);
    }

    private Window window() {
        return getScene() == null ? null : getScene().getWindow();
    }

    /** Navigation entry: icon, name, and a quiet "soon" for views that wait for the quantizers. */
    private static final class NavCell extends ListCell<NavItem> {
        @Override
        protected void updateItem(NavItem item, boolean empty) {
            super.updateItem(item, empty);
            if (empty || item == null) {
                setGraphic(null);
                setText(null);
                return;
            }
            FontIcon icon = new FontIcon(item.icon());
            icon.setIconSize(18);
            Label title = new Label(item.title());
            title.getStyleClass().add("nav-title");
            HBox row = new HBox(10, icon, title);
            row.setAlignment(Pos.CENTER_LEFT);
            setGraphic(new VBox(row));
            setText(null);
        }
    }
}
