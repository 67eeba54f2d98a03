package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The explorer's properties follow its inputs, with the numbers of a2q-math.md §7. */
class BoundExplorerViewModelTest {
    private final BoundExplorerViewModel vm = new BoundExplorerViewModel();

    @Test
    void defaultsAreTheFirstRowOfTheBoundsTable() {
        assertEquals("2047/16 = 127.9375", vm.tA2qTextProperty().get());
        assertEquals("4094/15 = 272.9333", vm.tPlusTextProperty().get());
        assertEquals("127", vm.tA2qFloorTextProperty().get());
        assertEquals("272", vm.tPlusFloorTextProperty().get());
        assertEquals("×2.1333", vm.ratioTextProperty().get());
        assertEquals("0 … 15", vm.inputRangeTextProperty().get());
        assertEquals("-7 … 7", vm.weightRangeTextProperty().get());
        assertEquals("-2,048 … 2,047", vm.accRangeTextProperty().get());
    }

    @Test
    void slidersRecomputeEverything() {
        vm.inputBitsProperty().set(8);
        vm.accBitsProperty().set(16);
        vm.signedInputsProperty().set(true);
        assertEquals(32767.0 / 128, vm.tA2qProperty().get(), 1e-12);
        assertEquals("32767/128 = 255.9922", vm.tA2qTextProperty().get());
        assertEquals("255", vm.tA2qFloorTextProperty().get());
        assertEquals("256", vm.tPlusFloorTextProperty().get());
        assertEquals("×1.0039", vm.ratioTextProperty().get());
        assertEquals("-128 … 127", vm.inputRangeTextProperty().get());
    }

    @Test
    void budgetBelowOneSwitchesTheChannelOff() {
        vm.inputBitsProperty().set(8);
        vm.accBitsProperty().set(8);
        assertEquals("0", vm.tA2qFloorTextProperty().get());
        assertEquals("0", vm.tPlusFloorTextProperty().get());
        assertTrue(vm.sparsityTextProperty().get().contains("at most 0 non-zero"));
    }

    @Test
    void dataTypeBoundFollowsK() {
        vm.dotLengthProperty().set(576);
        vm.inputBitsProperty().set(4);
        vm.weightBitsProperty().set(4);
        assertEquals("18 bits", vm.dataTypeBitsTextProperty().get());
        assertFalse(vm.dataTypeFitsProperty().get());
        vm.accBitsProperty().set(18);
        assertTrue(vm.dataTypeFitsProperty().get());
        vm.dotLengthProperty().set(64);
        vm.inputBitsProperty().set(8);
        vm.weightBitsProperty().set(8);
        assertEquals("23 bits", vm.dataTypeBitsTextProperty().get());
    }

    @Test
    void typedVectorUpdatesNormsAndWorstCase() {
        vm.weightsTextProperty().set("3, -5, 7, 0, -2, 1");
        assertEquals("18", vm.l1TextProperty().get());
        assertEquals("11 / 7", vm.posNegTextProperty().get());
        assertEquals("-105 … 165", vm.worstCaseTextProperty().get());
        assertEquals("exact 9 · A2Q 10 · A2Q+ 9", vm.widthsTextProperty().get());
        assertTrue(vm.a2qOkProperty().get());
        assertTrue(vm.exactOkProperty().get());

        vm.accBitsProperty().set(8);
        assertFalse(vm.exactOkProperty().get(), "165 does not fit in 8 bits");
        assertFalse(vm.a2qOkProperty().get(), "18 > T = 7.9375");
        assertTrue(vm.exactVerdictProperty().get().contains("needs 9 bits"));
    }

    @Test
    void badTextIsExplainedNotThrown() {
        vm.weightsTextProperty().set("3, x, 2");
        assertTrue(vm.vectorErrorProperty().get().contains("'x' is not an integer"));
        assertEquals("—", vm.l1TextProperty().get());
        assertNull(vm.worstCase());
        vm.weightsTextProperty().set("1 −1");
        assertEquals("", vm.vectorErrorProperty().get());
        assertEquals("2", vm.l1TextProperty().get());
    }

    @Test
    void weightsOutsideTheWeightRangeAreFlagged() {
        vm.weightBitsProperty().set(3);
        vm.weightsTextProperty().set("3, -5, 7");
        assertTrue(vm.vectorWarningProperty().get().contains("-5, 7"));
    }

    @Test
    void parserAcceptsCommonSeparators() {
        assertArrayEquals(new long[] {3, -5, 7, 0}, BoundExplorerViewModel.parseVector("[3; −5  7,+0]"));
        assertThrows(IllegalArgumentException.class, () -> BoundExplorerViewModel.parseVector("  "));
        assertThrows(IllegalArgumentException.class, () -> BoundExplorerViewModel.parseVector("1.5"));
    }
}
