package org.a2q.app.view;

import javafx.beans.binding.Bindings;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.BitWidthsViewModel;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.engine.quant.AccumulatorBound;
import org.a2q.engine.quant.InitMode;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.QuantReport.LayerReport;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;

/** Bit widths view: the model-wide quantization settings and their per-layer consequences. */
final class BitWidthsView extends BorderPane {
    BitWidthsView(BitWidthsViewModel vm, SessionViewModel session) {
        getStyleClass().add("view");

        ChoiceBox<QuantMethod> method = new ChoiceBox<>();
        method.setId("quantMethod");
        method.getItems().setAll(BitWidthsViewModel.METHODS);
        method.valueProperty().bindBidirectional(vm.methodProperty());
        Ui.tip(method, "fp32: no quantization. qat: per-channel weight quantization, no accumulator guarantee. "
                + "a2q: ‖q‖₁ ≤ T_A2Q. a2q+: zero-centred weights, max(Pos, Neg) ≤ T₊/2 — about twice the budget.");
        Spinner<Integer> m = spinner("weightBits", AccumulatorBound.MIN_WEIGHT_BITS, AccumulatorBound.MAX_WEIGHT_BITS,
                vm.weightBitsProperty());
        Spinner<Integer> n = spinner("actBits", AccumulatorBound.MIN_INPUT_BITS, AccumulatorBound.MAX_INPUT_BITS,
                vm.actBitsProperty());
        Spinner<Integer> p = spinner("accBits", AccumulatorBound.MIN_ACCUMULATOR_BITS, 32, vm.accBitsProperty());
        ChoiceBox<InitMode> init = new ChoiceBox<>();
        init.setId("initMode");
        init.getItems().setAll(InitMode.values());
        init.valueProperty().bindBidirectional(vm.initProperty());
        Ui.tip(init, "EP: project the float weights onto the l1 ball of the budget (keeps more of them). "
                + "NAIVE: start from the float weights and let the clamp rescale them.");

        GridPane form = new GridPane();
        form.setHgap(8);
        form.setVgap(8);
        form.addRow(0, new Label("Method"), method);
        form.addRow(1, new Label("Weights M"), m);
        form.addRow(2, new Label("Inputs N"), n);
        form.addRow(3, new Label("Accumulator P"), p);
        form.addRow(4, new Label("Init"), init);
        javafx.scene.layout.ColumnConstraints labels = new javafx.scene.layout.ColumnConstraints();
        labels.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        form.getColumnConstraints().add(labels);
        for (javafx.scene.Node c : form.getChildren()) {
            if (c instanceof javafx.scene.control.Control ctl && !(c instanceof Label)) {
                ctl.setMaxWidth(Double.MAX_VALUE);
            }
        }

        Button apply = new Button("Apply to the model", new FontIcon(Material2AL.DONE));
        apply.setId("applyQuant");
        apply.getStyleClass().add("accent");
        apply.setMaxWidth(Double.MAX_VALUE);
        apply.disableProperty().bind(vm.canApplyProperty().not().or(session.runner().busyProperty()));
        apply.setOnAction(e -> vm.apply());
        Ui.tip(apply, "Quantizes the session's model with these settings and calibrates the activation scales on a "
                + "few training batches. Train then runs quantization-aware training on it.");
        Label applied = Ui.wrapping("", "muted");
        applied.textProperty().bind(Bindings.concat("Model weights: ", session.quantSummaryProperty()));

        Label budgets = Ui.wrapping("");
        budgets.setId("budgetText");
        budgets.textProperty().bind(vm.budgetTextProperty());
        Label warning = Ui.wrapping("", "warning-text");
        warning.setId("zeroBudgetWarning");
        warning.setStyle("-fx-text-fill: -color-danger-fg;");
        warning.textProperty().bind(vm.warningTextProperty());
        warning.visibleProperty().bind(Bindings.isNotEmpty(vm.warningTextProperty()));
        warning.managedProperty().bind(warning.visibleProperty());

        VBox left = new VBox(Ui.GAP, Ui.card("Settings", form), Ui.card("Apply", applied, apply));
        left.setPrefWidth(290);
        left.setMinWidth(260);

        Label status = Ui.wrapping("", "muted");
        status.setId("previewText");
        status.textProperty().bind(vm.previewTextProperty());
        TableView<LayerReport> table = LayerReportTable.create("bitWidthsTable", vm.preview(), false);
        VBox.setVgrow(table, javafx.scene.layout.Priority.ALWAYS);
        VBox right = Ui.card("Per layer", budgets, warning, status, table);
        VBox.setVgrow(right, javafx.scene.layout.Priority.ALWAYS);

        BorderPane body = new BorderPane();
        body.setLeft(left);
        body.setCenter(right);
        BorderPane.setMargin(right, new javafx.geometry.Insets(0, 0, 0, Ui.GAP));
        setTop(Ui.header("Bit widths", "Choose how weights, activations and accumulators are quantized. Every change "
                + "quantizes a copy of the current model and shows the engine's numbers per layer: budgets, channels "
                + "the constraint clips now, and the smallest accumulator each rule allows.", "bit-widths"));
        setCenter(body);
    }

    private static Spinner<Integer> spinner(String id, int min, int max, javafx.beans.property.IntegerProperty prop) {
        Spinner<Integer> s = new Spinner<>(min, max, prop.get());
        s.setId(id);
        s.setEditable(true);
        s.getValueFactory().valueProperty().addListener((o, a, b) -> prop.set(b));
        prop.addListener((o, a, b) -> s.getValueFactory().setValue(b.intValue()));
        return s;
    }
}
