package org.a2q.app.view;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;
import org.a2q.app.vm.ExportViewModel;
import org.a2q.app.vm.MacArrayViewModel;
import org.a2q.app.vm.MacArrayViewModel.InputChoice;
import org.a2q.app.vm.MacArrayViewModel.Simulation;
import org.a2q.app.vm.SessionViewModel;
import org.a2q.engine.hw.LaneOp;
import org.a2q.engine.hw.TraceStep;
import org.a2q.engine.io.onnx.QuantizedOnnxExporter;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2MZ;

/**
 * MAC array view: one output's accumulation, cycle by cycle, as the hardware would do it, in a
 * wrapping and a saturating register at once; the hardware exports beside it.
 */
final class MacArrayView extends BorderPane {
    MacArrayView(MacArrayViewModel vm, ExportViewModel exports, SessionViewModel session, FileChoosers choosers,
                 ThemeManager theme) {
        getStyleClass().add("view");
        ChoiceBox<String> layer = new ChoiceBox<>();
        layer.setId("macLayer");
        Runnable refreshLayers = () -> {
            String keep = vm.layerProperty().get();
            layer.getItems().setAll(vm.layers());
            layer.setValue(keep);
        };
        layer.valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.layerProperty().set(b);
            }
        });
        vm.layerProperty().addListener((o, a, b) -> layer.setValue(b));
        session.reportsProperty().addListener((o, a, b) -> refreshLayers.run());
        refreshLayers.run();

        Spinner<Integer> ch = spinner("macChannel", 0, Math.max(0, vm.channelCountProperty().get() - 1), vm.channelProperty());
        vm.channelCountProperty().addListener((o, a, b) -> ((SpinnerValueFactory.IntegerSpinnerValueFactory)
                ch.getValueFactory()).setMax(Math.max(0, b.intValue() - 1)));
        ChoiceBox<Integer> pe = legalChoice("macPe", vm.legalPe(), vm.peProperty());
        Ui.tip(pe, "Processing elements: output channels computed in parallel, each with its own accumulator. "
                + "FINN needs PE to divide the layer's output channels.");
        ChoiceBox<Integer> simd = legalChoice("macSimd", vm.legalSimd(), vm.simdProperty());
        Ui.tip(simd, "SIMD lanes per PE: products summed by the adder tree each cycle, then added to the register "
                + "once. FINN needs SIMD to divide the dot-product length K.");
        Spinner<Integer> p = spinner("macP", 2, 32, vm.accBitsProperty());
        Ui.tip(p, "Width of the simulated registers. It starts at the width the layer was trained for; lower it to "
                + "see where wrap and saturate go wrong.");
        ChoiceBox<InputChoice> input = new ChoiceBox<>(FXCollections.observableArrayList(InputChoice.values()));
        input.setId("macInput");
        input.valueProperty().bindBidirectional(vm.inputProperty());
        Ui.tip(input, "Adversarial: the input that drives this channel's sum to its extreme (x_max where q > 0, "
                + "x_min where q < 0, or the reverse). Test image: the layer's real input for one image.");
        Spinner<Integer> image = spinner("macImage", 0, 0, vm.imageIndexProperty());
        Runnable imageRange = () -> ((SpinnerValueFactory.IntegerSpinnerValueFactory) image.getValueFactory())
                .setMax(session.data() == null ? 0 : session.data().test().size() - 1);
        session.dataProperty().addListener((o, a, b) -> imageRange.run());
        imageRange.run();
        Spinner<Integer> pixel = spinner("macPixel", -1, 1 << 20, vm.pixelProperty());
        pixel.getValueFactory().setConverter(new StringConverter<>() {
            @Override
            public String toString(Integer v) {
                return v == null || v < 0 ? "auto" : v.toString();
            }

            @Override
            public Integer fromString(String s) {
                try {
                    return s == null || s.isBlank() || s.strip().equalsIgnoreCase("auto") ? -1 : Integer.parseInt(s.strip());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        });
        Ui.tip(pixel, "Output pixel of a conv layer (each pixel is one dot product). auto: the pixel whose partial "
                + "sums reach furthest, the most interesting one to watch.");
        image.disableProperty().bind(vm.inputProperty().isNotEqualTo(InputChoice.TEST_IMAGE));
        pixel.disableProperty().bind(vm.inputProperty().isNotEqualTo(InputChoice.TEST_IMAGE));

        Button run = new Button("Trace", new FontIcon(Material2MZ.PLAY_ARROW));
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
        form.addRow(5, new Label("Input"), input);
        form.addRow(6, new Label("Test image"), image);
        form.addRow(7, new Label("Pixel"), pixel);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE); // "Accumulator P" was cut to "Accumulat…"
        form.getColumnConstraints().add(labels);
        for (var c : List.of(layer, input, pe, simd)) {
            c.setMaxWidth(Double.MAX_VALUE);
        }
        input.setPrefWidth(170);

        Button folding = exportButton("exportFolding", "Folding…", "FINN folding config (JSON): the PE × SIMD "
                + "above for every layer, each taking the largest legal values not above them", () -> choosers.save(
                "Export the FINN folding config", "folding.json", "JSON", "*.json")
                .ifPresent(exports::exportFoldingConfig));
        Button traces = exportButton("exportTraces", "Traces…", "The shown trace, wrap and saturate, each as CSV "
                + "(one row per lane per cycle) and JSON, into a folder", () -> choosers.folder(
                "Export the traces into a folder").ifPresent(exports::exportTraces));
        Button golden = exportButton("exportGolden", "Golden vectors…", "Golden vectors (JSON): input codes, "
                + "accumulators, output codes and logits of the first " + ExportViewModel.GOLDEN_IMAGES + " test images", () -> choosers.save(
                "Export golden vectors", "golden.json", "JSON", "*.json").ifPresent(exports::exportGoldenVectors));
        Button qonnx = exportButton("exportQonnx", "QONNX…", "QONNX for FINN: ONNX with Quant nodes; accumulator "
                + "widths in the metadata", () -> choosers.save("Export QONNX", "model.qonnx.onnx", "ONNX", "*.onnx")
                .ifPresent(f -> exports.exportOnnx(f, QuantizedOnnxExporter.Style.QONNX)));
        Button qcdq = exportButton("exportQcdq", "QCDQ ONNX…", "Standard ONNX with QuantizeLinear / Clip / "
                + "DequantizeLinear, for ONNX runtimes", () -> choosers.save("Export QCDQ ONNX", "model.qcdq.onnx",
                "ONNX", "*.onnx").ifPresent(f -> exports.exportOnnx(f, QuantizedOnnxExporter.Style.QCDQ)));
        Button intModel = exportButton("exportIntegerModel", "Integer model…", "Integer model (JSON): integer weights, "
                + "scales, accumulator widths and the graph", () -> choosers.save("Export the integer model",
                "integer-model.json", "JSON", "*.json").ifPresent(exports::exportIntegerModel));
        for (Button b : List.of(folding, golden, qonnx, qcdq, intModel)) {
            b.disableProperty().bind(session.runner().busyProperty().or(session.quantConfigProperty().isNull()));
        }
        // Traces export what the animation shows, so they wait for a trace.
        traces.disableProperty().bind(session.runner().busyProperty().or(vm.simulationProperty().isNull()));
        // Two columns with short names (the tooltips say what each file holds), so the settings and
        // the exports fit the default window without scrolling.
        GridPane exportGrid = new GridPane();
        exportGrid.setHgap(6);
        exportGrid.setVgap(6);
        exportGrid.addRow(0, folding, traces);
        exportGrid.addRow(1, qonnx, qcdq);
        exportGrid.addRow(2, golden, intModel);
        ColumnConstraints half = new ColumnConstraints();
        half.setPercentWidth(50);
        exportGrid.getColumnConstraints().addAll(half, half);
        VBox exportCard = Ui.card("Export for hardware", exportGrid);

        VBox leftBox = new VBox(Ui.GAP, Ui.card("Settings", form, run), exportCard);
        leftBox.setPadding(new Insets(0, 4, 0, 0));
        ScrollPane left = new ScrollPane(leftBox);
        left.setFitToWidth(true);
        left.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        left.getStyleClass().add("edge-to-edge");
        // Wider with larger text, so choices such as "Adversarial (max)" stay whole on a projector.
        left.prefWidthProperty().bind(theme.fontScaleProperty().multiply(115).add(240));
        left.setMinWidth(280);

        // Before the first trace: what to do next, which depends on whether the model is quantized yet.
        java.util.function.Supplier<String> idleText = () -> session.quantConfigProperty().get() == null
                ? "Quantize the model in Bit widths, then trace a channel."
                : "Pick a layer and channel, then press Trace to follow its dot product cycle by cycle.";
        Label summary = Ui.wrapping(idleText.get(), "muted");
        summary.setId("macSummary");
        vm.summaryProperty().addListener((o, a, b) -> summary.setText(b.isEmpty() ? idleText.get() : b));

        MacArrayAnimation animation = new MacArrayAnimation(vm);
        ScrollPane animationScroll = new ScrollPane(animation);
        animationScroll.setFitToWidth(true);
        animationScroll.getStyleClass().add("edge-to-edge");
        VBox animationCard = Ui.card(null, summary, animationScroll);
        VBox.setVgrow(animationScroll, Priority.ALWAYS);

        TableView<TraceStep> table = traceTable(vm);
        Label tablePlaceholder = Ui.wrapping(idleText.get(), "muted");
        table.setPlaceholder(tablePlaceholder);
        session.quantConfigProperty().addListener((o, a, b) -> {
            tablePlaceholder.setText(idleText.get());
            if (vm.summaryProperty().get().isEmpty()) {
                summary.setText(idleText.get());
            }
        });
        // Headers and numbers grow with the text; below these widths the table scrolls sideways.
        for (TableColumn<TraceStep, ?> c : table.getColumns()) {
            c.minWidthProperty().bind(theme.fontScaleProperty().multiply(c.getPrefWidth()));
        }
        VBox tableCard = Ui.card("Every cycle", table);
        VBox.setVgrow(table, Priority.ALWAYS);
        SplitPane right = new SplitPane(animationCard, tableCard);
        right.setOrientation(Orientation.VERTICAL);
        right.setDividerPositions(0.76);

        BorderPane body = new BorderPane();
        body.setLeft(left);
        body.setCenter(right);
        BorderPane.setMargin(right, new Insets(0, 0, 0, Ui.GAP));
        setTop(Ui.header("MAC array", "One output channel on the integer core: lanes multiply, the adder tree sums, "
                + "a P-bit register accumulates, once wrapping and once saturating. Lower P to see where they part.", "mac-array"));
        setCenter(body);
    }

    private static Button exportButton(String id, String text, String tip, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.setMaxWidth(Double.MAX_VALUE);
        Ui.tip(b, tip);
        b.setOnAction(e -> action.run());
        return b;
    }

    /** One row per cycle; the row of the animation's cycle is selected, and picking a row moves the animation. */
    private static TableView<TraceStep> traceTable(MacArrayViewModel vm) {
        TableView<TraceStep> table = new TableView<>();
        table.setId("macTrace");
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.getColumns().add(col("Step", s -> Integer.toString(s.step()), 48));
        table.getColumns().add(col("Cycle", s -> String.format(Locale.ROOT, "%,d", s.cycle()), 60));
        table.getColumns().add(col("Lanes: q·x", s -> {
            StringBuilder b = new StringBuilder();
            for (LaneOp l : s.lanes()) {
                b.append(b.length() == 0 ? "" : "  ").append(l.weight()).append("·").append(l.input());
            }
            return b.toString();
        }, 170));
        table.getColumns().add(col("Σ lanes", s -> String.format(Locale.ROOT, "%,d", s.laneSum()), 70));
        table.getColumns().add(col("Exact Σ", s -> String.format(Locale.ROOT, "%,d", s.exactPartialSum()), 76));
        table.getColumns().add(col("Wrap", s -> String.format(Locale.ROOT, "%,d", s.register()), 70));
        table.getColumns().add(col("Saturate", s -> {
            Simulation sim = vm.simulation();
            return sim == null ? "" : String.format(Locale.ROOT, "%,d", sim.saturate().steps().get(s.step()).register());
        }, 88));
        table.getColumns().add(col("Overflow", s -> {
            Simulation sim = vm.simulation();
            boolean w = s.overflow();
            boolean sat = sim != null && sim.saturate().steps().get(s.step()).overflow();
            return w && sat ? "both" : w ? "wrap" : sat ? "saturate" : "";
        }, 84));
        table.setRowFactory(t -> new TableRow<>() {
            @Override
            protected void updateItem(TraceStep s, boolean empty) {
                super.updateItem(s, empty);
                getStyleClass().remove("overflow-row");
                if (!empty && s != null && s.overflow()) {
                    getStyleClass().add("overflow-row");
                }
            }
        });
        boolean[] syncing = {false};
        vm.simulationProperty().addListener((o, a, b) -> {
            syncing[0] = true;
            table.getItems().setAll(b == null ? List.of() : b.wrap().steps());
            syncing[0] = false;
        });
        vm.cursorProperty().addListener((o, a, b) -> {
            syncing[0] = true;
            int c = b.intValue();
            if (c < 0) {
                table.getSelectionModel().clearSelection();
            } else {
                table.getSelectionModel().select(c);
                table.scrollTo(Math.max(0, c - 1));
            }
            syncing[0] = false;
        });
        table.getSelectionModel().selectedIndexProperty().addListener((o, a, b) -> {
            if (!syncing[0] && b.intValue() >= 0) {
                vm.seek(b.intValue());
            }
        });
        return table;
    }

    private static TableColumn<TraceStep, String> col(String title, Function<TraceStep, String> v, double w) {
        TableColumn<TraceStep, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(v.apply(d.getValue())));
        c.setSortable(false);
        c.setPrefWidth(w);
        return c;
    }

    /** A choice of the values FINN accepts, kept on the view-model's value. */
    private static ChoiceBox<Integer> legalChoice(String id, javafx.collections.ObservableList<Integer> legal,
                                                  IntegerProperty prop) {
        ChoiceBox<Integer> c = new ChoiceBox<>(legal);
        c.setId(id);
        c.setValue(prop.get());
        boolean[] syncing = {false};
        c.valueProperty().addListener((o, a, b) -> {
            if (!syncing[0] && b != null) {
                prop.set(b);
            }
        });
        Runnable fromVm = () -> {
            syncing[0] = true;
            c.setValue(prop.get());
            syncing[0] = false;
        };
        prop.addListener((o, a, b) -> fromVm.run());
        legal.addListener((javafx.collections.ListChangeListener<Integer>) ch -> fromVm.run());
        return c;
    }

    private static Spinner<Integer> spinner(String id, int min, int max, IntegerProperty prop) {
        Spinner<Integer> s = new Spinner<>(min, Math.max(min, max), Math.max(min, Math.min(Math.max(min, max), prop.get())));
        s.setId(id);
        s.setEditable(true);
        s.getValueFactory().valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                prop.set(b);
            }
        });
        prop.addListener((o, a, b) -> s.getValueFactory().setValue(b.intValue()));
        return s;
    }
}
