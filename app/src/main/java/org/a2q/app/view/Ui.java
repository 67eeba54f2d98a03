package org.a2q.app.view;

import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.a2q.app.content.Texts;
import org.controlsfx.control.PopOver;
import org.kordamp.ikonli.Ikon;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;

/** Small builders shared by the views, so spacing and typography stay the same everywhere. */
final class Ui {
    static final double GAP = 12;

    private Ui() { }

    static Label label(String text, String... styleClasses) {
        Label l = new Label(text);
        l.getStyleClass().addAll(styleClasses);
        return l;
    }

    /** A label that wraps inside its column instead of being cut with "…". */
    static Label wrapping(String text, String... styleClasses) {
        Label l = label(text, styleClasses);
        l.setWrapText(true);
        l.setMinHeight(Region.USE_PREF_SIZE);
        l.setMaxWidth(Double.MAX_VALUE);
        return l;
    }

    /** A paragraph of a help or lesson text as shown: "- item" lines become bullets. */
    static String bulleted(String paragraph) {
        return paragraph.startsWith("- ") ? "•  " + paragraph.substring(2) : paragraph;
    }

    static FontIcon icon(Ikon ikon) {
        return new FontIcon(ikon);
    }

    /** View header: title and one line that says what the view is for. */
    static VBox header(String title, String subtitle) {
        return headerBox(label(title, "view-title"), subtitle);
    }

    /** A header whose title is followed by a button that shows the view's help text from resources/help. */
    static VBox header(String title, String subtitle, String helpId) {
        Texts.Page page = Texts.help(helpId);
        Button help = new Button(null, new FontIcon(Material2AL.HELP_OUTLINE));
        help.setId("helpButton");
        help.getStyleClass().addAll("flat", "small");
        tip(help, "What this view shows");
        help.setOnAction(e -> {
            VBox text = new VBox(8);
            text.setPadding(new Insets(12));
            text.setPrefWidth(520);
            text.getChildren().add(label(page.title(), "card-title"));
            for (String para : page.paragraphs()) {
                text.getChildren().add(wrapping(bulleted(para)));
            }
            text.getStyleClass().add("help-text");
            PopOver pop = new PopOver(text);
            pop.setArrowLocation(PopOver.ArrowLocation.TOP_LEFT);
            pop.setDetachable(false);
            pop.show(help);
        });
        HBox top = new HBox(6, label(title, "view-title"), help);
        top.setAlignment(Pos.CENTER_LEFT);
        return headerBox(top, subtitle);
    }

    private static VBox headerBox(javafx.scene.Node top, String subtitle) {
        VBox box = new VBox(2, top, wrapping(subtitle, "view-subtitle"));
        box.setPadding(new Insets(0, 0, 8, 0));
        return box;
    }

    static VBox card(String title, Node... content) {
        VBox box = new VBox(8);
        box.getStyleClass().add("card");
        if (title != null) {
            box.getChildren().add(label(title, "card-title"));
        }
        box.getChildren().addAll(content);
        return box;
    }

    static Region hgrow() {
        Region r = new Region();
        HBox.setHgrow(r, Priority.ALWAYS);
        return r;
    }

    static HBox row(Node... nodes) {
        HBox h = new HBox(8, nodes);
        h.setAlignment(Pos.CENTER_LEFT);
        return h;
    }

    static <T extends javafx.scene.control.Control> T tip(T control, String text) {
        Tooltip t = new Tooltip(text);
        t.setShowDelay(Duration.millis(300));
        t.setWrapText(true);
        t.setMaxWidth(420);
        control.setTooltip(t);
        return control;
    }
}
