package org.a2q.engine.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.a2q.engine.EngineRuntime;
import org.a2q.engine.Version;
import org.a2q.engine.analysis.LayerTable;
import org.a2q.engine.nn.Graph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "info", description = "Describe a model (layers, shapes, dot-product lengths, parameters) and the runtime.")
final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet",
            description = "Built-in model (mlp, lenet, resnet) or a run directory / model file.")
    String model;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter w = spec.commandLine().getOut();
        w.println(Version.describe());
        w.println(EngineRuntime.describe());
        Graph g = ModelSource.fresh(model, 0);
        w.printf(Locale.ROOT, "%nmodel %s: input %s, %,d parameters%n", model, Arrays.toString(g.inputShape()),
                g.parameterCount());
        w.printf(Locale.ROOT, "%-18s %-14s %-20s %8s %10s%n", "layer", "op", "output", "K", "params");
        for (LayerTable.Row r : LayerTable.of(g)) {
            w.printf(Locale.ROOT, "%-18s %-14s %-20s %8s %,10d%n", r.name(), r.op(), Arrays.toString(r.outputShape()),
                    r.dotProductLength() > 0 ? String.valueOf(r.dotProductLength()) : "", r.parameters());
        }
        return 0;
    }
}
