package org.a2q.app.view;

import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Accordion;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.control.TitledPane;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.RowConstraints;
import javafx.geometry.VPos;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.a2q.app.content.Texts;
import org.a2q.app.vm.BoundExplorerViewModel;

/**
 * Learn view for the classroom: move the bit widths and watch the budgets, the ranges and the
 * worst case of a typed weight vector follow; the lessons beside it explain each number.
 */
final class LearnView extends BorderPane {
    LearnView(BoundExplorerViewModel vm) {
        getStyleClass().add("view");

        Slider n = slider("sliderN", vm.inputBitsProperty(), BoundExplorerViewModel.MIN_BITS,
                BoundExplorerViewModel.MAX_INPUT_BITS);
        Slider m = slider("sliderM", vm.weightBitsProperty(), BoundExplorerViewModel.MIN_WEIGHT_BITS,
                BoundExplorerViewModel.MAX_WEIGHT_BITS);
        Slider p = slider("sliderP", vm.accBitsProperty(), BoundExplorerViewModel.MIN_ACC_BITS,
                BoundExplorerViewModel.MAX_ACC_BITS);
        CheckBox signed = new CheckBox("Signed inputs");
        signed.setId("signedInputs");
        signed.selectedProperty().bindBidirectional(vm.signedInputsProperty());
        Ui.tip(signed, "Unsigned inputs (e.g. after ReLU) lie in [0, 2^N − 1]; signed ones in [−2^(N−1), 2^(N−1) − 1].");
        Spinner<Integer> k = new Spinner<>(1, BoundExplorerViewModel.MAX_K, vm.dotLengthProperty().get());
        k.setId("dotLength");
        k.setEditable(true);
        k.setPrefWidth(110);
        k.getValueFactory().valueProperty().addListener((o, a, b) -> vm.dotLengthProperty().set(b));
        vm.dotLengthProperty().addListener((o, a, b) -> k.getValueFactory().setValue(b.intValue()));

        GridPane widths = new GridPane();
        widths.setHgap(10);
        widths.setVgap(6);
        ColumnConstraints grow = new ColumnConstraints();
        grow.setHgrow(Priority.ALWAYS);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        grow.setMinWidth(60);
        ColumnConstraints valueCol = new ColumnConstraints();
        valueCol.setMinWidth(Region.USE_PREF_SIZE);
        widths.getColumnConstraints().addAll(labels, grow, valueCol);
        addSlider(widths, 0, "N  input bits", n, vm.inputBitsProperty());
        addSlider(widths, 1, "M  weight bits", m, vm.weightBitsProperty());
        addSlider(widths, 2, "P  accumulator bits", p, vm.accBitsProperty());
        widths.add(signed, 0, 3, 3, 1);
        widths.add(Ui.row(new Label("K  dot-product length"), k), 0, 4, 3, 1);
        Ui.tip(k, "How many products one output sums: Cin·kh·kw for a convolution, in_features for a linear layer. "
                + "The Model view lists K for every layer.");
        VBox controls = Ui.card("Bit widths", widths);

        TextField vector = new TextField();
        vector.setId("weightVector");
        vector.textProperty().bindBidirectional(vm.weightsTextProperty());
        vector.getStyleClass().add("mono");
        Label vecError = Ui.wrapping("", "bad");
        vecError.setId("vectorError");
        vecError.textProperty().bind(vm.vectorErrorProperty());
        hideWhenEmpty(vecError);
        Label vecWarn = Ui.wrapping("", "warn");
        vecWarn.textProperty().bind(vm.vectorWarningProperty());
        hideWhenEmpty(vecWarn);
        GridPane vec = facts(
                "‖q‖₁", value("l1", vm.l1TextProperty()),
                "Pos / Neg", value("posNeg", vm.posNegTextProperty()),
                "Worst case y ∈", value("worstCase", vm.worstCaseTextProperty()),
                "Needs (bits)", plain(value("widths", vm.widthsTextProperty())));
        VBox verdicts = new VBox(4,
                verdict("a2qVerdict", "A2Q", vm.a2qVerdictProperty(), vm.a2qOkProperty()),
                verdict("plusVerdict", "A2Q+", vm.plusVerdictProperty(), vm.plusOkProperty()),
                verdict("exactVerdict", "Exact", vm.exactVerdictProperty(), vm.exactOkProperty()));
        VBox vectorCard = Ui.card("Your weight vector q",
                Ui.wrapping("The integer weights of one output channel, separated by commas or spaces.",
                        "metric-caption"), vector, vecError, vecWarn,
                vec, verdicts);

        VBox left = new VBox(Ui.GAP, controls, vectorCard);

        // The two budgets as bars on one scale, so "A2Q+ roughly doubles it" is visible at a glance.
        Region barA = new Region();
        barA.getStyleClass().add("budget-bar-a2q");
        Region barP = new Region();
        barP.getStyleClass().add("budget-bar-plus");
        StackPane trackA = track(barA);
        StackPane trackP = track(barP);
        barA.prefWidthProperty().bind(trackA.widthProperty().multiply(
                Bindings.createDoubleBinding(() -> vm.tA2qProperty().get() / Math.max(vm.tA2qProperty().get(),
                        vm.tPlusProperty().get()), vm.tA2qProperty(), vm.tPlusProperty())));
        barP.prefWidthProperty().bind(trackP.widthProperty().multiply(
                Bindings.createDoubleBinding(() -> vm.tPlusProperty().get() / Math.max(vm.tA2qProperty().get(),
                        vm.tPlusProperty().get()), vm.tA2qProperty(), vm.tPlusProperty())));
        GridPane budget = facts(
                "A2Q  T", value("tA2q", vm.tA2qTextProperty()),
                "", trackA,
                "A2Q+  T₊", value("tPlus", vm.tPlusTextProperty()),
                "", trackP,
                "Usable ⌊T⌋ / ⌊T₊⌋", Ui.row(value("tA2qFloor", vm.tA2qFloorTextProperty()), new Label("/"),
                        value("tPlusFloor", vm.tPlusFloorTextProperty())),
                "T₊ / T", value("ratio", vm.ratioTextProperty()));
        Label sparsity = Ui.wrapping("", "metric-caption");
        sparsity.setId("sparsity");
        sparsity.textProperty().bind(vm.sparsityTextProperty());
        VBox budgetCard = Ui.card("Per-channel ℓ1 budget", budget,
                Ui.wrapping("T = (2^(P−1) − 1) · 2^(1_s − N)", "formula"),
                Ui.wrapping("T₊ = (2^P − 2) / (2^N − 1)", "formula"), sparsity);

        GridPane ranges = facts(
                "Inputs x", value("inputRange", vm.inputRangeTextProperty()),
                "Weights q", value("weightRange", vm.weightRangeTextProperty()),
                "P-bit accumulator", value("accRange", vm.accRangeTextProperty()));
        VBox rangeCard = Ui.card("Ranges", ranges);

        Label dtBits = value("dataTypeBits", vm.dataTypeBitsTextProperty());
        dtBits.getStyleClass().add("metric-value");
        Label dtText = Ui.wrapping("", "formula");
        dtText.setId("dataTypeProduct");
        dtText.textProperty().bind(vm.dataTypeTextProperty());
        Label dtVerdict = Ui.wrapping("", "muted");
        dtVerdict.setId("dataTypeVerdict");
        dtVerdict.textProperty().bind(vm.dataTypeVerdictProperty());
        VBox dataTypeCard = Ui.card("Data-type bound P_dt", Ui.wrapping("The width that holds any K products of "
                + "N-bit inputs and M-bit weights, whatever the weights.", "metric-caption"), dtBits, dtText, dtVerdict);

        VBox middle = new VBox(Ui.GAP, budgetCard, dataTypeCard, rangeCard);

        Accordion lessons = new Accordion();
        lessons.setId("lessons");
        List<Texts.Page> pages = Texts.lessons();
        for (Texts.Page page : pages) {
            VBox text = new VBox(8);
            text.setPadding(new Insets(4, 6, 4, 2));
            for (String para : page.paragraphs()) {
                Label l = Ui.wrapping(Ui.bulleted(para), "lesson-text");
                if (para.startsWith("- ")) {
                    l.getStyleClass().add("formula");
                    l.setPadding(new Insets(0, 0, 0, 12));
                }
                text.getChildren().add(l);
            }
            TitledPane tp = new TitledPane(page.title(), text);
            lessons.getPanes().add(tp);
        }
        if (!lessons.getPanes().isEmpty()) {
            lessons.setExpandedPane(lessons.getPanes().get(0));
        }
        VBox right = new VBox(6, Ui.label("Lessons", "card-title"), lessons);

        // Three columns sharing the width by percentage, so they shrink together and wrap their text.
        // When the text is large (a projector) or the window narrow, the lessons move below the
        // explorer instead of being squeezed into a column too thin to read.
        GridPane columns = new GridPane();
        columns.setHgap(Ui.GAP);
        columns.setVgap(Ui.GAP);
        Runnable relayout = () -> {
            double em = ThemeManager.BASE_FONT_PX * currentScale(this);
            double width = getWidth() > 0 ? getWidth() : 1100;
            boolean wide = width >= 72 * em;
            if (wide == columns.getProperties().containsKey("wide") && !columns.getChildren().isEmpty()) {
                return;
            }
            columns.getProperties().remove("wide");
            if (wide) {
                columns.getProperties().put("wide", true);
            }
            columns.getChildren().clear();
            columns.getColumnConstraints().clear();
            columns.getRowConstraints().clear();
            for (int pct : wide ? new int[] {32, 33, 35} : new int[] {50, 50}) {
                ColumnConstraints c = new ColumnConstraints();
                c.setPercentWidth(pct);
                c.setFillWidth(true);
                columns.getColumnConstraints().add(c);
            }
            RowConstraints top = new RowConstraints();
            top.setValignment(VPos.TOP);
            columns.getRowConstraints().add(top);
            columns.addRow(0, left, middle);
            if (wide) {
                columns.add(right, 2, 0);
            } else {
                columns.add(right, 0, 1, 2, 1);
            }
        };
        relayout.run();
        widthProperty().addListener((o, a, b) -> relayout.run());
        sceneProperty().addListener((o, a, b) -> {
            if (b != null) {
                b.getRoot().styleProperty().addListener((o2, a2, b2) -> relayout.run());
                relayout.run();
            }
        });
        ScrollPane scroll = new ScrollPane(columns);
        scroll.setFitToWidth(true);
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        setTop(Ui.header("Learn", "Why a narrow accumulator cannot overflow: move N, M and P, type a weight vector, "
                + "and read the short lessons. For a projector, enlarge the text with A+ in the toolbar."));
        setCenter(scroll);
    }

