package org.a2q.engine.nn;

import org.a2q.engine.EngineRuntime;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One libnd4j custom op bound once to a reusable {@link OpContext} with its integer and float
 * arguments. Executing through a prebuilt context costs ~2.4 µs of dispatch instead of ~15 µs for
 * a freshly built op (measured in perf-notes.md), which matters because a LeNet step is only
 * ~40 native calls of 10–2000 µs each.
 */
public final class NativeOp {
    private final String name;
    private final DynamicCustomOp op;
    private final OpContext context;
    // The arrays bound at the last call. Binding costs ~1 µs per call (of ~2.7 µs for a small op)
    // and layers call with the same preallocated arrays every step, so unchanged ones are not rebound.
    private INDArray[] boundInputs = new INDArray[0];
    private INDArray[] boundOutputs = new INDArray[0];
    private long largest;   // elements of the largest bound array: picks the thread count

    public NativeOp(String name, long... integerArgs) {
        this.name = name;
        this.op = DynamicCustomOp.builder(name).build();
        this.context = Nd4j.getExecutioner().buildContext();
        if (integerArgs.length > 0) {
            context.setIArguments(integerArgs);
        }
    }

    public NativeOp withFloatArgs(double... args) {
        context.setTArguments(args);
        return this;
    }

    public NativeOp withBoolArgs(boolean... args) {
        context.setBArguments(args);
        return this;
    }

    /** Runs the op on the given inputs, writing into the given (preallocated) outputs. */
    public void exec(INDArray[] inputs, INDArray... outputs) {
        boolean rebound = false;
        if (!sameArrays(inputs, boundInputs)) {
            context.setInputArrays(inputs);
            boundInputs = inputs.clone();
            rebound = true;
        }
        if (!sameArrays(outputs, boundOutputs)) {
            context.setOutputArrays(outputs);
            boundOutputs = outputs.clone();
            rebound = true;
        }
        if (rebound) {
            largest = Math.max(largestOf(boundInputs), largestOf(boundOutputs));
        }
        boolean small = EngineRuntime.beginSmallOp(largest);
        try {
            Nd4j.getExecutioner().exec(op, context);
        } finally {
            if (small) {
                EngineRuntime.endSmallOp();
            }
        }
    }

    private static long largestOf(INDArray[] arrays) {
        long n = 0;
        for (INDArray a : arrays) {
            n = Math.max(n, a.length());
        }
        return n;
    }

    /** The same array objects (identity, not contents: the op reads their current values). */
    private static boolean sameArrays(INDArray[] a, INDArray[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    public String name() {
        return name;
    }
}
