package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;

import org.a2q.engine.EngineException;
import org.a2q.engine.TestData;
import org.a2q.engine.data.Batch;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.AccumulatorBound;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.train.Cancellation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The integer pipeline against the fake-quantized float model it was compiled from, the overflow
 * guarantee of A2Q+ in every register mode, overflows of an unconstrained model on a narrow register,
 * and im2col + engine against a plain convolution loop.
 */
class IntegerModelTest {
    private static DatasetSplit data;
    /** W4A4 A2Q+ at P = 12 (first/last layers 8-bit QAT), briefly trained. */
    private static Graph a2qPlus;
    /** W4A4 unconstrained QAT from the same float model. */
    private static Graph qat;

    @BeforeAll
    static void models() {
        data = TestData.sample();
        a2qPlus = LenetModels.a2qPlus();
        qat = LenetModels.qat();
    }

    /**
     * A simulation cancelled from another thread stops between batches and reports the images it
     * finished; the interrupt flag (which Cancellation also honours) stops it before the first.
     */
    @Test
    void simulationCanBeCancelled() throws Exception {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED);
        Thread.currentThread().interrupt();
        IntegerModel.Result none;
        try {
            none = m.evaluate(data.test(), 0, AccumulatorMode.WRAP, true, false, 100, new Cancellation());
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, none.images());
        assertEquals(0, none.predictions().length);

