package org.a2q.app.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.a2q.app.vm.BoundExplorerViewModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** The bound explorer in the classroom: sliders and typing change the numbers at once (a2q-math §7.1, §7.3). */
@ExtendWith(ApplicationExtension.class)
class LearnViewUiTest {
    private BoundExplorerViewModel vm;

    @Start
    void start(Stage stage) {
        vm = new BoundExplorerViewModel();
        Scene scene = new Scene(new LearnView(vm), 1280, 820);
        new ThemeManager(false, 1.0).attach(scene);
        stage.setScene(scene);
        stage.show();
    }

    @Test
    void slidersMoveTheBudgets(FxRobot robot) {
        assertEquals("2047/16 = 127.9375", text(robot, "#tA2q"));
        assertEquals("4094/15 = 272.9333", text(robot, "#tPlus"));
        assertEquals("×2.1333", text(robot, "#ratio"));

        robot.clickOn("#sliderN .thumb");
        robot.type(KeyCode.RIGHT, 4);                // N = 8
        robot.clickOn("#sliderP .thumb");
        robot.type(KeyCode.RIGHT, 4);                // P = 16
        assertEquals(8, vm.inputBitsProperty().get());
        assertEquals(16, vm.accBitsProperty().get());
        assertEquals("32767/256 = 127.9961", text(robot, "#tA2q"));
        assertEquals("65534/255 = 256.9961", text(robot, "#tPlus"));
        assertEquals("127", text(robot, "#tA2qFloor"));
        assertEquals("256", text(robot, "#tPlusFloor"));
        assertEquals("×2.0078", text(robot, "#ratio"));

        robot.clickOn("#signedInputs");
        assertEquals("32767/128 = 255.9922", text(robot, "#tA2q"));
        assertEquals("×1.0039", text(robot, "#ratio"));
        assertEquals("-128 … 127", text(robot, "#inputRange"));
    }

    @Test
    void typedVectorShowsItsWorstCaseAndErrorsInline(FxRobot robot) {
        assertEquals("18", text(robot, "#l1"));
        assertEquals("-105 … 165", text(robot, "#worstCase"));
        robot.clickOn("#weightVector").press(KeyCode.CONTROL).press(KeyCode.A).release(KeyCode.A)
                .release(KeyCode.CONTROL).write("7, -7, 7, -7");
        assertEquals("28", text(robot, "#l1"));
        assertEquals("14 / 14", text(robot, "#posNeg"));
        assertEquals("-210 … 210", text(robot, "#worstCase"));   // 15·14 with unsigned 4-bit inputs
        assertTrue(text(robot, "#exactVerdict").startsWith("✓"));

        robot.write(", x");
        assertTrue(robot.lookup("#vectorError").queryAs(Label.class).isVisible());
        assertTrue(text(robot, "#vectorError").contains("'x' is not an integer"));
        assertFalse(text(robot, "#exactVerdict").startsWith("✓"));
    }

    @Test
    void dataTypeBoundFollowsTheDotProductLength(FxRobot robot) {
        assertEquals("18 bits", text(robot, "#dataTypeBits"));   // K = 576, N = M = 4, unsigned (§7.2)
        robot.interact(() -> vm.dotLengthProperty().set(1152));
        assertEquals("19 bits", text(robot, "#dataTypeBits"));   // doubling K costs one bit
    }

    private static String text(FxRobot robot, String id) {
        return robot.lookup(id).queryAs(Label.class).getText();
    }
}
