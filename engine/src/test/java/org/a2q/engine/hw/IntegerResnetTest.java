package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.a2q.engine.TestData;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The ResNet template in integers: strided 3×3 convs, 1×1 strided shortcut convs, batch-norm,
 * residual adds and global average pooling. Batch-norm, the add (of a requantised branch and a
 * quantizer's codes as s·q) and the average pool are float scale arithmetic between two quantizers,
 * run as the layers' own eval-mode passes, as in the fake-quantized model; every conv/linear is an
 * integer dot product.
 */
class IntegerResnetTest {
    private static DatasetSplit data;
    /** W4A4 A2Q+ at P = 12 (stem and fc 8-bit), from a briefly trained float ResNet, briefly trained. */
    private static Graph resnet;

    @BeforeAll
    static void model() {
        data = TestData.sample();
        Graph f = ModelTemplates.create("resnet", 0);
        new Trainer(f, TrainConfig.defaults(1).withMaxStepsPerEpoch(125)).fit(data.train(), null, Cancellation.none());
        resnet = Quantization.apply(f, QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12), data.train(), 2);
        new Trainer(resnet, TrainConfig.defaults(1).withMaxStepsPerEpoch(60)).fit(data.train(), null, Cancellation.none());
    }

    @Test
    void everyConvIncludingStridedAndShortcutIsAnIntegerLayer() {
        IntegerModel m = IntegerModel.compile(resnet, AccumulatorPolicy.AS_TRAINED);
        assertEquals(10, m.layers().size());
        IntegerLayer down = m.layer("block2.down.conv");   // 1×1, stride 2, 16 → 32 channels, 14×14 → 7×7
        assertEquals(16, down.dotLength());
        assertEquals(49, down.pixels());
        IntegerLayer c3 = m.layer("block3.conv2");         // 3×3 over 64 channels
        assertEquals(576, c3.dotLength());
        assertEquals(16, c3.pixels());
        assertEquals(12, c3.accBits());
        assertEquals(32, m.layer("stem.conv").accBits());  // first and last stay wide
        assertEquals(32, m.layer("fc").accBits());
    }

    /**
     * On the bundled 2,000 test images the integer model in EXACT mode predicts the fake-quantized
     * model's class for at least 99.9 % of them (both run batch-norm, adds and pooling the same way;
     * they differ only in the float rounding of the conv sums). The model is trained enough that the
     * agreement is not that of a constant classifier.
     */
    @Test
    void exactModeAgreesWithTheFakeQuantizedResnet() {
        IntegerModel m = IntegerModel.compile(resnet, AccumulatorPolicy.AS_TRAINED);
        IntegerModel.Result r = m.evaluate(data.test(), 0, AccumulatorMode.EXACT, false, true, 250);
        int[] perClass = new int[10];
        for (int p : r.predictions()) {
            perClass[p]++;
        }
        long classes = java.util.Arrays.stream(perClass).filter(n -> n > 20).count();
        System.out.printf("resnet EXACT: accuracy %.4f, float %.4f, agreement %d/%d, classes predicted %s%n",
                r.accuracy(), r.floatAccuracy(), r.agreeing(), r.images(), java.util.Arrays.toString(perClass));
        assertEquals(2000, r.images());
        assertTrue(r.agreement() >= 0.999, "agreement " + r.agreement());
        assertTrue(r.accuracy() > 0.4, "accuracy " + r.accuracy());
        assertTrue(classes >= 8, "predicted classes " + java.util.Arrays.toString(perClass));
    }

    /** A2Q+ at the trained P: no dot product of any hidden conv overflows, so every mode predicts alike. */
    @Test
    void a2qPlusResnetNeverOverflowsAtItsWidth() {
        IntegerModel m = IntegerModel.compile(resnet, AccumulatorPolicy.AS_TRAINED);
        IntegerModel.Result exact = m.evaluate(data.test(), 500, AccumulatorMode.EXACT, false, false, 250);
        for (AccumulatorMode mode : new AccumulatorMode[] {AccumulatorMode.WRAP, AccumulatorMode.SATURATE}) {
            IntegerModel.Result r = m.evaluate(data.test(), 500, mode, true, false, 250);
            for (Map.Entry<String, OverflowTally> e : r.tallies().entrySet()) {
                assertEquals(0, e.getValue().totalExcursions(), mode + " " + e.getKey());
                assertTrue(e.getValue().bitsNeeded() <= m.layer(e.getKey()).accBits(), e.getKey());
            }
            assertArrayEquals(exact.predictions(), r.predictions(), mode.name());
        }
    }

    /**
     * The batched path against the per-image reference on 40 images, every mode, with every layer at
     * P = 10 so registers wrap and clip: codes, registers, tallies and logits are identical.
     */
    @Test
    void batchedPathEqualsThePerImagePath() {
        int[] items = new int[40];
        for (int i = 0; i < items.length; i++) {
            items[i] = 7 * i;
        }
        INDArray x = new Batcher(data.test(), 40).fill(items, 0, 40).features();
        IntegerModel m = IntegerModel.compile(resnet, AccumulatorPolicy.all(10), new Folding(4, 4));
        long wrong = 0;
        for (AccumulatorMode mode : AccumulatorMode.values()) {
            Map<String, OverflowTally> fastTally = m.newTallies();
            Map<String, OverflowTally> refTally = m.newTallies();
            IntegerModel.Capture fast = m.capture(x, mode, fastTally, false);
            IntegerModel.Capture ref = m.capture(x, mode, refTally, true);
            assertEquals(ref.codes().keySet(), fast.codes().keySet());
            for (String q : ref.codes().keySet()) {
                assertArrayEquals(ref.codes().get(q), fast.codes().get(q), mode + " codes of " + q);
            }
            for (String l : ref.registers().keySet()) {
                assertArrayEquals(ref.registers().get(l), fast.registers().get(l), mode + " registers of " + l);
                assertEquals(refTally.get(l).channels(), fastTally.get(l).channels(), mode + " tally of " + l);
                wrong += mode == AccumulatorMode.EXACT ? 0 : fastTally.get(l).totalMismatches();
            }
            assertArrayEquals(ref.logits(), fast.logits(), mode + " logits");
        }
        assertTrue(wrong > 100, "P = 10 should overflow some dot products, got " + wrong);
    }
}
