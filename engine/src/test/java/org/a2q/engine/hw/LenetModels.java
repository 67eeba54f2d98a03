package org.a2q.engine.hw;

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

/**
 * The two quantized LeNets the integer-model tests run (built once per JVM, only read): from one
 * briefly trained float model, W4A4 A2Q+ at P = 12 (first/last layers 8-bit) and W4A4
 * unconstrained QAT, each trained for a few more steps.
 */
final class LenetModels {
    private static Graph a2qPlus;
    private static Graph qat;

    private LenetModels() { }

    static synchronized Graph a2qPlus() {
        build();
        return a2qPlus;
    }

    static synchronized Graph qat() {
        build();
        return qat;
    }

    private static void build() {
        if (a2qPlus != null) {
            return;
        }
        DatasetSplit data = TestData.sample();
        Graph f = ModelTemplates.create("lenet", 0);
        new Trainer(f, TrainConfig.defaults(1).withMaxStepsPerEpoch(60)).fit(data.train(), null, Cancellation.none());
        Graph f2 = ModelTemplates.create("lenet", 0);
        f2.valueArena().assign(f.valueArena());
        a2qPlus = Quantization.apply(f, QuantConfig.of(QuantMethod.A2Q_PLUS, 4, 4, 12), data.train(), 2);
        new Trainer(a2qPlus, TrainConfig.defaults(1).withMaxStepsPerEpoch(15)).fit(data.train(), null, Cancellation.none());
        qat = Quantization.apply(f2, QuantConfig.of(QuantMethod.QAT, 4, 4, 32), data.train(), 2);
        new Trainer(qat, TrainConfig.defaults(1).withMaxStepsPerEpoch(15)).fit(data.train(), null, Cancellation.none());
    }
}
