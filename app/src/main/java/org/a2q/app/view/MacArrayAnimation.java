package org.a2q.app.view;

import java.util.List;
import java.util.Locale;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.geometry.HPos;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.a2q.app.vm.MacArrayViewModel;
import org.a2q.app.vm.MacArrayViewModel.Simulation;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.LaneOp;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.TraceStep;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/**
 * The MAC array drawn and animated: the PE × SIMD grid with the traced PE's lanes at the current
 * cycle, the adder tree's sum, and the same accumulation in a wrapping and a saturating P-bit
 * register, one above the other so their bits line up and the cycle where they part is plain.
 * Every number comes from the engine's two traces; this class only picks the cycle to show.
 */
final class MacArrayAnimation extends VBox {
    /**
     * The array is drawn twice: a small map of PE rows × SIMD lanes (up to these many; a real array
     * can be far wider than a screen, the rest is counted) and, below it, the traced PE's lanes with
     * their numbers (up to {@link #MAX_LANES_DETAILED}).
     */
    static final int MAX_PES_SHOWN = 4;
    static final int MAX_LANES_SHOWN = 24;
    static final int MAX_LANES_DETAILED = 6;

    private final MacArrayViewModel vm;
    private final GridPane peGrid = new GridPane();
    private final Label mapNote = Ui.wrapping("", "muted");
    /** A flow, so the lanes wrap under each other at large text rather than widen the view. */
    private final FlowPane lanesRow = new FlowPane(4, 4);
    private final Label cycleLabel = Ui.label("", "mac-cycle");
    private final Label marker = Ui.label("", "mac-overflow-marker");
    private final Label exactValue = Ui.label("—", "mono", "mac-value");
    private final Label exactNote = Ui.label("", "muted");
    private final Label range = Ui.label("", "muted");
    private final Register wrap = new Register("wrap", "WRAP", "Two's-complement wrap-around: the adder's carry out of bit P−1 is lost.");
    private final Register saturate = new Register("saturate", "SATURATE", "Clips at the range ends and stays there until a negative product pulls it back.");
    private final Slider scrub = new Slider(-1, 0, -1);
    private final Button jump = new Button("Overflow", new FontIcon(Material2MZ.WARNING));
    private final Timeline timer;
    private boolean scrubbing;

