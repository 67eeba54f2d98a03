package org.a2q.engine.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.a2q.engine.EngineException;
import org.a2q.engine.quant.InitMode;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;
import org.a2q.engine.quant.ScaleDomain;
import picocli.CommandLine.Option;

/** Quantization flags shared by quantize, train and sweep. */
final class QuantOptions {
    @Option(names = "--method", description = "fp32, ptq, qat, a2q or a2q+ for the hidden layers (first/last: 8-bit, unconstrained).")
    String method;

    @Option(names = "--weight-bits", defaultValue = "4", description = "M: weight bits of hidden layers (default ${DEFAULT-VALUE}).")
    int weightBits;

    @Option(names = "--act-bits", defaultValue = "4", description = "N: activation bits after each ReLU (default ${DEFAULT-VALUE}).")
    int actBits;

    @Option(names = "--acc-bits", defaultValue = "16", description = "P: accumulator bits of hidden layers (default ${DEFAULT-VALUE}).")
    int accBits;

    @Option(names = "--init", defaultValue = "ep", description = "naive or ep (Euclidean projection, default).")
    String init;

    @Option(names = "--scale-domain", defaultValue = "log2", description = "log2 (default) or float: how scales are learned.")
    String scaleDomain;

    @Option(names = "--edge-bits", defaultValue = "8", description = "Weight bits of the first and last layers (default ${DEFAULT-VALUE}).")
    int edgeBits;

    @Option(names = "--layer-config", description = "JSON file of per-layer overrides, e.g. {\"conv2\": {\"weightBits\": 6, \"accBits\": 14}}.")
    Path layerConfig;

    @Option(names = "--calibration-batches", defaultValue = "8", description = "Batches of 64 used to set activation scales.")
    int calibrationBatches;

    boolean requested() {
        return method != null && QuantMethod.parse(method) != QuantMethod.FP32;
    }

    QuantConfig config() {
        QuantMethod m = QuantMethod.parse(method == null ? "fp32" : method);
        InitMode i = switch (init.toLowerCase(Locale.ROOT)) {
            case "ep" -> InitMode.EP;
            case "naive" -> InitMode.NAIVE;
            default -> throw new EngineException("--init must be ep or naive, got " + init);
        };
        ScaleDomain d = switch (scaleDomain.toLowerCase(Locale.ROOT)) {
            case "log2" -> ScaleDomain.LOG2;
            case "float" -> ScaleDomain.FLOAT;
            default -> throw new EngineException("--scale-domain must be log2 or float, got " + scaleDomain);
        };
        Map<String, QuantConfig.LayerOverride> o = layerConfig == null ? Map.of() : QuantConfig.readOverrides(layerConfig);
        return new QuantConfig(m, weightBits, actBits, accBits, i, d, edgeBits, 8, o);
    }
}
