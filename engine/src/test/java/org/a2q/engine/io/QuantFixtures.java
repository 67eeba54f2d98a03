package org.a2q.engine.io;

import org.a2q.engine.TestData;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.Quantization;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.Trainer;

/** Briefly trained quantized models shared by the quantized-export tests (built once per JVM). */
final class QuantFixtures {
    private static Graph lenetA2qPlus;

    private QuantFixtures() { }

    /**
     * LeNet, W4A4 A2Q+ at P = 12 (first/last layers 8-bit per-channel QAT, the engine's defaults):
     * float-trained for a few steps, then QAT for a few more so scales and weights are not at their
     * initial values.
     */
    static synchronized Graph lenetA2qPlus() {
        if (lenetA2qPlus == null) {
            DatasetSplit data = TestData.sample();
            Graph f = ModelTemplates.create("lenet", 3);
            new Trainer(f, TrainConfig.defaults(1).withMaxStepsPerEpoch(40)).fit(data.train(), null, Cancellation.none());
            Graph q = Quantization.apply(f, QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12), data.train(), 2);
            new Trainer(q, TrainConfig.defaults(1).withMaxStepsPerEpoch(10)).fit(data.train(), null, Cancellation.none());
            lenetA2qPlus = q;
        }
        return lenetA2qPlus;
    }
}
