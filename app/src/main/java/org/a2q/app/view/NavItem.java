package org.a2q.app.view;

import org.kordamp.ikonli.Ikon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/** The workflow steps in the navigation, in the order a user goes through them. */
public enum NavItem {
    MODEL("Model", Material2AL.ACCOUNT_TREE, false),
    DATA("Data", Material2AL.IMAGE, false),
    BIT_WIDTHS("Bit widths", Material2MZ.TUNE, false),
    TRAIN("Train", Material2MZ.SHOW_CHART, false),
    BUDGETS("Budgets", Material2AL.BAR_CHART, false),
    ERROR("Error", Material2AL.INSIGHTS, false),
    MAC_ARRAY("MAC array", Material2AL.DEVELOPER_BOARD, false),
    TRADE_OFFS("Trade-offs", Material2AL.COMPARE_ARROWS, false),
    LEARN("Learn", Material2MZ.SCHOOL, false);

    private final String title;
    private final Ikon icon;
    private final boolean pending;

    NavItem(String title, Ikon icon, boolean pending) {
        this.title = title;
        this.icon = icon;
        this.pending = pending;
    }

    public String title() { return title; }
    public Ikon icon() { return icon; }
    /** True for views that need the quantization engine, which is not part of this build yet. */
    public boolean pending() { return pending; }
    /** Name of the help text in resources/help for a pending view. */
    public String helpId() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
}
