package org.a2q.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.a2q.engine.EngineException;
import org.a2q.engine.TestData;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.model.ModelTemplates;
import org.a2q.engine.nn.Graph;
import org.a2q.engine.nn.Init;
import org.a2q.engine.train.Cancellation;
import org.a2q.engine.train.TrainConfig;
import org.a2q.engine.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class RunFileTest {
    @TempDir Path dir;

    @Test
    void roundTripIsBitIdenticalIncludingBatchNormStatisticsAndOptimizerState() {
        DatasetSplit d = TestData.sample();
        Graph g = ModelTemplates.create("resnet", 3);
        Trainer t = new Trainer(g, TrainConfig.defaults(1).withMaxStepsPerEpoch(3));
        t.fit(d.train(), null, Cancellation.none());
        Path f = dir.resolve("run").resolve(RunFile.MODEL_FILE);
        RunFile.save(f, g, t.optimizer(), t.epochsDone(), t.history(), Map.of("note", "hello"));
        RunFile.Run r = RunFile.load(RunFile.resolve(f.getParent()), null);
        assertEquals(g.valueArena(), r.graph().valueArena());
        assertEquals(t.optimizer().firstMoment(), r.firstMoment());
        assertEquals(t.optimizer().secondMoment(), r.secondMoment());
        assertEquals(3, r.optimizerSteps());
        assertEquals(1, r.epochsDone());
        assertEquals(t.history(), r.history());
        assertEquals("hello", r.sections().get("note"));
        INDArray x = Init.uniform(new SplittableRandom(1), 0, 1, 4, 1, 28, 28);
        assertEquals(g.forward(x, false).dup(), r.graph().forward(x, false));
    }

    private Path saved() {
        Path f = dir.resolve("m.a2q");
        RunFile.save(f, ModelTemplates.create("lenet", 0), null, 0, List.of(), null);
        return f;
    }

    @Test
    void everyFlippedByteIsDetected() throws IOException {
        Path f = saved();
        byte[] good = Files.readAllBytes(f);
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 50; i++) {
            byte[] bad = good.clone();
            int at = r.nextInt(bad.length);
            bad[at] ^= (byte) (1 << r.nextInt(8));
            Files.write(f, bad);
            EngineException e = assertThrows(EngineException.class, () -> RunFile.load(f, null), "flip at " + at);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
    }

    @Test
    void truncationIsDetected() throws IOException {
        Path f = saved();
        byte[] good = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 1000));
        EngineException e = assertThrows(EngineException.class, () -> RunFile.load(f, null));
        assertEquals(f + ": checksum mismatch — the file is truncated or corrupted; use an earlier copy "
                + "(checkpoints are replaced atomically, so the previous one is intact)", e.getMessage());
    }

    @Test
    void otherFilesAreRejected() throws IOException {
        Path f = dir.resolve("x.a2q");
        Files.writeString(f, "hello, this is not a model file at all");
        assertEquals(f + ": not an A2Q Workbench model file (wrong magic bytes)",
                assertThrows(EngineException.class, () -> RunFile.load(f, null)).getMessage());
        Path missing = dir.resolve("none.a2q");
        assertEquals(missing + ": no such file", assertThrows(EngineException.class, () -> RunFile.load(missing, null)).getMessage());
    }

    @Test
    void saveReplacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        Path f = saved();
        RunFile.save(f, ModelTemplates.create("mlp", 0), null, 0, List.of(), null);
        try (var s = Files.list(dir)) {
            assertArrayEquals(new String[] {"m.a2q"}, s.map(p -> p.getFileName().toString()).toArray());
        }
        assertEquals(ModelTemplates.create("mlp", 0).parameterCount(), RunFile.load(f, null).graph().parameterCount());
        // the temp file is owner-only; the saved file gets ordinary permissions
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }
}
