package org.a2q.app.view;

import java.util.Locale;
import javafx.collections.ListChangeListener;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.TilePane;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import org.a2q.app.vm.DataViewModel;
import org.a2q.app.vm.DataViewModel.ClassCount;
import org.a2q.app.vm.DataViewModel.ImageSample;
import org.a2q.app.vm.SessionViewModel;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/** Data view: which images the model learns from, shown as a labelled grid. */
final class DataView extends BorderPane {
    /** Fashion-MNIST's 28 px shown at 3× so details like collars and straps are visible. */
    private static final int ZOOM = 3;

    private final TilePane grid = new TilePane();

    DataView(DataViewModel vm, SessionViewModel session, Runnable openFolder) {
        getStyleClass().add("view");

        Label source = Ui.label("", "card-title");
        source.setId("dataSource");
        source.textProperty().bind(vm.sourceProperty());
        Label summary = Ui.label("", "muted");
        summary.textProperty().bind(vm.summaryProperty());
        Button open = new Button("Open IDX folder…", Ui.icon(Material2AL.FOLDER_OPEN));
        open.setOnAction(e -> openFolder.run());
        Ui.tip(open, "A folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                + "t10k-labels-idx1-ubyte, each raw or .gz (the MNIST layout).");
        Button sample = new Button("Bundled sample", Ui.icon(Material2AL.CHECKROOM));
        sample.setOnAction(e -> vm.useSample());
        open.disableProperty().bind(session.runner().busyProperty());
        sample.disableProperty().bind(session.runner().busyProperty());
        HBox top = Ui.row(new VBox(2, source, summary), Ui.hgrow(), sample, open);

        ToggleGroup which = new ToggleGroup();
        ToggleButton train = new ToggleButton("Training set");
        ToggleButton test = new ToggleButton("Test set");
        train.setToggleGroup(which);
        test.setToggleGroup(which);
        train.getStyleClass().add("left-pill");
        test.getStyleClass().add("right-pill");
        (vm.showTestProperty().get() ? test : train).setSelected(true);
        which.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null) {
                a.setSelected(true); // keep one selected: there is no "neither"
            } else {
                vm.showTestProperty().set(b == test);
            }
        });

        ComboBox<String> cls = new ComboBox<>();
        cls.setId("classFilter");
        Runnable fillClasses = () -> {
            cls.getItems().setAll("All classes");
            cls.getItems().addAll(vm.classNames());
            cls.getSelectionModel().select(vm.classFilterProperty().get() + 1);
        };
        fillClasses.run();
        vm.classNames().addListener((ListChangeListener<String>) c -> fillClasses.run());
        cls.setOnAction(e -> {
            int i = cls.getSelectionModel().getSelectedIndex();
            if (i >= 0) {
                vm.classFilterProperty().set(i - 1);
            }
        });
        Button shuffle = new Button("Shuffle", Ui.icon(Material2MZ.SHUFFLE));
        shuffle.setOnAction(e -> vm.shuffle());
        Label page = Ui.label("", "muted");
        page.textProperty().bind(vm.pageTextProperty());
        HBox controls = Ui.row(new HBox(train, test), cls, shuffle, Ui.hgrow(), page);

        grid.setId("imageGrid");
        grid.setHgap(8);
        grid.setVgap(8);
        grid.setPrefTileWidth(28 * ZOOM + 12);
        grid.setTileAlignment(Pos.TOP_CENTER);
        vm.samples().addListener((ListChangeListener<ImageSample>) c -> rebuild(vm));
        rebuild(vm);
        ScrollPane scroll = new ScrollPane(grid);
        scroll.setFitToWidth(true);
        VBox.setVgrow(scroll, Priority.ALWAYS);

        FlowPane counts = new FlowPane(6, 6);
        counts.setId("classCounts");
        vm.classCounts().addListener((ListChangeListener<ClassCount>) c -> fillCounts(counts, vm));
        fillCounts(counts, vm);

        setTop(Ui.header("Data", "The images the model learns from and is tested on. Check that labels and "
                + "pictures agree before training."));
        setCenter(new VBox(Ui.GAP, top, controls, scroll, counts));
    }

    private void rebuild(DataViewModel vm) {
        grid.getChildren().clear();
        for (ImageSample s : vm.samples()) {
            ImageView iv = new ImageView(toImage(s));
            iv.setSmooth(false); // keep pixels crisp: these are the exact inputs the network sees
            iv.setFitWidth(s.width() * ZOOM);
            iv.setFitHeight(s.height() * ZOOM);
            Label l = new Label(s.className());
            l.setMaxWidth(s.width() * ZOOM);
            VBox cell = new VBox(3, iv, l);
            cell.setAlignment(Pos.TOP_CENTER);
            cell.getStyleClass().add("image-cell");
            Ui.tip(l, "item " + s.index() + " · label " + s.label() + " (" + s.className() + ")");
            grid.getChildren().add(cell);
        }
    }

    private static void fillCounts(FlowPane pane, DataViewModel vm) {
        pane.getChildren().clear();
        if (vm.classCounts().isEmpty()) {
            return;
        }
        pane.getChildren().add(Ui.label("Images per class (train / test):", "muted"));
        for (ClassCount c : vm.classCounts()) {
            pane.getChildren().add(Ui.label(String.format(Locale.ROOT, "%s  %,d / %,d", c.name(), c.train(), c.test()),
                    "class-chip"));
        }
    }

    /** Grey images as stored (0 = black); colour images take the first three channels as RGB. */
    static WritableImage toImage(ImageSample s) {
        WritableImage img = new WritableImage(s.width(), s.height());
        PixelWriter w = img.getPixelWriter();
        int plane = s.width() * s.height();
        for (int y = 0; y < s.height(); y++) {
            for (int x = 0; x < s.width(); x++) {
                int i = y * s.width() + x;
                if (s.channels() >= 3) {
                    w.setColor(x, y, Color.rgb(s.pixels()[i] & 0xff, s.pixels()[plane + i] & 0xff,
                            s.pixels()[2 * plane + i] & 0xff));
                } else {
                    int v = s.pixels()[i] & 0xff;
                    w.setColor(x, y, Color.rgb(v, v, v));
                }
            }
        }
        return img;
    }
}
