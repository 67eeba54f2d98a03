package org.a2q.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.a2q.app.vm.MacArrayViewModel.InputChoice;
import org.a2q.app.vm.MacArrayViewModel.Simulation;
import org.a2q.engine.hw.AccumulatorMode;
import org.a2q.engine.hw.AdversarialInput;
import org.a2q.engine.hw.Folding;
import org.a2q.engine.hw.InputFormat;
import org.a2q.engine.hw.IntWeights;
import org.a2q.engine.hw.MacTrace;
import org.a2q.engine.hw.MatVecEngine;
import org.junit.jupiter.api.Test;

/** The animation cursor and the simulation hand-over, without the JavaFX toolkit or the worker. */
class MacArrayViewModelTest {
    // Worst case 7·(3 + 5 + 1 + 2) = 77 rises past a 6-bit register's 31 at the second update.
    private static final IntWeights W = IntWeights.ofRow(3, 5, 1, 2);
    private static final InputFormat U3 = InputFormat.unsigned(3);

    private final MacArrayViewModel vm = new MacArrayViewModel(new SessionViewModel(new TaskRunner((t, m) -> { }),
            (t, m) -> { }));

    private static Simulation simulation(int p, int simd) {
        MacTrace wrap = AdversarialInput.maximizingTrace(new MatVecEngine(W, U3, p, AccumulatorMode.WRAP,
                new Folding(1, simd)), 0);
        MacTrace sat = AdversarialInput.maximizingTrace(new MatVecEngine(W, U3, p, AccumulatorMode.SATURATE,
                new Folding(1, simd)), 0);
        int diverge = -1;
        for (int i = 0; i < wrap.steps().size() && diverge < 0; i++) {
            if (wrap.steps().get(i).register() != sat.steps().get(i).register()) {
                diverge = i;
            }
        }
        return new Simulation("fc", "a2q+", 0, InputChoice.ADVERSARIAL_MAX, 0, "adversarial", 0, wrap, sat,
                -(1L << (p - 1)), (1L << (p - 1)) - 1, new MatVecEngine(W, U3, p, AccumulatorMode.WRAP).worstCase(0), 1,
                4, 1, 12, 4 / simd, 10, diverge);
    }

    @Test
    void stepsWalkBothTracesInLockstep() {
        Simulation s = simulation(6, 1);
        vm.publish(s);
        assertEquals(-1, vm.cursorProperty().get());
        assertNull(vm.wrapStepProperty().get());
        for (int i = 0; i < s.steps(); i++) {
            vm.step();
            assertEquals(i, vm.cursorProperty().get());
            assertEquals(s.wrap().steps().get(i), vm.wrapStepProperty().get());
            assertEquals(s.saturate().steps().get(i), vm.saturateStepProperty().get());
        }
        vm.step();
        assertEquals(s.steps() - 1, vm.cursorProperty().get(), "no step past the last");
        vm.stepBack();
        assertEquals(s.steps() - 2, vm.cursorProperty().get());
        vm.reset();
        assertEquals(-1, vm.cursorProperty().get());
        vm.stepBack();
        assertEquals(-1, vm.cursorProperty().get(), "no step before the start");
    }

    @Test
    void playingStopsAtTheEndAndReplaysFromTheStart() {
        Simulation s = simulation(6, 1);
        vm.publish(s);
        vm.advance();
        assertEquals(-1, vm.cursorProperty().get(), "the timer does nothing while paused");
        vm.togglePlay();
        assertTrue(vm.playingProperty().get());
        for (int i = 0; i < 10; i++) {
            vm.advance();
        }
        assertFalse(vm.playingProperty().get(), "stops by itself at the last cycle");
        assertEquals(s.steps() - 1, vm.cursorProperty().get());
        vm.togglePlay();
        assertTrue(vm.playingProperty().get());
        assertEquals(-1, vm.cursorProperty().get(), "play at the end starts over");
        vm.togglePlay();
        assertFalse(vm.playingProperty().get());
    }

    @Test
    void seekClampsToTheTrace() {
        vm.publish(simulation(6, 1));
        vm.seek(99);
        assertEquals(3, vm.cursorProperty().get());
        vm.seek(-5);
        assertEquals(-1, vm.cursorProperty().get());
    }

    @Test
    void aNewWidthKeepsTheCycleAndANewShapeStartsOver() {
        vm.publish(simulation(6, 1));
        vm.seek(2);
        Simulation wider = simulation(8, 1);
        vm.publish(wider);
        assertEquals(2, vm.cursorProperty().get(), "same dot product, other P: stay on the cycle");
        assertEquals(wider.wrap().steps().get(2), vm.wrapStepProperty().get(), "showing the new trace there");
        vm.publish(simulation(8, 2));
        assertEquals(-1, vm.cursorProperty().get(), "another folding: a different schedule, so from the start");
    }

    @Test
    void summaryQuotesTheTraces() {
        Simulation s = simulation(6, 1);
        assertEquals(1, s.wrap().firstOverflowStep());
        assertEquals(1, s.divergenceStep());
        String text = MacArrayViewModel.summaryOf(s);
        assertTrue(text.contains("exact result 77, needs 8 bits"), text);
        assertTrue(text.contains("first overflow at step 1 (cycle 1); wrap ends wrong, saturate ends wrong"), text);
    }

    @Test
    void largestLegalValueNotAboveTheWish() {
        assertEquals(5, MacArrayViewModel.largestNotAbove(List.of(1, 2, 3, 5, 6, 10), 5));
        assertEquals(3, MacArrayViewModel.largestNotAbove(List.of(1, 2, 3, 5), 4));
        assertEquals(1, MacArrayViewModel.largestNotAbove(List.of(1, 7), 6));
    }

    @Test
    void traceFilesAreNamedAfterWhatWasTraced() {
        assertEquals("trace-fc-ch0-adversarial-P6", ExportViewModel.traceBaseName(simulation(6, 1)));
    }
}
