package org.a2q.app;

import javafx.application.Application;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;

/** The workbench window (placeholder until the GUI lands). */
public final class WorkbenchApp extends Application {
    public static void main(String[] args) {
        launch(WorkbenchApp.class, args);
    }

    @Override
    public void start(Stage stage) {
        stage.setTitle("A2Q Workbench");
        stage.setScene(new Scene(new StackPane(new Label("A2Q Workbench")), 900, 600));
        stage.show();
    }
}