        Cancellation c = new Cancellation();
        java.util.concurrent.atomic.AtomicReference<IntegerModel.Result> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> result.set(m.evaluate(data.test(), 0, AccumulatorMode.SATURATE, true, false, 50, c)));
        t.start();
        Thread.sleep(300);
        c.cancel();
        t.join(60_000);
        IntegerModel.Result r = result.get();
        assertTrue(r.images() < 2000 && r.images() % 50 == 0, "stopped between batches after " + r.images());
        assertEquals(r.images(), r.predictions().length);
    }

    @Test
    void exactModeAgreesWithTheFakeQuantizedModelOnTheBundledTestSet() {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED);
        IntegerModel.Result r = m.evaluate(data.test(), 0, AccumulatorMode.EXACT, false, true, 250);
        assertEquals(2000, r.images());
        System.out.printf("EXACT: accuracy %.4f, float %.4f, agreement %d/%d%n", r.accuracy(), r.floatAccuracy(),
                r.agreeing(), r.images());
        assertTrue(r.agreement() >= 0.999, "agreement " + r.agreement());
        assertTrue(r.accuracy() > 0.3, "the briefly trained model should classify, accuracy " + r.accuracy());
        assertEquals(r.floatAccuracy(), r.accuracy(), 0.002);
    }

    @Test
    void a2qPlusAtItsWidthNeverOverflowsInAnyMode() {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED);
        assertEquals(12, m.layer("conv2").accBits());
        assertEquals(12, m.layer("fc2").accBits());
        assertEquals(32, m.layer("conv1").accBits());
        assertEquals(32, m.layer("fc3").accBits());
        IntegerModel.Result exact = m.evaluate(data.test(), 500, AccumulatorMode.EXACT, true, false, 250);
        for (AccumulatorMode mode : new AccumulatorMode[] {AccumulatorMode.WRAP, AccumulatorMode.SATURATE}) {
            IntegerModel.Result r = m.evaluate(data.test(), 500, mode, true, false, 250);
            for (Map.Entry<String, OverflowTally> e : r.tallies().entrySet()) {
                assertEquals(0, e.getValue().totalMismatches(), mode + " " + e.getKey());
                assertEquals(0, e.getValue().totalExcursions(), mode + " " + e.getKey());
                assertTrue(e.getValue().bitsNeeded() <= m.layer(e.getKey()).accBits());
            }
            assertArrayEquals(exact.predictions(), r.predictions(), mode.name());
            assertEquals(exact.correct(), r.correct());
        }
        // the data really exercises the register: conv2's partial sums use most of its 12 bits
        assertTrue(exact.tallies().get("conv2").bitsNeeded() >= 8, "conv2 needed " + exact.tallies().get("conv2").bitsNeeded());
    }

    @Test
    void unconstrainedModelOverflowsANarrowRegister() {
        IntegerModel wide = IntegerModel.compile(qat, AccumulatorPolicy.AS_TRAINED);
        IntegerModel narrow = IntegerModel.compile(qat, AccumulatorPolicy.hidden(10));
        assertEquals(10, narrow.layer("conv2").accBits());
        assertEquals(32, narrow.layer("conv1").accBits());
        IntegerModel.Result ok = wide.evaluate(data.test(), 300, AccumulatorMode.WRAP, true, false, 100);
        assertEquals(0, ok.tallies().values().stream().mapToLong(OverflowTally::totalMismatches).sum());
        IntegerModel.Result wrap = narrow.evaluate(data.test(), 300, AccumulatorMode.WRAP, true, false, 100);
        long wrong = wrap.tallies().values().stream().mapToLong(OverflowTally::totalMismatches).sum();
        long excursions = wrap.tallies().values().stream().mapToLong(OverflowTally::totalExcursions).sum();
        System.out.printf("QAT at P=10, WRAP: %d wrong dot products, %d excursions, accuracy %.4f (P=32: %.4f)%n",
                wrong, excursions, wrap.accuracy(), ok.accuracy());
        assertTrue(wrong > 0, "expected overflows at P=10");
        assertTrue(excursions >= wrong, "every wrong WRAP result had an excursion");
        assertTrue(wrap.tallies().get("conv2").bitsNeeded() > 10);
        // and the rules say so before running anything: the exact width of the layer exceeds 10
        assertTrue(narrow.layer("conv2").widths().exact() > 10);
    }

    @Test
    void adversarialInputReachesButNeverCrossesTheBound() {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED);
        for (String name : new String[] {"conv2", "fc1", "fc2"}) {
            IntegerLayer l = m.layer(name);
            MatVecEngine e = l.engine(AccumulatorMode.EXACT);
            long limit = PBitArithmetic.maxValue(l.accBits());
            for (int c = 0; c < l.outputChannels(); c++) {
                WorstCase w = e.worstCase(c);
                MacTrace hi = AdversarialInput.maximizingTrace(e, c);
                MacTrace lo = AdversarialInput.minimizingTrace(e, c);
                assertEquals(w.hi(), hi.exactResult(), name + "[" + c + "]");
                assertEquals(w.lo(), lo.exactResult(), name + "[" + c + "]");
                assertFalse(hi.overflowed() || lo.overflowed(), name + "[" + c + "]");
                for (TraceStep s : hi.steps()) {
                    assertTrue(Math.abs(s.exactPartialSum()) <= limit);
                }
                for (TraceStep s : lo.steps()) {
                    assertTrue(Math.abs(s.exactPartialSum()) <= limit);
                }
                // the one-sided A2Q+ budget, in exact integers: (2^N − 1)·max(Pos, Neg) ≤ 2^(P−1) − 1
                assertTrue(Math.max(w.positiveSum(), w.negativeSum())
                        <= AccumulatorBound.floorPlusOneSided(l.accBits(), l.format().bits()));
            }
        }
    }

    /** conv1 reads the 8-bit pixel codes directly, so a plain 6-deep loop over pixels is its reference. */
    @Test
    void firstConvEqualsAPlainConvolutionLoop() {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED);
        IntegerLayer conv1 = m.layer("conv1");
        Batch b = new Batcher(data.test(), 1).fill(new int[] {7}, 0, 1);
        int[][] patches = m.layerInput("conv1", b.features(), AccumulatorMode.EXACT);
        long[][] acc = conv1.engine(AccumulatorMode.EXACT).compute(patches, null);
        int[][] q = conv1.weights().toArray();
        int h = 28;
        int w = 28;
        for (int c = 0; c < 6; c++) {
            for (int oy = 0; oy < 28; oy++) {
                for (int ox = 0; ox < 28; ox++) {
                    long s = 0;
                    for (int a = 0; a < 5; a++) {
                        for (int d = 0; d < 5; d++) {
                            int y = oy - 2 + a;
                            int x = ox - 2 + d;
                            if (y >= 0 && y < h && x >= 0 && x < w) {
                                s += (long) q[c][a * 5 + d] * data.test().pixel(7, 0, y, x);
                            }
                        }
                    }
                    assertEquals(s, acc[oy * 28 + ox][c], "channel " + c + " at " + oy + "," + ox);
                }
            }
        }
    }

    /** Stride and padding on several input channels, against the definition, on random codes. */
    @Test
    void stridedPaddedConvEqualsTheDefinition() {
        SplittableRandom r = new SplittableRandom(5);
        int cin = 3;
        int cout = 4;
        int kh = 3;
        int kw = 2;
        int h = 7;
        int w = 6;
        int[][] rows = new int[cout][cin * kh * kw];
        for (int[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextInt(-7, 8);
            }
        }
        InputFormat fmt = InputFormat.signed(4);
        IntegerLayer l = new IntegerLayer("t", true, new IntWeights(rows), new double[] {1, 1, 1, 1}, new double[4], fmt,
                1.0, "q", QuantMethod.QAT, 4, 0, 32, false, null, 0, new int[] {cin, h, w, kh, kw, 2, 2, 1, 1},
                Folding.SEQUENTIAL);
        int[] x = new int[cin * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(fmt.min(), fmt.max() + 1);
        }
        int[][] patches = l.newPatches();
        l.im2col(x, patches);
        long[][] acc = l.engine(AccumulatorMode.EXACT).compute(patches, null);
        assertEquals(4, l.outH());
        assertEquals(4, l.outW());
        for (int c = 0; c < cout; c++) {
            for (int oy = 0; oy < l.outH(); oy++) {
                for (int ox = 0; ox < l.outW(); ox++) {
                    long s = 0;
                    for (int ci = 0; ci < cin; ci++) {
                        for (int a = 0; a < kh; a++) {
                            for (int d = 0; d < kw; d++) {
                                int y = oy * 2 - 1 + a;
                                int xx = ox * 2 - 1 + d;
                                if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                    s += (long) rows[c][(ci * kh + a) * kw + d] * x[(ci * h + y) * w + xx];
                                }
                            }
                        }
                    }
                    assertEquals(s, acc[oy * l.outW() + ox][c]);
                }
            }
        }
    }

    @Test
    void floatLayersAreRejectedByName() {
        Graph f = ModelTemplates.create("lenet", 1);
        EngineException e = assertThrows(EngineException.class,
                () -> IntegerModel.compile(f, AccumulatorPolicy.AS_TRAINED));
        assertTrue(e.getMessage().contains("'conv1' is not quantized"), e.getMessage());
    }

    @Test
    void foldingIsFittedPerLayerAndSaturateStillSafe() {
        IntegerModel m = IntegerModel.compile(a2qPlus, AccumulatorPolicy.AS_TRAINED, new Folding(8, 16));
        assertEquals(new Folding(8, 15), m.layer("conv2").folding());   // MH=16, MW=150: 15 is the largest divisor ≤ 16
        assertEquals(new Folding(6, 5), m.layer("conv1").folding());    // MH=6, MW=25
        IntegerModel.Result r = m.evaluate(data.test(), 100, AccumulatorMode.SATURATE, true, false, 100);
        assertEquals(0, r.tallies().values().stream().mapToLong(OverflowTally::totalExcursions).sum());
        INDArray one = new Batcher(data.test(), 1).fill(new int[] {0}, 0, 1).features();
        assertEquals(1, m.forward(one, AccumulatorMode.EXACT, null).length);
    }
}
