package org.a2q.engine.quant;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.a2q.engine.nn.WeightTransform;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward + backward time of the weight quantizers at LeNet-5 shapes, float32. Runs only with
 * {@code -Da2q.bench=true}; prints the median and p90 over batches of steps.
 */
@Tag("slow")
class WeightQuantizerBenchmarkTest {
    private static final int WARMUP = 100;
    private static final int BATCHES = 15;
    private static final int PER_BATCH = 20;

    @Test
    void forwardBackwardMicroseconds() {
        assumeTrue(Boolean.getBoolean("a2q.bench"), "set -Da2q.bench=true to run");
        long[][] shapes = {{16, 6, 5, 5}, {120, 400}, {84, 120}};
        for (long[] shape : shapes) {
            int cout = (int) shape[0];
            INDArray v = Nd4j.randn(DataType.FLOAT, shape).muli(0.1);
            INDArray c = Nd4j.randn(DataType.FLOAT, shape);
            INDArray gradV = v.ulike();
            String s = Arrays.toString(shape);
            time(s + " baseline M=4", new PerChannelWeightQuantizer("b", cout, 4, ScaleDomain.LOG2), v, c, gradV);
            for (A2qVariant variant : A2qVariant.values()) {
                for (int p : new int[] {12, 32}) {
                    AccumulatorAwareWeightQuantizer q = new AccumulatorAwareWeightQuantizer(
                            "a", variant, cout, 4, p, 4, false, ScaleDomain.LOG2);
                    q.initialize(v.dup(), InitMode.NAIVE);
                    time(s + " " + variant + " M=4 N=4u P=" + p, q, v, c, gradV);
                }
            }
        }
    }

    private static void time(String label, WeightTransform t, INDArray v, INDArray c, INDArray gradV) {
        if (t instanceof PerChannelWeightQuantizer b) {
            b.initialize(v);
        }
        for (int i = 0; i < WARMUP; i++) {
            t.forward(v);
            t.backward(c, gradV);
        }
        // Wall time suffers when other processes share the cores; the calling thread's CPU time
        // (ND4J runs single-threaded ops on it with OMP_NUM_THREADS=1) is the steadier figure.
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] wall = new double[BATCHES];
        double[] cpu = new double[BATCHES];
        for (int b = 0; b < BATCHES; b++) {
            long c0 = bean.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < PER_BATCH; i++) {
                t.forward(v);
                t.backward(c, gradV);
            }
            wall[b] = (System.nanoTime() - t0) / 1e3 / PER_BATCH;
            cpu[b] = (bean.getCurrentThreadCpuTime() - c0) / 1e3 / PER_BATCH;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        System.out.printf("%-40s fwd+bwd wall median %7.1f us (min %7.1f)  thread-cpu median %7.1f us (min %7.1f)%n",
                label, wall[BATCHES / 2], wall[0], cpu[BATCHES / 2], cpu[0]);
    }
}