    MacArrayAnimation(MacArrayViewModel vm) {
        super(10);
        this.vm = vm;
        getStyleClass().add("mac-animation");
        setId("macAnimation");

        Button reset = iconButton("macReset", Material2MZ.SKIP_PREVIOUS, "Back to the start: both registers cleared");
        reset.setOnAction(e -> vm.reset());
        Button back = iconButton("macBack", Material2MZ.NAVIGATE_BEFORE, "One cycle back");
        back.setOnAction(e -> vm.stepBack());
        Button play = new Button();
        play.setId("macPlay");
        play.graphicProperty().bind(javafx.beans.binding.Bindings.createObjectBinding(() -> new FontIcon(
                vm.playingProperty().get() ? Material2MZ.PAUSE : Material2MZ.PLAY_ARROW), vm.playingProperty()));
        play.textProperty().bind(javafx.beans.binding.Bindings.when(vm.playingProperty()).then("Pause").otherwise("Play"));
        play.setMinWidth(Region.USE_PREF_SIZE);
        play.setOnAction(e -> vm.togglePlay());
        Button step = iconButton("macStep", Material2MZ.NAVIGATE_NEXT, "One cycle forward");
        step.setOnAction(e -> vm.step());
        Button end = iconButton("macEnd", Material2MZ.SKIP_NEXT, "Straight to the last cycle");
        end.setOnAction(e -> vm.toEnd());
        jump.setId("macJumpOverflow");
        Ui.tip(jump, "Go to the cycle of the first overflow");
        jump.setOnAction(e -> {
            Simulation s = vm.simulation();
            if (s != null && s.wrap().overflowed()) {
                vm.seek(s.wrap().firstOverflowStep());
            }
        });
        Slider speed = new Slider(1, MacArrayViewModel.MAX_SPEED, vm.speedProperty().get());
        speed.setId("macSpeed");
        speed.valueProperty().bindBidirectional(vm.speedProperty());
        speed.setPrefWidth(90);
        speed.setMinWidth(60);
        Ui.tip(speed, "Animation speed: 1 to " + (int) MacArrayViewModel.MAX_SPEED + " cycles per second");
        cycleLabel.setId("macCycle");
        cycleLabel.setMinWidth(Region.USE_PREF_SIZE);
        for (Node n : List.of(reset, back, play, step, end, jump)) {
            ((Button) n).disableProperty().bind(vm.simulationProperty().isNull());
        }
        for (Button b : List.of(reset, back, play, step, end, jump)) {
            b.setMinWidth(Region.USE_PREF_SIZE);
        }
        FontIcon slow = new FontIcon(Material2AL.DIRECTIONS_WALK);
        FontIcon fast = new FontIcon(Material2AL.DIRECTIONS_RUN);
        // A flow, so the buttons wrap to a second line at projector text sizes instead of being cut.
        FlowPane controls = new FlowPane(6, 6, reset, back, play, step, end, jump, Ui.row(slow, speed, fast));
        controls.setAlignment(Pos.CENTER_LEFT);

        scrub.setId("macScrub");
        scrub.setBlockIncrement(1);
        scrub.setMajorTickUnit(1);
        scrub.setSnapToTicks(true);
        scrub.valueProperty().addListener((o, a, b) -> {
            if (!scrubbing) {
                vm.seek((int) Math.round(b.doubleValue()));
            }
        });
        Ui.tip(scrub, "Drag to any cycle");
        marker.setId("macOverflowMarker");
        marker.setGraphic(new FontIcon(Material2MZ.WARNING));
        marker.managedProperty().bind(marker.visibleProperty());
        marker.setVisible(false);

        peGrid.setId("macPeGrid");
        peGrid.getStyleClass().add("pe-grid");
        peGrid.setHgap(2);
        peGrid.setVgap(2);
        lanesRow.setId("macLanes");
        mapNote.managedProperty().bind(mapNote.textProperty().isNotEmpty());
        lanesRow.setAlignment(Pos.CENTER_LEFT);

        GridPane registers = new GridPane();
        registers.setId("macRegisters");
        registers.setHgap(10);
        registers.setVgap(6);
        ColumnConstraints name = new ColumnConstraints();
        name.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints bits = new ColumnConstraints();
        bits.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints value = new ColumnConstraints();
        value.setMinWidth(Region.USE_PREF_SIZE);
        value.setHalignment(HPos.RIGHT);
        ColumnConstraints rest = new ColumnConstraints();
        rest.setHgrow(Priority.ALWAYS);
        registers.getColumnConstraints().addAll(name, bits, value, rest);
        exactValue.setId("exactValue");
        exactNote.setId("exactNote");
        exactNote.setWrapText(true);
        // What happened to each register sits on its own line under the bits, so the rows stay
        // narrow enough for projector text sizes.
        registers.addRow(0, Ui.label("Exact Σ", "mac-register-name"), range, exactValue);
        registers.add(exactNote, 1, 1, 3, 1);
        wrap.addTo(registers, 2);
        saturate.addTo(registers, 4);
        range.setId("macRange");

        HBox timeline = Ui.row(scrub, cycleLabel);
        HBox.setHgrow(scrub, Priority.ALWAYS);
        getChildren().addAll(controls, timeline, marker, Ui.label("PE × SIMD array, this cycle", "card-title"), peGrid, mapNote, lanesRow,
                Ui.label("Accumulator registers", "card-title"), registers);

        timer = new Timeline(new KeyFrame(Duration.seconds(1), e -> vm.advance()));
        timer.setCycleCount(Timeline.INDEFINITE);
        timer.setRate(vm.speedProperty().get());
        vm.speedProperty().addListener((o, a, b) -> timer.setRate(b.doubleValue()));
        vm.playingProperty().addListener((o, a, b) -> {
            if (b) {
                timer.jumpTo(Duration.ZERO);
                timer.play();
            } else {
                timer.stop();
            }
        });
        vm.simulationProperty().addListener((o, a, b) -> rebuild());
        vm.cursorProperty().addListener((o, a, b) -> update());
        vm.wrapStepProperty().addListener((o, a, b) -> update());
        vm.saturateStepProperty().addListener((o, a, b) -> update());
        rebuild();
    }

