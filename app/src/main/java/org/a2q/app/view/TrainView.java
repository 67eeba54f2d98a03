package org.a2q.app.view;

import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.geometry.HPos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.RowConstraints;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.app.vm.TrainViewModel;
import org.a2q.engine.train.Optimizer;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.fx.ChartViewer;
import org.kordamp.ikonli.material2.Material2MZ;

/** Train view: settings on the left, live curves on the right. */
final class TrainView extends BorderPane {
    private final List<JFreeChart> charts;

    TrainView(TrainViewModel vm, SessionViewModel session, ThemeManager theme, Runnable saveRun) {
        getStyleClass().add("view");

        Spinner<Integer> epochs = new Spinner<>(1, 500, vm.epochsProperty().get());
        epochs.setId("epochs");
        epochs.setEditable(true);
        epochs.getValueFactory().valueProperty().addListener((o, a, b) -> vm.epochsProperty().set(b));
        // Two-way: settings changed from code (restored settings, the screenshot tour) must show here too.
        vm.epochsProperty().addListener((o, a, b) -> epochs.getValueFactory().setValue(b.intValue()));
        Spinner<Integer> batch = new Spinner<>(1, 4096, vm.batchSizeProperty().get(), 16);
        batch.setId("batchSize");
        batch.setEditable(true);
        batch.getValueFactory().valueProperty().addListener((o, a, b) -> vm.batchSizeProperty().set(b));
        vm.batchSizeProperty().addListener((o, a, b) -> batch.getValueFactory().setValue(b.intValue()));
        TextField lr = new TextField();
        lr.setId("learningRate");
        lr.textProperty().bindBidirectional(vm.learningRateProperty());
        Ui.tip(lr, "Starting learning rate; it follows a cosine schedule down to zero over the run. "
                + "Typical: 0.001 for Adam, 0.05 for SGD with momentum.");
        ChoiceBox<Optimizer.Kind> opt = new ChoiceBox<>();
        opt.getItems().setAll(Optimizer.Kind.values());
        opt.valueProperty().bindBidirectional(vm.optimizerProperty());
        opt.setConverter(new StringConverter<>() {
            @Override
            public String toString(Optimizer.Kind k) {
                return k == null ? "" : k == Optimizer.Kind.ADAM ? "Adam" : "SGD (momentum 0.9)";
            }

            @Override
            public Optimizer.Kind fromString(String s) {
                return null;
            }
        });
        CheckBox quick = new CheckBox("Quick run: stop each epoch after");
        quick.setId("quickRun");
        quick.selectedProperty().bindBidirectional(vm.quickRunProperty());
        Spinner<Integer> quickBatches = new Spinner<>(1, 100_000, vm.quickBatchesProperty().get(), 10);
        quickBatches.setId("quickBatches");
        quickBatches.setEditable(true);
        quickBatches.setPrefWidth(100);
        quickBatches.getValueFactory().valueProperty().addListener((o, a, b) -> vm.quickBatchesProperty().set(b));
        vm.quickBatchesProperty().addListener((o, a, b) -> quickBatches.getValueFactory().setValue(b.intValue()));
        quickBatches.disableProperty().bind(quick.selectedProperty().not());

        GridPane form = new GridPane();
        form.setHgap(10);
        form.setVgap(8);
        ColumnConstraints labelCol = new ColumnConstraints();
        labelCol.setHalignment(HPos.RIGHT);
        labelCol.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE); // never "Epo…": labels keep their width
        ColumnConstraints fieldCol = new ColumnConstraints();
        fieldCol.setHgrow(Priority.ALWAYS);
        fieldCol.setMinWidth(80);
        form.getColumnConstraints().addAll(labelCol, fieldCol);
        form.addRow(0, new Label("Epochs"), epochs);
        form.addRow(1, new Label("Batch size"), batch);
        form.addRow(2, new Label("Learning rate"), lr);
        form.addRow(3, new Label("Optimizer"), opt);
        form.add(quick, 0, 4, 2, 1);
        form.add(Ui.row(quickBatches, new Label("batches")), 0, 5, 2, 1);
        for (var n : List.of(epochs, batch, lr, opt)) {
            n.setMaxWidth(Double.MAX_VALUE);
            GridPane.setHgrow(n, Priority.ALWAYS);
        }
        form.disableProperty().bind(vm.runningProperty());

