package org.a2q.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.a2q.engine.nn.NativeOp;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/** The thread settings reach every thread that runs native ops, not only the one that set them. */
class EngineRuntimeTest {

    private static int openMpThreadsOfThisThread() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** OpenMP's thread count as seen by a fresh thread (as the workbench's training thread) after one native op. */
    private static int openMpThreadsOfANewThread() throws InterruptedException {
        AtomicInteger seen = new AtomicInteger();
        Thread worker = new Thread(() -> {
            INDArray x = Nd4j.ones(DataType.FLOAT, 4);
            new NativeOp("multiply").exec(new INDArray[] {x, x}, x.ulike());
            seen.set(openMpThreadsOfThisThread());
        });
        worker.start();
        worker.join();
        return seen.get();
    }

    @Test
    void aThreadCountReachesTheOpenMpRegionsOfOtherThreads() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        assumeTrue(cpus >= 2, "needs two processors to tell one thread from all");
        int before = EngineRuntime.threads();
        try {
            EngineRuntime.configure(1);
            assertEquals(1, openMpThreadsOfThisThread());
            assertEquals(1, openMpThreadsOfANewThread(), "oneDNN kernels on the worker would use every processor");
            EngineRuntime.configure(2);
            assertEquals(2, openMpThreadsOfANewThread());
            EngineRuntime.setOpThreads(1);   // a split training step
            assertEquals(1, openMpThreadsOfANewThread());
            EngineRuntime.allOpThreads();
            assertEquals(2, openMpThreadsOfThisThread());
        } finally {
            EngineRuntime.configure(before);
        }
    }
}
