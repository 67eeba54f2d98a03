package org.a2q.app.view;

import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;
import org.a2q.app.content.Texts;
import org.kordamp.ikonli.javafx.FontIcon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/**
 * A view whose engine part (quantizers, integer simulator) is not in this build yet. It says so
 * plainly and describes what it will show; it never shows made-up numbers.
 */
final class PendingView extends BorderPane {
    PendingView(NavItem item, Runnable openLearn) {
        getStyleClass().add("view");
        Texts.Page page = Texts.help(item.helpId());

        FontIcon icon = new FontIcon(Material2AL.CONSTRUCTION);
        icon.setIconSize(40);
        icon.getStyleClass().add("pending-icon");
        Label badge = Ui.label("Arrives with quantization", "pending-badge");
        badge.setId("pendingBadge");

        VBox text = new VBox(8);
        for (String para : page.paragraphs()) {
            text.getChildren().add(Ui.wrapping(para.startsWith("- ") ? "•  " + para.substring(2) : para));
        }
        Button learn = new Button("Explore the bounds in Learn", new FontIcon(Material2MZ.SCHOOL));
        learn.setOnAction(e -> openLearn.run());

        VBox card = Ui.card(null, Ui.row(icon, badge), text, learn);
        card.setMaxWidth(720);
        card.setAlignment(Pos.TOP_LEFT);
        setTop(Ui.header(page.title(), "Not available yet: this view needs the quantization engine, which is "
                + "being added now."));
        setCenter(new VBox(card));
    }
}