    private static Button iconButton(String id, org.kordamp.ikonli.Ikon icon, String tip) {
        Button b = new Button(null, new FontIcon(icon));
        b.setId(id);
        Ui.tip(b, tip);
        return b;
    }

    /** New simulation: a new grid shape, register width and scrub range. */
    private void rebuild() {
        Simulation s = vm.simulation();
        peGrid.getChildren().clear();
        lanesRow.getChildren().clear();
        mapNote.setText("");
        scrubbing = true;
        scrub.setMax(s == null ? 0 : s.steps() - 1);
        scrubbing = false;
        if (s == null) {
            peGrid.add(Ui.label("Trace a channel to see the array at work.", "muted"), 0, 0);
            wrap.build(0);
            saturate.build(0);
            range.setText("");
            update();
            return;
        }
        int pes = s.folding().pe();
        int lanes = s.folding().simd();
        int shownPes = Math.min(pes, MAX_PES_SHOWN);
        int shownLanes = Math.min(lanes, MAX_LANES_SHOWN);
        int tracedPe = s.wrap().pe();
        // The map: one row per PE, one square per lane. The traced PE is always drawn; when rows
        // are cut, it takes the last drawn row.
        for (int r = 0; r < shownPes; r++) {
            int p = r == shownPes - 1 && tracedPe >= shownPes ? tracedPe : r;
            boolean traced = p == tracedPe;
            Label name = Ui.label("PE " + p, traced ? "pe-name-traced" : "pe-name");
            name.setMinWidth(Region.USE_PREF_SIZE);
            peGrid.add(name, 0, r);
            for (int l = 0; l < shownLanes; l++) {
                Region cell = new Region();
                cell.getStyleClass().add(traced ? "mini-lane" : "mini-lane-idle");
                if (traced) {
                    cell.setId("mini" + l);
                }
                peGrid.add(cell, l + 1, r);
            }
        }
        List<String> notDrawn = new java.util.ArrayList<>();
        if (lanes > shownLanes) {
            notDrawn.add("+" + lanes(lanes - shownLanes) + " per PE");
        }
        if (pes > shownPes) {
            notDrawn.add("+" + (pes - shownPes) + " more PE" + (pes - shownPes == 1 ? "" : "s")
                    + ", each on its own channel in the same cycle");
        }
        mapNote.setText(notDrawn.isEmpty() ? "" : String.join(" · ", notDrawn) + " (not drawn)");
        // The traced PE in full: each lane's operands and product, then the adder tree.
        Label who = Ui.label("PE " + tracedPe + " · channel " + s.channel(), "pe-name-traced");
        who.setMinWidth(Region.USE_PREF_SIZE);
        lanesRow.getChildren().add(who);
        for (int l = 0; l < Math.min(lanes, MAX_LANES_DETAILED); l++) {
            VBox cell = laneCell();
            cell.setId("lane" + l);
            lanesRow.getChildren().add(cell);
        }
        if (lanes > MAX_LANES_DETAILED) {
            lanesRow.getChildren().add(Ui.label("+" + lanes(lanes - MAX_LANES_DETAILED), "muted"));
        }
        Label sum = Ui.label("Σ", "mono", "lane-sum");
        sum.setId("macLaneSum");
        sum.setMinWidth(Region.USE_PREF_SIZE);
        lanesRow.getChildren().add(sum);
        range.setText(String.format(Locale.ROOT, "P = %d holds [%,d, %,d]", s.accBits(), s.registerMin(),
                s.registerMax()));
        wrap.build(s.accBits());
        saturate.build(s.accBits());
        update();
    }

