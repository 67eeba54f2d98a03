package org.a2q.app.view;

import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.a2q.app.vm.MacArrayViewModel;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.LaneOp;
import org.a2q.engine.hw.TraceStep;

/** MAC array view: one output's accumulation, step by step, as the hardware would do it. */
final class MacArrayView extends BorderPane {
    MacArrayView(MacArrayViewModel vm, SessionViewModel session) {
        getStyleClass().add("view");
        ChoiceBox<String> layer = new ChoiceBox<>();
        layer.setId("macLayer");
        layer.valueProperty().bindBidirectional(vm.layerProperty());
        Runnable refreshLayers = () -> {
            layer.getItems().setAll(vm.layers());
            if (vm.layerProperty().get() == null || !layer.getItems().contains(vm.layerProperty().get())) {
                session.reportsProperty().get().stream().filter(l -> l.method().constrained()).findFirst()
                        .ifPresent(l -> {
                            vm.layerProperty().set(l.name());
                            vm.accBitsProperty().set(l.accBits());
                        });
            }
        };
        session.reportsProperty().addListener((o, a, b) -> refreshLayers.run());
        refreshLayers.run();
        Spinner<Integer> ch = spinner("macChannel", 0, 4095, vm.channelProperty());
        Spinner<Integer> pe = spinner("macPe", 1, 4096, vm.peProperty());
        Spinner<Integer> simd = spinner("macSimd", 1, 4096, vm.simdProperty());
        Spinner<Integer> p = spinner("macP", 2, 32, vm.accBitsProperty());
        ChoiceBox<AccumulatorMode> mode = new ChoiceBox<>(FXCollections.observableArrayList(AccumulatorMode.values()));
        mode.setId("macMode");
        mode.valueProperty().bindBidirectional(vm.modeProperty());
        Ui.tip(mode, "WRAP: two's-complement wrap-around on overflow. SATURATE: clip at the range ends. "
                + "EXACT: an unbounded register, for reference.");
        Button run = new Button("Trace the adversarial input");
        run.setId("macRun");
        run.getStyleClass().add("accent");
        run.setMaxWidth(Double.MAX_VALUE);
        run.disableProperty().bind(session.runner().busyProperty());
        run.setOnAction(e -> vm.run());

        GridPane form = new GridPane();
        form.setHgap(8);
        form.setVgap(8);
        form.addRow(0, new Label("Layer"), layer);
        form.addRow(1, new Label("Channel"), ch);
        form.addRow(2, new Label("PE"), pe);
        form.addRow(3, new Label("SIMD"), simd);
        form.addRow(4, new Label("Accumulator P"), p);
        form.addRow(5, new Label("On overflow"), mode);
        javafx.scene.layout.ColumnConstraints labels = new javafx.scene.layout.ColumnConstraints();
        labels.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE); // "Accumulator P" was cut to "Accumulat…"
        form.getColumnConstraints().add(labels);
        VBox left = new VBox(Ui.GAP, Ui.card("Settings", form, run));
        left.setPrefWidth(290);
        left.setMinWidth(260);

        Label summary = Ui.wrapping("", "muted");
        summary.setId("macSummary");
        summary.textProperty().bind(vm.summaryProperty());
        TableView<TraceStep> table = new TableView<>();
        table.setId("macTrace");
        // Nine columns share the card's width, so Overflow stays on screen without scrolling.
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.setPlaceholder(Ui.wrapping("Quantize the model in Bit widths, then trace a channel.", "muted"));
        table.getColumns().add(col("Step", s -> Integer.toString(s.step()), 54));
        table.getColumns().add(col("Cycle", s -> Long.toString(s.cycle()), 60));
        table.getColumns().add(col("Lanes: q·x", s -> {
            StringBuilder b = new StringBuilder();
            for (LaneOp l : s.lanes()) {
                b.append(b.length() == 0 ? "" : "  ").append(l.weight()).append("·").append(l.input());
            }
            return b.toString();
        }, 190));
        table.getColumns().add(col("Σ lanes", s -> String.format(Locale.ROOT, "%,d", s.laneSum()), 70));
        table.getColumns().add(col("Exact Σ", s -> String.format(Locale.ROOT, "%,d", s.exactPartialSum()), 70));
        table.getColumns().add(col("Register", s -> String.format(Locale.ROOT, "%,d", s.register()), 72));
        TableColumn<TraceStep, String> bits = col("P-bit register", TraceStep::registerBits, 140);
        bits.setStyle("-fx-font-family: monospace;");
        table.getColumns().add(bits);
        table.getColumns().add(col("Bits", s -> Integer.toString(s.bitsInUse()), 46));
        table.getColumns().add(col("Overflow", s -> s.overflow() ? "overflow" : "", 80));
        table.setRowFactory(t -> new TableRow<>() {
            @Override
            protected void updateItem(TraceStep s, boolean empty) {
                super.updateItem(s, empty);
                setStyle(!empty && s != null && s.overflow() ? "-fx-background-color: -color-danger-muted;" : "");
            }
        });
        vm.traceProperty().addListener((o, a, b) -> table.getItems().setAll(b == null ? java.util.List.of() : b.steps()));
        VBox right = Ui.card("Accumulation, one row per cycle", summary, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        BorderPane body = new BorderPane();
        body.setLeft(left);
        body.setCenter(right);
        BorderPane.setMargin(right, new javafx.geometry.Insets(0, 0, 0, Ui.GAP));
        setTop(Ui.header("MAC array", "One output channel on the integer core: SIMD lanes multiply, the adder tree "
                + "sums, the P-bit register accumulates. The input is the one that drives this channel's sum highest. "
                + "Lower P below the layer's target to see where WRAP and SATURATE go wrong."));
        setCenter(body);
    }

    private static TableColumn<TraceStep, String> col(String title, Function<TraceStep, String> v, double w) {
        TableColumn<TraceStep, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(v.apply(d.getValue())));
        c.setSortable(false);
        c.setPrefWidth(w);
        return c;
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