        Button start = new Button("Start training", Ui.icon(Material2MZ.PLAY_ARROW));
        start.setId("startTraining");
        start.getStyleClass().add("accent");
        start.setDefaultButton(false);
        start.setOnAction(e -> vm.start());
        start.disableProperty().bind(vm.runningProperty());
        start.setMaxWidth(Double.MAX_VALUE);
        Button cancel = new Button("Cancel", Ui.icon(Material2MZ.STOP));
        cancel.setId("cancelTraining");
        cancel.setOnAction(e -> vm.cancel());
        cancel.disableProperty().bind(vm.runningProperty().not());
        cancel.setMaxWidth(Double.MAX_VALUE);
        Button save = new Button("Save run…", Ui.icon(Material2MZ.SAVE));
        save.setId("saveRun");
        save.setOnAction(e -> saveRun.run());
        save.disableProperty().bind(session.runner().busyProperty());
        save.setMaxWidth(Double.MAX_VALUE);

        ProgressBar bar = new ProgressBar();
        bar.setId("trainProgress");
        bar.progressProperty().bind(vm.progressProperty());
        bar.setMaxWidth(Double.MAX_VALUE);
        Label progressText = Ui.wrapping("", "muted");
        progressText.setId("trainProgressText");
        progressText.textProperty().bind(vm.progressTextProperty());
        Label result = Ui.wrapping("", "card-title");
        result.setId("trainResult");
        result.textProperty().bind(vm.resultTextProperty());
        result.visibleProperty().bind(Bindings.isNotEmpty(vm.resultTextProperty()));
        result.managedProperty().bind(result.visibleProperty());

        Label model = Ui.wrapping("", "muted");
        model.textProperty().bind(Bindings.concat("Model: ", session.modelSourceProperty(), "\nWeights: ",
                session.quantSummaryProperty()));
        VBox settings = Ui.card("Settings", model, form);
        VBox actions = Ui.card("Run", start, cancel, bar, progressText, result, save);
        VBox left = new VBox(Ui.GAP, settings, actions);
        left.setPrefWidth(290);
        left.setMinWidth(260);

        JFreeChart loss = Charts.lines("Loss", "epoch", "cross-entropy", List.of(
                new Charts.Curve("batch loss", Charts.BLUE, false, true),
                new Charts.Curve("smoothed", Charts.BLUE, false, false)), List.of(vm.loss(), vm.smoothedLoss()));
        JFreeChart acc = Charts.lines("Accuracy", "epoch", "%", List.of(
                new Charts.Curve("train (smoothed batches)", Charts.ORANGE, false, true),
                new Charts.Curve("train (epoch)", Charts.ORANGE, true, false),
                new Charts.Curve("test (epoch)", Charts.GREEN, true, false)),
                List.of(vm.smoothedBatchAccuracy(), vm.trainAccuracy(), vm.testAccuracy()));
        JFreeChart speed = Charts.lines("Throughput", "epoch", "images/s", List.of(
                new Charts.Curve("images/s (smoothed)", Charts.PURPLE, false, false)), List.of(vm.imagesPerSecond()));
        charts = List.of(loss, acc, speed);

        GridPane plots = new GridPane();
        plots.setHgap(Ui.GAP);
        plots.setVgap(Ui.GAP);
        ColumnConstraints half = new ColumnConstraints();
        half.setPercentWidth(50);
        plots.getColumnConstraints().addAll(half, half);
        RowConstraints rowC = new RowConstraints();
        rowC.setPercentHeight(50);
        plots.getRowConstraints().addAll(rowC, rowC);
        ChartViewer lossViewer = viewer(loss, "lossChart");
        ChartViewer accViewer = viewer(acc, "accuracyChart");
        ChartViewer speedViewer = viewer(speed, "speedChart");
        plots.add(lossViewer, 0, 0, 2, 1);
        plots.add(accViewer, 0, 1);
        plots.add(speedViewer, 1, 1);

        theme.darkProperty().addListener((o, a, b) -> restyle(theme));
        theme.fontScaleProperty().addListener((o, a, b) -> restyle(theme));
        restyle(theme);

        BorderPane body = new BorderPane();
        body.setLeft(left);
        body.setCenter(plots);
        BorderPane.setMargin(plots, new javafx.geometry.Insets(0, 0, 0, Ui.GAP));
        setTop(Ui.header("Train", "Trains the current model on the current data: float training, or "
                + "quantization-aware training once Bit widths has quantized it. The curves update live; Cancel "
                + "stops after the current batch and keeps the weights trained so far."));
        setCenter(body);
    }

    /** The live charts, for export. */
    List<JFreeChart> charts() {
        return charts;
    }

    private void restyle(ThemeManager theme) {
        for (JFreeChart c : charts) {
            Charts.style(c, theme.darkProperty().get(), theme.fontScaleProperty().get());
        }
    }

    private static ChartViewer viewer(JFreeChart chart, String id) {
        ChartViewer v = new ChartViewer(chart);
        v.setId(id);
        v.setMinSize(200, 150);
        return v;
    }
}