    private static String lanes(int n) {
        return n + (n == 1 ? " lane" : " lanes");
    }

    private static VBox laneCell() {
        Label ops = Ui.label("—", "mono", "lane-ops");
        Label product = Ui.label("", "mono", "lane-product");
        VBox cell = new VBox(0, ops, product);
        cell.setAlignment(Pos.CENTER);
        cell.getStyleClass().add("lane");
        return cell;
    }

    /** Shows the cursor's cycle: lanes, sum, both registers, the overflow marker. */
    private void update() {
        Simulation s = vm.simulation();
        int c = vm.cursorProperty().get();
        scrubbing = true;
        scrub.setValue(c);
        scrubbing = false;
        // Read from the simulation itself: while a new one is being handed over, the step
        // properties may still belong to the previous trace, whose shape can differ.
        boolean inTrace = s != null && c >= 0 && c < s.steps();
        TraceStep w = inTrace ? s.wrap().steps().get(c) : null;
        TraceStep sat = inTrace ? s.saturate().steps().get(c) : null;
        if (s == null) {
            cycleLabel.setText("no trace yet");
            marker.setVisible(false);
            jump.setVisible(false);
            exactValue.setText("—");
            exactNote.setText("");
            wrap.show(null, null);
            saturate.show(null, null);
            return;
        }
        jump.setVisible(s.wrap().overflowed());
        cycleLabel.setText(w == null ? String.format(Locale.ROOT, "before cycle %,d · %d steps", s.wrap().steps().get(0)
                .cycle(), s.steps()) : String.format(Locale.ROOT, "cycle %,d · step %d of 0–%d", w.cycle(), w.step(),
                s.steps() - 1));
        for (Node n : peGrid.getChildren()) {
            if (n.getId() != null && n.getId().startsWith("mini")) {
                int lane = Integer.parseInt(n.getId().substring(4));
                n.getStyleClass().removeAll("lane-active", "lane-zero");
                if (w != null && lane < w.lanes().size()) {
                    n.getStyleClass().add(w.lanes().get(lane).product() != 0 ? "lane-active" : "lane-zero");
                }
            }
        }
        for (Node n : lanesRow.getChildren()) {
            if (n.getId() != null && n.getId().startsWith("lane")) {
                int lane = Integer.parseInt(n.getId().substring(4));
                VBox cell = (VBox) n;
                Label ops = (Label) cell.getChildren().get(0);
                Label product = (Label) cell.getChildren().get(1);
                cell.getStyleClass().removeAll("lane-active", "lane-zero");
                if (w == null || lane >= w.lanes().size()) {
                    ops.setText("—");
                    product.setText("");
                } else {
                    LaneOp op = w.lanes().get(lane);
                    ops.setText(op.weight() + "·" + op.input());
                    product.setText(String.format(Locale.ROOT, "= %,d", op.product()));
                    // A zero product (zero weight or input) adds nothing; it is drawn quieter.
                    cell.getStyleClass().add(op.product() != 0 ? "lane-active" : "lane-zero");
                }
            } else if ("macLaneSum".equals(n.getId())) {
                ((Label) n).setText(w == null ? "Σ" : String.format(Locale.ROOT, "Σ = %,d", w.laneSum()));
            }
        }
        if (w == null) {
            exactValue.setText("0");
            exactNote.setText(String.format(Locale.ROOT, "the dot product needs %d bits over its whole run",
                    s.wrap().exactBitsNeeded()));
        } else {
            exactValue.setText(String.format(Locale.ROOT, "%,d", w.exactPartialSum()));
            exactNote.setText(String.format(Locale.ROOT, "needs %d bits now, %d over the whole run", w.exactBitsInUse(),
                    s.wrap().exactBitsNeeded()));
        }
        wrap.show(s.wrap(), w);
        saturate.show(s.saturate(), sat);
        int first = s.wrap().firstOverflowStep();
        boolean shown = first >= 0 && c >= first;
        marker.setVisible(shown);
        if (shown) {
            TraceStep at = s.wrap().steps().get(first);
            marker.setText(String.format(Locale.ROOT, "Overflow at cycle %,d (step %d): %,d + %,d = %,d leaves [%,d, %,d]",
                    at.cycle(), first, at.registerBefore(), at.laneSum(), at.registerIncoming(), s.registerMin(),
                    s.registerMax()) + (s.divergenceStep() >= 0 ? "; from here wrap and saturate hold different values"
                    : ""));
            marker.getStyleClass().remove("now");
            if (c == first) {
                marker.getStyleClass().add("now");
            }
        }
    }

