package org.a2q.engine.sweep;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Locale;
import org.a2q.engine.EngineException;
import org.a2q.engine.quant.InitMode;
import org.a2q.engine.quant.QuantConfig;
import org.a2q.engine.quant.QuantMethod;

/**
 * Everything one sweep point needs, written as {@code job.json} in the point's directory so that
 * the point can be run by any process (this sweep, a scheduler, another machine) and its result
 * checked against the exact configuration that produced it.
 *
 * @param accBits        P of the hidden layers; null for unconstrained QAT, whose training does not
 *                       depend on P (it is trained once per sweep and judged against every P)
 * @param from           the float run the point starts from
 * @param data           IDX data directory
 * @param stepsPerEpoch  0 for whole epochs
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SweepJob(int format, String model, String from, String data, String method, int weightBits, int actBits,
                       Integer accBits, String init, int epochs, int stepsPerEpoch, int batch, double lr, long seed,
                       int calibrationBatches) {
    /** Bumped when the meaning of a field changes, so old result files are recomputed rather than misread. */
    public static final int FORMAT = 1;

    public SweepJob {
        QuantMethod m = QuantMethod.parse(method);
        if (m != QuantMethod.QAT && !m.constrained()) {
            throw new EngineException("sweep methods are qat, a2q and a2q+; got " + method);
        }
        if (m.constrained() && accBits == null) {
            throw new EngineException(method + " needs an accumulator width P");
        }
        if (m == QuantMethod.QAT) {
            // P does not enter QAT training; keeping it out of the job makes one QAT point serve every P.
            accBits = null;
        }
        method = m.label();
        parseInit(init);
    }

    public QuantMethod quantMethod() {
        return QuantMethod.parse(method);
    }

    /** The model-wide quantization config; QAT gets a nominal P because its layers ignore it. */
    public QuantConfig quantConfig() {
        int p = accBits != null ? accBits : 32;
        return QuantConfig.of(quantMethod(), weightBits, actBits, p).withInit(parseInit(init));
    }

    /** Directory name of the point: points/a2q-P12, points/a2qplus-P12, points/qat (no '+' for shells). */
    public String pointName() {
        String m = method.replace("+", "plus");
        return accBits == null ? m : m + "-P" + accBits;
    }

    static InitMode parseInit(String s) {
        return switch (s == null ? "" : s.toLowerCase(Locale.ROOT)) {
            case "ep" -> InitMode.EP;
            case "naive" -> InitMode.NAIVE;
            default -> throw new EngineException("init must be ep or naive, got " + s);
        };
    }
}
