package org.a2q.engine.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.a2q.engine.data.DatasetSplit;
import org.a2q.engine.data.IdxDatasets;
import org.a2q.engine.io.RunFile;
import org.a2q.engine.train.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "eval", description = "Test-set loss and accuracy of a saved run.")
final class EvalCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Run directory or model file.") Path run;
    @Option(names = "--data", description = "Directory with IDX files (default: the bundled sample).") Path data;
    @Option(names = "--batch", defaultValue = "256") int batch;

    @Override
    public Integer call() {
        common.apply();
        RunFile.Run r = ModelSource.load(run);
        DatasetSplit split = IdxDatasets.loadSplit(data != null ? data : CommonOptions.defaultData());
        Evaluation.Result res = Evaluation.evaluate(r.graph(), split.test(), batch);
        spec.commandLine().getOut().printf(Locale.ROOT, "test accuracy %.2f%% (%d/%d), loss %.4f%n",
                res.accuracy() * 100, res.correct(), res.count(), res.loss());
        return 0;
    }
}
