package org.a2q.engine.hw;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

import org.a2q.engine.TestData;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput of integer inference on a W4A4 A2Q+ LeNet (P = 12 hidden, 32 first/last), per mode,
 * with and without overflow statistics. Runs only with {@code -Da2q.bench=true}; the test set is the
 * bundled sample unless {@code -Da2q.bench.data=DIR} names a full IDX directory. Speed does not
 * depend on training, so the model is quantized from a fresh float LeNet. Times cover the integer
 * model alone (quantizer round/clamp, im2col, dot products, requantisation, float ops between).
 */
@Tag("slow")
class IntegerModelBenchmarkTest {
    @Test
    void imagesAndMacsPerSecond() {
        assumeTrue(Boolean.getBoolean("a2q.bench"), "set -Da2q.bench=true to run");
        DatasetSplit sample = TestData.sample();
        String dir = System.getProperty("a2q.bench.data");
        DatasetSplit test = dir == null ? sample : IdxDatasets.loadSplit(Path.of(dir));
        Graph g = Quantization.apply(ModelTemplates.create("lenet", 0), QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12),
                sample.train(), 2);
        IntegerModel m = IntegerModel.compile(g, AccumulatorPolicy.AS_TRAINED);
        System.out.printf("LeNet: %,d MACs per image, %,d test images%n", m.macsPerImage(), test.test().size());
        m.evaluate(test.test(), 500, AccumulatorMode.EXACT, false, false, 250);   // warm-up (JIT)
        for (boolean stats : new boolean[] {false, true}) {
            for (AccumulatorMode mode : AccumulatorMode.values()) {
                IntegerModel.Result r = m.evaluate(test.test(), 0, mode, stats, false, 250);
                System.out.printf("%-8s %-10s %6d images  %8.1f images/s  %8.1f MMAC/s  accuracy %.2f%%%n", mode,
                        stats ? "stats" : "fast", r.images(), r.imagesPerSecond(), r.macsPerSecond() / 1e6,
                        r.accuracy() * 100);
            }
        }
    }
}
