package org.a2q.app.view;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import java.net.URL;
import java.util.Locale;
import javafx.application.Application;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.scene.Scene;

/**
 * Light or dark AtlantaFX theme plus our own stylesheet, and the text size. The text size scales
 * the root font, which every em-based size of the theme follows, so one control makes the whole
 * window readable on a projector.
 */
public final class ThemeManager {
    public static final double BASE_FONT_PX = 13;
    public static final double MIN_SCALE = 0.8;
    public static final double MAX_SCALE = 2.0;

    private final BooleanProperty dark = new SimpleBooleanProperty(this, "dark");
    private final DoubleProperty fontScale = new SimpleDoubleProperty(this, "fontScale", 1.0);
    private Scene scene;

    public ThemeManager(boolean dark, double fontScale) {
        this.dark.set(dark);
        this.fontScale.set(clamp(fontScale));
        this.dark.addListener((o, a, b) -> apply());
        this.fontScale.addListener((o, a, b) -> apply());
    }

    public BooleanProperty darkProperty() { return dark; }
    public DoubleProperty fontScaleProperty() { return fontScale; }

    public void attach(Scene scene) {
        this.scene = scene;
        URL css = ThemeManager.class.getClassLoader().getResource("css/workbench.css");
        if (css != null) {
            scene.getStylesheets().add(css.toExternalForm());
        }
        apply();
    }

    /** One step bigger or smaller, in 10 % steps within the allowed range. */
    public void step(int direction) {
        fontScale.set(clamp(Math.round((fontScale.get() + 0.1 * direction) * 10) / 10.0));
    }

    private void apply() {
        Application.setUserAgentStylesheet(dark.get() ? new PrimerDark().getUserAgentStylesheet()
                : new PrimerLight().getUserAgentStylesheet());
        if (scene != null) {
            scene.getRoot().setStyle(String.format(Locale.ROOT, "-fx-font-size: %.1fpx;", BASE_FONT_PX * fontScale.get()));
        }
    }

    private static double clamp(double s) {
        return Math.max(MIN_SCALE, Math.min(MAX_SCALE, Double.isFinite(s) ? s : 1.0));
    }
}
