package org.a2q.engine.nn;

import java.util.function.BiFunction;
import org.a2q.engine.EngineRuntime;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One of ND4J's legacy elementwise ops (Abs, Sign, Step, ...) run through a reusable context,
 * the legacy counterpart of {@link NativeOp}. A freshly built legacy op measured 12–32 µs of
 * dispatch even on 150 values, through a context 1.2 µs there (perf-notes.md). The op object is
 * built once per data type; a legacy op reads its scalar argument from the object, not from the
 * context, so that argument is fixed per instance.
 */
public final class LegacyOp {
    private final BiFunction<INDArray, INDArray, Op> factory;
    private final OpContext context = Nd4j.getExecutioner().buildContext();
    private Op op;
    private DataType type;
    private INDArray boundInput;    // the arrays bound at the last call (rebinding allocates, see NativeOp)
    private INDArray boundOutput;

    /** @param factory builds the op for an input and an output (called again only when the type changes) */
    public LegacyOp(BiFunction<INDArray, INDArray, Op> factory) {
        this.factory = factory;
    }

    /** out = op(x); x and out of the same shape and type (out may be x). */
    public void exec(INDArray x, INDArray out) {
        if (op == null || x.dataType() != type) {
            op = factory.apply(x, out);
            type = x.dataType();
        }
        if (x != boundInput) {
            context.setInputArrays(x);
            boundInput = x;
        }
        if (out != boundOutput) {
            context.setOutputArrays(out);
            boundOutput = out;
        }
        boolean small = EngineRuntime.beginSmallOp(x.length());
        try {
            Nd4j.getExecutioner().exec(op, context);
        } finally {
            if (small) {
                EngineRuntime.endSmallOp();
            }
        }
    }
}