    /**
     * The text scale set on the scene root ("-fx-font-size: 19.5px" → 1.5). Read from the style
     * because the fonts of nodes only update at the next CSS pass, after this listener runs.
     */
    private static double currentScale(javafx.scene.Node n) {
        if (n.getScene() == null) {
            return 1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-fx-font-size:\\s*([0-9.]+)px")
                .matcher(n.getScene().getRoot().getStyle());
        return m.find() ? Double.parseDouble(m.group(1)) / ThemeManager.BASE_FONT_PX : 1;
    }

    private static Slider slider(String id, IntegerProperty value, int min, int max) {
        Slider s = new Slider(min, max, value.get());
        s.setId(id);
        s.setMajorTickUnit(1); // with snapping, the arrow keys then move one bit per press
        s.setMinorTickCount(0);
        s.setSnapToTicks(true);
        s.setBlockIncrement(1);
        // Integer steps only: a width of 4.6 bits is meaningless.
        s.valueProperty().addListener((o, a, b) -> value.set((int) Math.round(b.doubleValue())));
        value.addListener((o, a, b) -> s.setValue(b.intValue()));
        return s;
    }

    private static void addSlider(GridPane g, int row, String label, Slider s, IntegerProperty value) {
        Label v = new Label();
        v.getStyleClass().add("card-title");
        v.textProperty().bind(value.asString());
        g.addRow(row, new Label(label), s, v);
    }

    private static Label value(String id, ReadOnlyStringProperty text) {
        Label l = new Label();
        l.setId(id);
        l.getStyleClass().add("mono");
        l.textProperty().bind(text);
        l.setWrapText(true);
        l.setMinHeight(Region.USE_PREF_SIZE);
        return l;
    }

    /** Proportional font for longer values: mono would wrap them in a narrow column. */
    private static Label plain(Label l) {
        l.getStyleClass().remove("mono");
        return l;
    }

    private static Label verdict(String id, String name, ReadOnlyStringProperty text, ReadOnlyBooleanProperty ok) {
        Label l = Ui.wrapping("", "mono");
        l.setId(id);
        l.textProperty().bind(Bindings.createStringBinding(
                () -> (ok.get() ? "✓ " : "✗ ") + name + ":  " + text.get(), text, ok));
        ok.addListener((o, a, b) -> l.getStyleClass().setAll("label", "mono", b ? "ok" : "bad"));
        l.getStyleClass().add(ok.get() ? "ok" : "bad");
        return l;
    }

    private static GridPane facts(Object... labelsAndNodes) {
        GridPane g = new GridPane();
        g.setHgap(12);
        g.setVgap(6);
        ColumnConstraints first = new ColumnConstraints();
        first.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints second = new ColumnConstraints();
        second.setHgrow(Priority.ALWAYS);
        second.setMinWidth(0);
        g.getColumnConstraints().addAll(first, second);
        for (int i = 0; i < labelsAndNodes.length; i += 2) {
            g.addRow(i / 2, Ui.label((String) labelsAndNodes[i], "muted"), (Node) labelsAndNodes[i + 1]);
        }
        return g;
    }

    private static StackPane track(Region bar) {
        StackPane t = new StackPane(bar);
        t.getStyleClass().add("budget-bar-track");
        t.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        t.setPrefWidth(200); // fixed, so the track's size never depends on the bar bound to it
        t.setMinWidth(0);
        t.setPrefHeight(14);
        t.setMinHeight(14);
        t.setMaxHeight(14);
        bar.setMaxWidth(Region.USE_PREF_SIZE);
        bar.setMinWidth(0);
        bar.setMaxHeight(14);
        return t;
    }

    private static void hideWhenEmpty(Label l) {
        l.visibleProperty().bind(Bindings.isNotEmpty(l.textProperty()));
        l.managedProperty().bind(l.visibleProperty());
    }
}
