package org.a2q.app.view;

import org.kordamp.ikonli.Ikon;
import org.kordamp.ikonli.material2.Material2AL;
import org.kordamp.ikonli.material2.Material2MZ;

/** The workflow steps in the navigation, in the order a user goes through them. */
public enum NavItem {
    MODEL("Model", Material2AL.ACCOUNT_TREE),
    DATA("Data", Material2AL.IMAGE),
    BIT_WIDTHS("Bit widths", Material2MZ.TUNE),
    TRAIN("Train", Material2MZ.SHOW_CHART),
    BUDGETS("Budgets", Material2AL.BAR_CHART),
    ERROR("Error", Material2AL.INSIGHTS),
    MAC_ARRAY("MAC array", Material2AL.DEVELOPER_BOARD),
    TRADE_OFFS("Trade-offs", Material2AL.COMPARE_ARROWS),
    LEARN("Learn", Material2MZ.SCHOOL);

    private final String title;
    private final Ikon icon;

    NavItem(String title, Ikon icon) {
        this.title = title;
        this.icon = icon;
    }

    public String title() { return title; }
    public Ikon icon() { return icon; }
}