    /** One P-bit register: its bit cells, value, bits in use and what happened at this cycle. */
    private static final class Register {
        private final String id;
        private final HBox bits = new HBox(2);
        private final Label value = Ui.label("—", "mono", "mac-value");
        private final Label status = Ui.wrapping("", "mac-status");
        private final Label name;

        Register(String id, String title, String tip) {
            this.id = id;
            name = Ui.label(title, "mac-register-name");
            Ui.tip(name, tip);
            bits.setId(id + "Bits");
            bits.getStyleClass().add("bit-row");
            value.setId(id + "Value");
            status.setId(id + "Status");
        }

        void addTo(GridPane grid, int row) {
            grid.addRow(row, name, bits, value);
            grid.add(status, 1, row + 1, 3, 1);
        }

        void build(int p) {
            bits.getChildren().clear();
            for (int i = 0; i < p; i++) {
                Label b = Ui.label("0", "bit");
                b.setAlignment(Pos.CENTER);
                if (i == 0) {
                    b.getStyleClass().add("bit-sign");
                    Ui.tip(b, "Sign bit (bit " + (p - 1) + "): 1 means negative in two's complement");
                }
                bits.getChildren().add(b);
            }
        }

        void show(MacTrace t, TraceStep s) {
            bits.getStyleClass().removeAll("overflow-now", "overflowed");
            status.getStyleClass().removeAll("overflow-now", "overflowed");
            String pattern = s == null ? "0".repeat(bits.getChildren().size()) : s.registerBits();
            int used = s == null ? 0 : s.bitsInUse();
            int p = bits.getChildren().size();
            for (int i = 0; i < p && i < pattern.length(); i++) {
                Label b = (Label) bits.getChildren().get(i);
                char ch = pattern.charAt(i);
                b.setText(Character.toString(ch));
                b.getStyleClass().removeAll("bit-one", "bit-used");
                if (ch == '1') {
                    b.getStyleClass().add("bit-one");
                }
                if (i >= p - used) {
                    b.getStyleClass().add("bit-used");
                }
            }
            if (t == null || s == null) {
                value.setText(t == null ? "—" : "0");
                status.setText(t == null ? "" : "cleared; " + (t.mode() == AccumulatorMode.WRAP ? "wraps" : "saturates")
                        + " on overflow");
                return;
            }
            value.setText(String.format(Locale.ROOT, "%,d", s.register()));
            String inUse = String.format(Locale.ROOT, "%d of %d bits in use", s.bitsInUse(), p);
            if (s.overflow()) {
                bits.getStyleClass().add("overflow-now");
                status.getStyleClass().add("overflow-now");
                status.setText(String.format(Locale.ROOT, "OVERFLOW: %,d + %,d = %,d does not fit; %s %,d", s.registerBefore(),
                        s.laneSum(), s.registerIncoming(), t.mode() == AccumulatorMode.WRAP ? "wraps to" : "clipped to",
                        s.register()));
            } else if (t.overflowed() && s.step() > t.firstOverflowStep()) {
                bits.getStyleClass().add("overflowed");
                status.getStyleClass().add("overflowed");
                status.setText(inUse + (s.register() == s.exactPartialSum() ? "; back on the exact sum"
                        : "; off the exact sum since step " + t.firstOverflowStep()));
            } else {
                status.setText(inUse + "; equals the exact sum");
            }
        }
    }
}
