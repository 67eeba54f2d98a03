package org.a2q.engine.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.a2q.engine.TestData;
import org.a2q.engine.data.Batcher;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class QuantizationErrorTest {
    private static final double EPS = 1e-12;

    @Test
    void weightErrorByHand() {
        // channel 0: errors 0.1, −0.1 → mse 0.01; channel 1: errors 0, 0.3, 0 → mse 0.03
        double[][] ref = {{0.6, -0.1}, {0.0, 0.8, -0.5}};
        double[][] q = {{0.5, 0.0}, {0.0, 0.5, -0.5}};
        long[][] ints = {{1, 0}, {0, 1, -1}};
        QuantizationError.WeightError e = QuantizationError.weightError(ref, q, ints);
        assertEquals(0.01, e.channelMse()[0], EPS);
        assertEquals(0.03, e.channelMse()[1], EPS);
        // layer: (0.01 + 0.01 + 0 + 0.09 + 0) / 5 = 0.022
        assertEquals(0.022, e.mse(), EPS);
        assertEquals(2.0 / 5, e.sparsity(), EPS);
        assertEquals(5, e.weights());
    }

    @Test
    void sqnrByHand() {
        // signal 3² + 4² = 25, noise 1² = 1 → 10·log10(25) = 13.9794 dB
        assertEquals(13.979400086720377, QuantizationError.sqnrDb(new double[] {3, 4}, new double[] {3, 3}), 1e-12);
        assertEquals(20.0, QuantizationError.sqnrDb(new double[] {10}, new double[] {9}), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, QuantizationError.sqnrDb(new double[] {1, 2}, new double[] {1, 2}));
    }

    @Test
    void histogramAndGrid() {
        QuantizationError.Histogram h = QuantizationError.histogram(new double[] {-1, -0.2, 0, 0.1, 0.99, 5}, 4, -1, 1);
        // bins [-1,-0.5) [-0.5,0) [0,0.5) [0.5,1]; 5 falls into the last bin
        assertArrayEquals(new long[] {1, 1, 2, 2}, h.counts());
        assertEquals(0.5, h.binWidth(), EPS);
        assertEquals(6, h.total());
        assertArrayEquals(new long[] {-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7},
                QuantizationError.gridLevels(4));
        assertArrayEquals(new long[] {-1, 0, 1}, QuantizationError.gridLevels(2));
    }

    @Test
    void quantizedWeightsAreOnTheGridWithinOneStepOfTheReference() {
        Graph g = Quantization.apply(ModelTemplates.create("lenet", 0), QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12),
                null, 0);
        List<QuantizationError.LayerError> errors = QuantizationError.layerErrors(g);
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2", "fc3"),
                errors.stream().map(QuantizationError.LayerError::name).toList());
        for (QuantizationError.LayerError e : errors) {
            long max = (1L << (e.weightBits() - 1)) - 1;
            for (int c = 0; c < e.reference().length; c++) {
                double s = e.scales()[c];
                for (int i = 0; i < e.reference()[c].length; i++) {
                    double level = e.quantized()[c][i] / s;
                    assertEquals(Math.rint(level), level, 1e-3, e.name());
                    // float32 ŵ: the level carries a relative rounding error of about 1e-7
                    assertTrue(Math.abs(level) <= max + 1e-4, e.name());
                    // round toward zero (A2Q) or to nearest (QAT), both inside the clamp: < one step
                    assertTrue(Math.abs(e.reference()[c][i] - e.quantized()[c][i]) <= s * (1 + 1e-5) ||
                            Math.abs(e.reference()[c][i]) > max * s, e.name());
                }
            }
            assertTrue(e.weights().mse() > 0, e.name());
        }
        assertEquals(8, errors.get(0).weightBits());
        assertEquals(4, errors.get(1).weightBits());
    }

    @Test
    void outputSqnrIsInfiniteAgainstItselfAndFiniteAgainstTheReference() {
        QuantConfig cfg = QuantConfig.of(QuantMethod.A2Q, 4, 4, 12);
        DatasetSplit d = TestData.sample();
        // Calibrated activation scales: with the defaults the small pooled activations all round to 0,
        // and the models would agree exactly from conv2 on.
        Graph q = Quantization.apply(ModelTemplates.create("lenet", 0), cfg, d.train(), 2);
        Graph same = Quantization.apply(ModelTemplates.create("lenet", 0), cfg, d.train(), 2);
        Graph ref = Quantization.apply(ModelTemplates.create("lenet", 0), cfg, d.train(), 2);
        QuantizationError.useReferenceWeights(ref);
        Batcher b = new Batcher(d.test(), 32);
        int[] items = new int[32];
        for (int i = 0; i < items.length; i++) {
            items[i] = i;
        }
        INDArray x = b.fill(items, 0, 32).features().dup();
        List<String> nodes = List.of("conv1", "conv2", "fc1", "fc2", "fc3");
        Map<String, Double> self = QuantizationError.outputSqnr(q, same, x, nodes);
        for (String n : nodes) {
            assertEquals(Double.POSITIVE_INFINITY, self.get(n), n);
        }
        Map<String, Double> s = QuantizationError.outputSqnr(q, ref, x, nodes);
        for (String n : nodes) {
            assertTrue(Double.isFinite(s.get(n)), n + " " + s.get(n));
        }
        // conv1 is the first layer: its input is the same in both models, so its SQNR is that of
        // its 8-bit weights alone, well above the 4-bit hidden layers downstream.
        assertTrue(s.get("conv1") > s.get("fc2"), s.toString());
        assertFalse(s.get("conv1") < 20, s.toString());
    }
}
