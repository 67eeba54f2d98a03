package org.a2q.app.view;

import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.ModelViewModel;
import org.a2q.app.vm.ModelViewModel.LayerRow;
import org.a2q.app.vm.SessionViewModel;
import org.kordamp.ikonli.material2.Material2AL;

/** Model view: pick or open a model, see its layers and its float accuracy. */
final class ModelView extends BorderPane {
    ModelView(ModelViewModel vm, SessionViewModel session, Runnable openModel) {
        getStyleClass().add("view");

        ComboBox<String> picker = new ComboBox<>();
        picker.setId("modelPicker");
        picker.getItems().setAll(ModelViewModel.BUILT_IN);
        picker.setValue(session.modelNameProperty().get().isEmpty() ? null : session.modelNameProperty().get());
        picker.setPromptText("built-in model");
        session.modelNameProperty().addListener((o, a, b) -> picker.setValue(b.isEmpty() ? null : b));
        picker.setOnAction(e -> {
            if (picker.getValue() != null) {
                vm.selectBuiltIn(picker.getValue());
            }
        });
        Ui.tip(picker, "mlp: 784-256-128-10 · lenet: LeNet-5 (2 conv + 3 fc) · resnet: small ResNet with BatchNorm. "
                + "Picking one starts from fresh random weights.");
        Button open = new Button("Open run or ONNX…", Ui.icon(Material2AL.FOLDER_OPEN));
        Ui.tip(open, "A saved run (.a2q) with its training history, or a float ONNX model (opset 9–17).");
        open.setOnAction(e -> openModel.run());
        picker.disableProperty().bind(session.runner().busyProperty());
        open.disableProperty().bind(session.runner().busyProperty());

        Label source = Ui.label("", "muted");
        source.textProperty().bind(session.modelSourceProperty());
        HBox pick = Ui.row(Ui.label("Built-in model"), picker, open, Ui.hgrow(), source);

        Label summary = Ui.label("", "metric-value");
        summary.setId("modelSummary");
        summary.textProperty().bind(vm.summaryProperty());
        VBox structure = Ui.card("Structure", summary, Ui.wrapping(
                "K is the dot-product length of each output: what one accumulator sums. It sets the data-type "
                        + "bound and how much an accumulator budget constrains a layer (see Learn).", "metric-caption"));

        Label acc = Ui.label("—", "metric-value");
        acc.setId("fp32Accuracy");
        acc.textProperty().bind(vm.accuracyTextProperty());
        ProgressIndicator spin = new ProgressIndicator();
        spin.setPrefSize(22, 22);
        spin.visibleProperty().bind(vm.evaluatingProperty());
        Label accDetail = Ui.wrapping("", "metric-caption");
        accDetail.textProperty().bind(vm.accuracyDetailProperty());
        VBox accuracy = Ui.card("FP32 test accuracy", Ui.row(acc, spin), accDetail);

        HBox cards = new HBox(Ui.GAP, structure, accuracy);
        HBox.setHgrow(structure, Priority.ALWAYS);
        HBox.setHgrow(accuracy, Priority.ALWAYS);
        structure.setPrefWidth(520);
        accuracy.setPrefWidth(360);

        TableView<LayerRow> table = new TableView<>(vm.layers());
        table.setId("layerTable");
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.setPlaceholder(new Label("Loading the model…"));
        table.getColumns().add(column("#", 40, r -> Integer.toString(r.index()), true));
        table.getColumns().add(column("Layer", 140, LayerRow::name, false));
        table.getColumns().add(column("Op", 90, LayerRow::op, false));
        table.getColumns().add(column("Output shape", 120, LayerRow::outputShape, false));
        table.getColumns().add(column("K", 70, r -> r.dotProductLength() == 0 ? "—"
                : String.format(Locale.ROOT, "%,d", r.dotProductLength()), true));
        table.getColumns().add(column("Parameters", 100, r -> r.parameters() == 0 ? "—"
                : String.format(Locale.ROOT, "%,d", r.parameters()), true));
        table.getColumns().add(column("w min", 90, r -> stat(r, r.weightMin()), true));
        table.getColumns().add(column("w max", 90, r -> stat(r, r.weightMax()), true));
        table.getColumns().add(column("mean |w|", 90, r -> stat(r, r.weightMeanAbs()), true));
        VBox.setVgrow(table, Priority.ALWAYS);

        VBox body = new VBox(Ui.GAP, pick, cards, table);
        setTop(Ui.header("Model", "The network you will quantize: a built-in architecture, a saved run or an ONNX model. "
                + "Accuracy is measured in the background on the test images of the current data."));
        setCenter(body);
    }

    private static String stat(LayerRow r, double v) {
        return r.hasWeights() ? String.format(Locale.ROOT, "%.4f", v) : "—";
    }

    private static TableColumn<LayerRow, String> column(String title, double width, Function<LayerRow, String> f,
                                                        boolean right) {
        TableColumn<LayerRow, String> c = new TableColumn<>(title);
        c.setPrefWidth(width);
        c.setSortable(false);
        c.setCellValueFactory(d -> new ReadOnlyObjectWrapper<>(f.apply(d.getValue())));
        if (right) {
            c.setCellFactory(col -> {
                TableCell<LayerRow, String> cell = new TableCell<>() {
                    @Override
                    protected void updateItem(String item, boolean empty) {
                        super.updateItem(item, empty);
                        setText(empty ? null : item);
                    }
                };
                cell.setAlignment(Pos.CENTER_RIGHT);
                return cell;
            });
        }
        return c;
    }
}
